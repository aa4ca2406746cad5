"""Search replays (`nasdb search`): best-so-far curves per algorithm, and landscape smoothness (`nasdb landscape`)."""
from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from app import ui

st.title("Search replays")
st.caption("NAS algorithms replayed on the stored ground truth: a query is a lookup of the validation value. "
           "Curves show the incumbent (best validation value so far) after each query, mean over seeds with its "
           "95% confidence band; the test value of the incumbent is reported, never used by the search.")

if ui.require("search_runs", "Search replays", "nasdb search --algo re --bench nb201 --dataset cifar10-valid"):
    runs = ui.query("SELECT run_id, algo, bench, dataset, test_dataset, proxy, budget, time_budget, n_seeds, "
                    "valid_mean, valid_std, test_mean, test_std, test_lo, test_hi, queries_per_second, started_at "
                    "FROM search_runs ORDER BY bench, dataset, algo, budget, started_at")
    left, mid, right = st.columns(3)
    with left:
        bench = ui.choose("Benchmark", runs["bench"].unique(maintain_order=True).to_list(), key="search_bench")
    runs = runs.filter(pl.col("bench") == bench)
    with mid:
        dataset = ui.choose("Dataset / task", runs["dataset"].unique(maintain_order=True).to_list(),
                            key="search_dataset")
    runs = runs.filter(pl.col("dataset") == dataset)
    with right:
        budget = ui.choose("Budget (queries per trial)", runs["budget"].unique().sort().to_list(), key="search_budget",
                           index=len(runs["budget"].unique()) - 1)
    runs = runs.filter(pl.col("budget") == budget).with_columns(
        label=pl.format("{}{} ({} seeds)", "algo", pl.when(pl.col("proxy").is_not_null())
                        .then(pl.format(" + {}", "proxy")).otherwise(pl.lit("")), "n_seeds"))
    ids = runs["run_id"].to_list()
    curves = ui.query(
        "SELECT run_id, queries, n_seeds, valid_mean, valid_lo, valid_hi, test_mean, test_lo, test_hi, "
        "sim_seconds_mean FROM search_curves WHERE run_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY run_id, queries",
        ids).join(runs.select("run_id", "label"), on="run_id")
    for split, title in (("valid", "validation value of the incumbent"), ("test", "test value of the incumbent")):
        data = curves.drop_nulls(f"{split}_mean")
        if data.height == 0:
            st.info(f"No {split} values for {bench}/{dataset} (the benchmark has no {split} split here).")
            continue
        # the first queries are far below the rest: scale y to the curves after the 5th query
        settled = data.filter(pl.col("queries") >= min(5, int(data["queries"].max())))
        y_scale = alt.Scale(zero=False, clamp=True,
                            domain=[float(settled[f"{split}_lo"].min()), float(settled[f"{split}_hi"].max())])
        base = alt.Chart(data.to_pandas()).encode(
            x=alt.X("queries:Q", title="queries (log scale)",
                    scale=alt.Scale(type="log", domain=[1, int(data["queries"].max())])),
            color=alt.Color("label:N", title="algorithm", scale=alt.Scale(scheme="category10")))
        band = base.mark_area(opacity=0.2).encode(y=alt.Y(f"{split}_lo:Q", title=title, scale=y_scale),
                                                  y2=f"{split}_hi:Q")
        line = base.mark_line().encode(y=f"{split}_mean:Q",
                                       tooltip=["label:N", "queries:Q", alt.Tooltip(f"{split}_mean:Q", format=".3f"),
                                                alt.Tooltip(f"{split}_lo:Q", format=".3f"),
                                                alt.Tooltip(f"{split}_hi:Q", format=".3f")])
        st.subheader(title.capitalize())
        ui.chart_with_table((band + line).properties(height=320), data, key=f"search_{split}",
                            description=f"{title} over queries for {bench}/{dataset}: "
                                        + ", ".join(data["label"].unique(maintain_order=True).to_list()))
    st.subheader("Final incumbents")
    ui.table_or_note(runs.select("label", "valid_mean", "valid_std", "test_mean", "test_std", "test_lo", "test_hi",
                                 "queries_per_second", "run_id"), "No runs.", key="search_final")

st.header("Landscape smoothness")
st.caption("For each architecture: its validation value against the mean over its one-edit neighbours "
           "(the moves of local search and evolution). Points on the diagonal = a perfectly smooth landscape.")
if ui.require("landscape_summary", "Landscape smoothness", "nasdb landscape"):
    summary = ui.query("SELECT bench, dataset, n, spearman_neighbours, pearson_neighbours, spearman_wl_knn, k, "
                       "mean_neighbours FROM landscape_summary ORDER BY bench, dataset")
    ui.table_or_note(summary, "No landscape rows.", key="landscape_summary")
    choice = ui.choose("Space / dataset", [f"{b} / {d}" for b, d in summary.select("bench", "dataset").iter_rows()],
                       key="landscape_choice")
    lb, ld = choice.split(" / ", 1)
    bins = ui.query(
        """WITH r AS (SELECT value, neighbour_mean FROM landscape WHERE bench = ? AND dataset = ?
                      AND neighbour_mean IS NOT NULL),
                e AS (SELECT min(least(value, neighbour_mean)) AS lo, max(greatest(value, neighbour_mean)) AS hi FROM r)
           SELECT lo + (hi - lo) * (least(floor((value - lo) / nullif(hi - lo, 0) * 50), 49) + 0.5) / 50 AS value,
                  lo + (hi - lo) * (least(floor((neighbour_mean - lo) / nullif(hi - lo, 0) * 50), 49) + 0.5) / 50
                      AS neighbour_mean,
                  count(*) AS archs
           FROM r, e GROUP BY ALL ORDER BY ALL""", lb, ld)
    chart = alt.Chart(bins.to_pandas()).mark_rect().encode(
        x=alt.X("neighbour_mean:Q", bin=alt.Bin(maxbins=50), title="mean validation value of the neighbours"),
        y=alt.Y("value:Q", bin=alt.Bin(maxbins=50), title="validation value"),
        color=alt.Color("sum(archs):Q", title="architectures", scale=alt.Scale(type="log")),
        tooltip=["value:Q", "neighbour_mean:Q", "sum(archs):Q"]).properties(height=420)
    ui.chart_with_table(chart, bins, key="landscape_bins",
                        description=f"binned architectures of {lb}/{ld}: own value against neighbours' mean")
