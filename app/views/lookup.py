"""Architecture lookup: everything the database knows about one architecture, and a drawing of it."""
from __future__ import annotations

import altair as alt
import streamlit as st

from app import cells, db, selection, similar_panel, ui
from nasdb import api
from nasdb.errors import NasdbError

st.title("Architecture lookup")
left, right = st.columns([1, 3])
with left:
    chosen = selection.bench("lookup")
with right:
    text = st.text_input("Architecture: official index, cell string, TNB101 name or NB101 module hash",
                         value="", key="lookup_arch",
                         placeholder="e.g. 1462 or |nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")
if not text.strip():
    st.info("Paste an architecture above (an index refers to the selected benchmark).")
    st.stop()
bench = cells.bench_of(text.strip(), chosen)
if bench != chosen:
    st.caption(f"Recognised a {bench} architecture string.")
con = db.connect(ui.snapshot_path())
try:
    arch = api.lookup(bench, text.strip(), con=con)
except NasdbError as e:
    ui.error(str(e))
    st.stop()
finally:
    con.close()
aid = arch["arch_id"]

st.subheader(f"{bench} #{aid}")
st.code(arch["arch_key"], language=None)
info = {k: v for k, v in arch.items() if k not in ("bench", "arch_key") and v is not None}
if arch.get("iso_class") is not None:
    info["isomorphic archs"] = int(ui.query(
        "SELECT count(*) AS n FROM archs WHERE bench = ? AND iso_class = ?", bench, arch["iso_class"])["n"][0])
st.json(info, expanded=True)

drawing = cells.dot(bench, arch["arch_key"], arch.get("naslib_key"))
if drawing:
    st.graphviz_chart(drawing)

st.subheader("Ground truth")
truth = ui.query("SELECT dataset, split, metric, epochs, value, higher_is_better, aggregation, source "
                 "FROM ground_truth WHERE bench = ? AND arch_id = ? ORDER BY ALL", bench, aid)
ui.table_or_note(truth, "No ground truth stored.", key="lookup_truth")

st.subheader("Costs")
costs = ui.query("SELECT dataset, metric, value, unit, source FROM costs WHERE bench = ? AND arch_id = ? "
                 "ORDER BY ALL", bench, aid)
ui.table_or_note(costs, "No costs stored.", key="lookup_costs")

st.subheader("Proxy values")
# one row per distinct value: NB201's graph measures are the same for its 4 datasets (one shared graph),
# so they are listed once with the datasets they hold for
proxies = ui.query(
    """WITH mine AS (SELECT * FROM proxies WHERE bench = ? AND arch_id = ?),
       ranked AS (
       SELECT m.dataset, m.proxy, m.source, m.value,
              CASE WHEN isfinite(m.value) THEN count(q.value) FILTER (WHERE q.value > m.value) + 1 END
                  AS rank_in_bench,
              CASE WHEN isfinite(m.value) THEN round(100.0 * count(q.value) FILTER (WHERE q.value <= m.value)
                  / count(q.value), 1) END AS percentile,
              m.note, m.run_id
       FROM mine m LEFT JOIN proxies q ON q.bench = m.bench AND q.dataset = m.dataset AND q.proxy = m.proxy
            AND q.source = m.source AND isfinite(q.value)
       GROUP BY m.dataset, m.proxy, m.source, m.value, m.note, m.run_id)
       SELECT string_agg(dataset, ', ' ORDER BY dataset) AS datasets, proxy, source, value, rank_in_bench,
              percentile, note, run_id
       FROM ranked GROUP BY proxy, source, value, rank_in_bench, percentile, note, run_id
       ORDER BY source <> 'nasdb', proxy, datasets""",
    bench, aid)
ui.table_or_note(proxies, "No proxy values stored for this architecture yet — run `nasdb score`.",
                 key="lookup_proxies")

st.subheader("NASGraph graph summary")
st.caption("The measures of this architecture's NASGraph graph, each as its percentile among the benchmark's "
           "architectures (the raw values differ in scale by orders of magnitude; they are in the table).")
graph = proxies.filter(proxies["proxy"].str.starts_with("nasgraph_") & (proxies["source"] == "nasdb"))
if graph.height:
    ui.chart_with_table(
        alt.Chart(graph.to_pandas()).mark_bar().encode(
            x=alt.X("percentile:Q", title="percentile in the benchmark", scale=alt.Scale(domain=[0, 100])),
            y=alt.Y("proxy:N", title=None, sort=None, axis=alt.Axis(labelLimit=250)), yOffset="datasets:N",
            color=alt.Color("datasets:N", title="dataset / task",
                            legend=alt.Legend(orient="bottom", columns=1, labelLimit=0)),
            tooltip=["proxy", "datasets", "value", "rank_in_bench", "percentile"]),
        graph.select("datasets", "proxy", "value", "rank_in_bench", "percentile", "run_id"), key="lookup_graph")
else:
    st.info("No NASGraph measures (nasgraph_*) for this architecture yet — run `nasdb score`.")

similar_panel.show(bench, arch["arch_key"])
