"""Overview: what is in the database, where it came from, and when it was built."""
from __future__ import annotations

import altair as alt
import streamlit as st

from app import ui
from nasdb import summary

st.title("nasdb — NAS benchmark ground truth, graph proxies and their evaluation")
snap = st.session_state["snapshot"]
meta = dict(ui.query("SELECT key, value FROM meta ORDER BY key").iter_rows())
built = meta.get("built_at") or f"unknown (file snapshot taken {snap.taken_at:%Y-%m-%d %H:%M:%S})"
st.caption(f"Database `{snap.live}` · built: {built}")

counts = ui.query(summary.COUNTS_SQL)
cols = st.columns(4)
cols[0].metric("Benchmarks", counts.height)
cols[1].metric("Architectures", f"{int(counts['archs'].sum()):,}")
cols[2].metric("Ground-truth rows", f"{int(counts['ground_truth_rows'].sum()):,}")
cols[3].metric("Proxy values", f"{int(counts.select('nasdb_proxy_rows', 'peer_proxy_rows', 'other_proxy_rows').sum_horizontal().sum()):,}")

st.subheader("Benchmarks")
st.dataframe(ui.query("SELECT bench, title, n_archs, license FROM benchmarks ORDER BY bench"), hide_index=True)
st.subheader("Counts per benchmark")
ui.chart_with_table(
    alt.Chart(counts.to_pandas()).mark_bar().encode(
        # log scale: NB101's 423,624 cells would flatten the other benchmarks' bars to slivers
        # (bars start at 1: a log axis has no 0)
        x=alt.X("archs:Q", title="architectures in the database (log scale)", scale=alt.Scale(type="log", domainMin=1)),
        x2=alt.datum(1),
        y=alt.Y("bench:N", title=None),
        tooltip=list(counts.columns)),
    counts, key="counts")

st.subheader("Datasets / tasks and ground truth")
st.dataframe(ui.query(
    "SELECT bench, dataset, split, metric, epochs, aggregation, source, count(*) AS rows "
    "FROM ground_truth GROUP BY ALL ORDER BY ALL"), hide_index=True)

st.subheader("Proxies")
st.dataframe(ui.query(
    "SELECT bench, proxy, source, count(DISTINCT dataset) AS datasets, count(*) AS values, "
    "count(*) FILTER (WHERE value IS NULL) AS missing FROM proxies GROUP BY ALL ORDER BY ALL"), hide_index=True)
if ui.rows("proxy_runs"):
    st.caption("How nasdb's own proxy values were made (one row per scoring run)")
    st.dataframe(ui.query(
        "SELECT run_id, proxy, bench, status, n_archs, round(seconds, 2) AS seconds, code_version, started_at, "
        "settings FROM proxy_runs ORDER BY started_at"), hide_index=True)

st.subheader("Sources: provenance and licenses")
st.dataframe(ui.query(
    "SELECT path, license, what, origin_url, sha256, ingested_by, ingested_at FROM sources ORDER BY path"),
    hide_index=True)
if meta:
    with st.expander("Build metadata"):
        st.json(meta)
