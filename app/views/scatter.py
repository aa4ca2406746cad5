"""Proxy vs accuracy: one point per architecture, the rank correlation of what is shown in the title."""
from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st
from scipy import stats

from app import selection, ui

COLOURS = {
    "n_conv": ("n_conv:O", "convolutions in the cell"),
    "iso_size": ("iso_size:Q", "archs in its isomorphism class"),
    "is_degenerate": ("is_degenerate:N", "degenerate (output disconnected)"),
}

st.title("Proxy vs accuracy")
left, right = st.columns(2)
with left:
    bench = selection.bench("scatter")
    target = selection.target(bench, "scatter")
with right:
    proxy = selection.proxy(bench, target.dataset, "scatter")
    colour = st.selectbox("Colour by", list(COLOURS), key="scatter_colour", format_func=lambda c: COLOURS[c][1])
population = selection.population_choice("scatter")
scale = st.radio("Axes", ["values", "ranks"], key="scatter_scale", horizontal=True,
                 help="ranks: percentile of each architecture (100 = best), readable for skewed proxies; "
                      "a rank correlation is the linear correlation of these")

data = selection.pairs(bench, target, proxy, population)
if data.height < 3:
    st.info(f"Only {data.height} architecture(s) have both {proxy.label} and "
            f"{target.dataset} {selection.target_label(target)}: nothing to correlate.")
    st.stop()
data = data.with_columns(iso_size=pl.len().over(pl.coalesce("iso_class", "arch_id")))
goodness = data["true_value"] if target.higher_is_better else -data["true_value"]
rho = stats.spearmanr(data["proxy_value"], goodness).statistic
tau = stats.kendalltau(data["proxy_value"], goodness).statistic
title = f"{proxy.proxy} vs {target.dataset}: Spearman ρ = {rho:.3f}, Kendall τ = {tau:.3f} (n = {data.height:,})"
if not target.higher_is_better:
    st.caption(f"{target.metric} is lower-is-better: correlations are with its negation, so positive = good proxy.")

field, legend = COLOURS[colour]
x_title, y_title = proxy.label, f"{target.dataset} {selection.target_label(target)}"
shown = data.select("arch_id", "proxy_value", "true_value", colour)  # few columns keep 15k points light
if scale == "ranks":
    shown = shown.with_columns(pl.col("proxy_value").rank() / shown.height * 100,
                               pl.Series("true_value", goodness).rank() / shown.height * 100)
    x_title, y_title = f"{x_title}, percentile", f"{y_title}, percentile (100 = best)"
chart = alt.Chart(shown.to_pandas(), title=alt.TitleParams(title, anchor="start")).mark_circle(
    size=12, opacity=0.5).encode(
    x=alt.X("proxy_value:Q", title=x_title, scale=alt.Scale(zero=False)),
    y=alt.Y("true_value:Q", title=y_title, scale=alt.Scale(zero=False)),
    color=alt.Color(field, title=legend, scale=alt.Scale(scheme="viridis")),
    tooltip=["arch_id:Q", "proxy_value:Q", "true_value:Q", field],
).properties(height=480).interactive()
# the table view leaves out the long arch strings (1.4 MB for NB201) to keep the page light; see Lookup
ui.chart_with_table(chart, data.drop("iso_class", "arch_key"), key="scatter", description=title)
