"""Proxy vs accuracy: one point per architecture, the rank correlation of what is shown in the title.

Beyond a few thousand architectures a browser without a GPU takes seconds to draw every point, so
large populations are shown by default as a density (counts in a grid, binned here on the server);
every point is one click away.
"""
from __future__ import annotations

import altair as alt
import numpy as np
import polars as pl
import streamlit as st
from scipy import stats

from app import selection, ui

DENSITY_FROM = 5000  # archs; above this the density view is the default
GRID = 60  # bins per axis of the density view
DENSITY = "archs"  # the density view's own colour: architectures per grid cell
COLOURS = {
    DENSITY: ("archs:Q", "architectures per cell"),
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

x_title, y_title = proxy.label, f"{target.dataset} {selection.target_label(target)}"
shown = data.select("arch_id", "proxy_value", "true_value", *(c for c in COLOURS if c != DENSITY))
if scale == "ranks":
    shown = shown.with_columns(pl.col("proxy_value").rank() / shown.height * 100,
                               pl.Series("true_value", goodness).rank() / shown.height * 100)
    x_title, y_title = f"{x_title}, percentile", f"{y_title}, percentile (100 = best)"
view = st.radio("Show", ["density", "points"], key="scatter_view", horizontal=True,
                index=0 if shown.height > DENSITY_FROM else 1,
                help=f"density: number of architectures per cell of a {GRID}x{GRID} grid (fast for whole spaces); "
                     "points: every architecture, coloured as chosen (slow to draw beyond a few thousand)")
# density: a cell is coloured by its count, or by the mean of the chosen attribute over its architectures
choices = [c for c in COLOURS if (c == DENSITY and view == "density")
           or (c != DENSITY and shown[c].null_count() < shown.height)]  # TNB101 has no degenerate flags
colour = st.selectbox("Colour by", choices, key=f"scatter_colour_{view}",
                      format_func=lambda c: COLOURS[c][1] if view == "points" or c == DENSITY
                      else f"mean {COLOURS[c][1]} (per cell)")
field, legend = COLOURS[colour]
if view == "density":
    xy = shown["proxy_value"].to_numpy(), shown["true_value"].to_numpy()
    counts, xe, ye = np.histogram2d(*xy, bins=GRID)
    ix, iy = np.nonzero(counts)
    grid = pl.DataFrame({"x0": xe[ix], "x1": xe[ix + 1], "y0": ye[iy], "y1": ye[iy + 1],
                         "archs": counts[ix, iy].astype(np.int64)})
    if colour == DENSITY:
        colour_enc = alt.Color("archs:Q", title="architectures", scale=alt.Scale(type="log", scheme="viridis"))
    else:
        sums, _, _ = np.histogram2d(*xy, bins=[xe, ye], weights=shown[colour].cast(pl.Float64).to_numpy())
        grid = grid.with_columns(pl.Series(colour, sums[ix, iy] / counts[ix, iy]))
        colour_enc = alt.Color(f"{colour}:Q", title=f"mean {legend}", scale=alt.Scale(scheme="viridis"))
    chart = alt.Chart(grid.to_pandas(), title=alt.TitleParams(title, anchor="start")).mark_rect().encode(
        x=alt.X("x0:Q", title=x_title, scale=alt.Scale(zero=False)), x2="x1:Q",
        y=alt.Y("y0:Q", title=y_title, scale=alt.Scale(zero=False)), y2="y1:Q",
        color=colour_enc,
        tooltip=[*grid.columns[4:], alt.Tooltip("x0:Q", title="proxy from"), alt.Tooltip("x1:Q", title="to"),
                 alt.Tooltip("y0:Q", title="truth from"), alt.Tooltip("y1:Q", title="to")],
    ).properties(height=480)
else:
    chart = alt.Chart(shown.select("arch_id", "proxy_value", "true_value", colour).to_pandas(),  # light for 15k
                      title=alt.TitleParams(title, anchor="start")).mark_circle(
        size=12, opacity=0.5).encode(
        x=alt.X("proxy_value:Q", title=x_title, scale=alt.Scale(zero=False)),
        y=alt.Y("true_value:Q", title=y_title, scale=alt.Scale(zero=False)),
        color=alt.Color(field, title=legend, scale=alt.Scale(scheme="viridis")),
        tooltip=["arch_id:Q", "proxy_value:Q", "true_value:Q", field],
    ).properties(height=480).interactive()
# the table view leaves out the long arch strings (1.4 MB for NB201) to keep the page light; see Lookup
ui.chart_with_table(chart, data.drop("iso_class", "arch_key"), key="scatter", description=title)
