"""Top-k retrievals: the architectures a proxy ranks highest, and how good they really are."""
from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from app import selection, ui

st.title("Top-k retrievals")
left, right = st.columns(2)
with left:
    bench = selection.bench("topk")
    target = selection.target(bench, "topk")
with right:
    proxy = selection.proxy(bench, target.dataset, "topk")
    k = st.number_input("k", min_value=1, max_value=1000, value=10, step=1, key="topk_k")
population = selection.population("topk")

data = selection.pairs(bench, target, proxy, population)
if data.height == 0:
    st.info(f"No architecture has both {proxy.label} and {target.dataset} {target.label}.")
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

st.subheader("Stored evaluation")
if ui.require("search_sim", "Search simulations", "nasdb eval"):
    pass
