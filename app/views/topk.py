"""Top-k retrievals: the architectures a proxy ranks highest, and how good they really are."""
from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from app import selection, ui
from nasdb.evaluate import pairing

st.title("Top-k retrievals")
left, right = st.columns(2)
with left:
    bench = selection.bench("topk")
    target = selection.target(bench, "topk")
with right:
    proxy = selection.proxy(bench, target.dataset, "topk")
    k = st.number_input("k", min_value=1, max_value=1000, value=10, step=1, key="topk_k")
population = selection.population_choice("topk")

data = selection.pairs(bench, target, proxy, population)
if data.height == 0:
    st.info(f"No architecture has both {proxy.label} and {target.dataset} {selection.target_label(target)}.")
    st.stop()
k = min(int(k), data.height)
ranked = data.with_columns(
    true_rank=pl.col("true_value").rank("min", descending=target.higher_is_better).cast(pl.Int64),
).sort(["proxy_value", "arch_id"], descending=[True, False]).with_row_index("proxy_rank", offset=1)
top = ranked.head(k).with_columns(in_true_top_k=pl.col("true_rank") <= k)
precision = top["in_true_top_k"].mean()
best = ranked["true_value"].max() if target.higher_is_better else ranked["true_value"].min()

c = st.columns(3)
c[0].metric(f"precision@{k}", f"{precision:.3f}", help="share of the proxy's top-k that are in the true top-k")
c[1].metric(f"best true value in the proxy's top-{k}",
            f"{top['true_value'].max() if target.higher_is_better else top['true_value'].min():.3f}")
c[2].metric("best true value in the population", f"{best:.3f}", help=f"{data.height:,} architectures")
st.dataframe(top.select("proxy_rank", "arch_id", "arch_key", "proxy_value", "true_value", "true_rank",
                        "in_true_top_k", "n_conv"), hide_index=True, key="topk_table")

KEY_SQL = ("bench = ? AND dataset = ? AND split = ? AND metric = ? AND epochs IS NOT DISTINCT FROM ? "
           "AND gt_source = ? AND population = ? AND arch_set = 'own'")
key_params = (bench, target.dataset, target.split, target.metric, target.epochs, target.gt_source, population)

st.subheader("Stored top-k evaluation (`nasdb eval`)")
if ui.require("topk", "Top-k evaluations", "nasdb eval"):
    stored = ui.query(f"SELECT k_spec, k, n, precision_at_k, ndcg_at_k, best_true, mean_true, best_percentile, note, "
                      f"stale IS NOT FALSE AS stale "
                      f"FROM topk WHERE {KEY_SQL} AND proxy = ? AND proxy_source = ? ORDER BY k",
                      *key_params, proxy.proxy, proxy.source)
    ui.warn_stale(stored)
    ui.table_or_note(stored, f"No stored top-k rows for {proxy.label} with this target and population.",
                     key="topk_stored")

st.subheader("Search simulation: the proxy's pick among N random architectures")
if ui.require("search_sim", "Search simulations", "nasdb eval"):
    sim = ui.query(f"SELECT proxy, proxy_source, n_sample, trials, mean_true, std_true, mean_regret, p_best, "
                   f"mean_oracle, note, stale IS NOT FALSE AS stale FROM search_sim WHERE {KEY_SQL} "
                   f"AND ((proxy = ? AND proxy_source = ?) OR proxy_source = ?) ORDER BY proxy, n_sample",
                   *key_params, proxy.proxy, proxy.source, pairing.BASELINE_SOURCE)
    if sim.height == 0:
        st.info(f"No search simulation stored for {proxy.label} with this target and population.")
    else:
        oracle = (sim.group_by("n_sample").agg(pl.col("mean_oracle").first().alias("mean_true"))
                  .with_columns(series=pl.lit("best in sample (oracle)")))
        lines = pl.concat([sim.select("n_sample", "mean_true", series=pl.format("{} ({})", "proxy", "proxy_source")),
                           oracle.select("n_sample", "mean_true", "series")])
        chart = alt.Chart(lines.to_pandas()).mark_line(point=True).encode(
            x=alt.X("n_sample:Q", title="N architectures sampled",  # the axis ends where the data end
                    scale=alt.Scale(type="log", domain=[int(sim["n_sample"].min()), int(sim["n_sample"].max())],
                                    nice=False)),
            y=alt.Y("mean_true:Q", title=f"mean true {target.metric} of the pick", scale=alt.Scale(zero=False)),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom", columns=1, labelLimit=0)),
            tooltip=["series:N", "n_sample:Q", alt.Tooltip("mean_true:Q", format=".3f")])
        ui.warn_stale(sim)
        ui.chart_with_table(chart, sim, key="topk_search")
