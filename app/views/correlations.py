"""Correlations: how well each proxy ranks architectures, per dataset/task (rows written by `nasdb eval`)."""
from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from app import selection, ui
from nasdb.errors import NasdbError

COEFFICIENTS = {"spearman": "Spearman ρ", "kendall": "Kendall τ-b"}

st.title("Correlations")
if not ui.require("correlations", "Rank correlations", "nasdb eval"):
    st.stop()
bench = selection.bench("corr")
options = ui.query("SELECT DISTINCT population, arch_set, split FROM correlations WHERE bench = ? ORDER BY ALL",
                   bench)
if options.height == 0:
    st.info(f"No correlations stored for {bench} yet — run `nasdb eval`.")
    st.stop()
c = st.columns(4)
coef = c[0].radio("Coefficient", list(COEFFICIENTS), key="corr_coef", format_func=COEFFICIENTS.get)
pops = options["population"].unique(maintain_order=True).to_list()
population = c[1].selectbox("Population", pops, key="corr_population",
                            format_func=lambda p: f"{p}: {selection.POPULATIONS.get(p, 'sample')}")
sets = options.filter(pl.col("population") == population)["arch_set"].unique(maintain_order=True).to_list()
arch_set = c[2].selectbox("Arch set", sets, key="corr_arch_set",
                          help="own: every arch the proxy covers; common: only archs all proxies share")
splits = options.filter(pl.col("population") == population)["split"].unique(maintain_order=True).to_list()
split = c[3].selectbox("Split", splits, key="corr_split", index=splits.index("test") if "test" in splits else 0)

rows = ui.query(
    f"""SELECT dataset || ' · ' || metric || coalesce(' @' || epochs, '') AS target, dataset, metric, epochs,
               gt_source, proxy || ' (' || proxy_source || ')'
               || CASE WHEN proxy_source LIKE 'user:%' THEN ' user-supplied' ELSE '' END || CASE WHEN stale IS NOT FALSE THEN ' (stale)' ELSE ''
               END AS proxy_label, proxy, proxy_source, proxy_dataset, stale IS NOT FALSE AS stale,
               {coef} AS value, {coef}_lo AS ci_lo, {coef}_hi AS ci_hi, {coef}_p AS p_value, n, n_missing,
               bootstrap, note, run_id
        FROM correlations WHERE bench = ? AND population = ? AND arch_set = ? AND split = ?
        ORDER BY target, value DESC NULLS LAST""",
    bench, population, arch_set, split)
cell = rows.with_columns(label=pl.col("value").round(2).cast(pl.Utf8),
                         ci=pl.format("[{}, {}]", pl.col("ci_lo").round(3), pl.col("ci_hi").round(3)))
order = (rows.group_by("proxy_label").agg(pl.col("value").mean()).sort("value", descending=True, nulls_last=True)
         ["proxy_label"].to_list())
base = alt.Chart(cell.to_pandas()).encode(
    x=alt.X("target:N", title="dataset / task · metric", axis=alt.Axis(labelAngle=-20, labelLimit=260)),
    y=alt.Y("proxy_label:N", title=None, sort=order, axis=alt.Axis(labelLimit=320, labelOverlap=False)),
    tooltip=[alt.Tooltip("proxy_label:N", title="proxy"), alt.Tooltip("target:N"),
             alt.Tooltip("value:Q", title=COEFFICIENTS[coef], format=".3f"),
             alt.Tooltip("ci:N", title="95% bootstrap CI"), alt.Tooltip("n:Q", title="archs"),
             alt.Tooltip("p_value:Q", title="p", format=".2e"), alt.Tooltip("note:N")])
heatmap = base.mark_rect().encode(color=alt.Color("value:Q", title=COEFFICIENTS[coef],
                                                  scale=alt.Scale(scheme="redblue", domain=[-1, 1])))
text = base.mark_text(fontSize=11).encode(
    text="label:N", color=alt.condition("abs(datum.value) > 0.6", alt.value("white"), alt.value("black")))
st.subheader(f"{COEFFICIENTS[coef]} — {bench}, population {population}, {split} split")
ui.warn_stale(rows)
ui.chart_with_table((heatmap + text).properties(height=max(200, 24 * len(order))), rows, key="corr_heatmap")

st.subheader("Leaderboard")
st.caption("Like with like, as `nasdb leaderboard` ranks: proxies are ranked only against proxies measured on the "
           "same architectures (one group per arch set, largest first), with the baselines (n_conv, params, FLOPs) "
           "recomputed on each group's archs ('computed: now'). Arch set 'common' ranks all on one set.")
targets = rows.select("target", "dataset", "metric").unique(maintain_order=True)
chosen = st.selectbox("Dataset / task", targets["target"].to_list(), key="corr_leader_target")
target = targets.row(targets["target"].to_list().index(chosen), named=True)
try:
    board, origin = ui.leaderboard(bench, target["dataset"], target["metric"], split, population)
except NasdbError as e:
    ui.error(str(e))
else:
    st.caption(origin)
    for group in board.partition_by("group", maintain_order=True):
        g, n = group["group"][0], group["group_n"][0]
        st.markdown(f"**Group {g}: {n:,} archs**" + (" — small: read the CIs, not the order" if n < 100 else ""))
        st.dataframe(group.select("rank", "proxy", "proxy_source", coef, f"{coef}_lo", f"{coef}_hi", "n",
                                  "n_missing", "proxy_dataset", "computed", "note", "stale"),
                     hide_index=True, key=f"corr_leaderboard_{g}")

st.subheader("Bias: how much a proxy just counts convolutions")
if ui.require("bias", "Bias checks", "nasdb eval"):
    bias = ui.query(
        "SELECT proxy, proxy_source, dataset, kind, against, stratum, n, spearman, kendall, note FROM bias "
        "WHERE bench = ? AND population = ? AND arch_set = ? AND split = ? AND kind IN ('cost', 'strata_mean') "
        "ORDER BY kind, against, spearman DESC NULLS LAST", bench, population, arch_set, split)
    ui.table_or_note(bias, "No bias rows for this selection.", key="corr_bias")
