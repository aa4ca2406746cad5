"""Few-shot predictors: learning curves (rank correlation vs number of labelled architectures)."""
from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from app import ui

st.title("Few-shot predictors")
st.caption("A model trained on N labelled architectures ranks all the others (NASLib's predictor protocol); "
           "mean over seeds with a 95% interval. Fill with `nasdb predict`.")
if not ui.require("predictor_results", "Predictor learning curves", "nasdb predict --bench nb201 --dataset cifar10-valid"):
    st.stop()
tasks = ui.query("SELECT DISTINCT bench, dataset FROM predictor_results ORDER BY bench, dataset")
left, right = st.columns(2)
with left:
    bench = ui.choose("Benchmark", tasks["bench"].unique(maintain_order=True).to_list(), key="pred_bench")
with right:
    dataset = ui.choose("Dataset / task", tasks.filter(pl.col("bench") == bench)["dataset"].to_list(),
                        key="pred_dataset")
metric = st.radio("Rank measure", ["spearman", "kendall", "precision"], horizontal=True, key="pred_metric",
                  format_func={"spearman": "Spearman", "kendall": "Kendall tau",
                               "precision": "precision@top-5%"}.get)
rows = ui.query("SELECT features, model, population, train_size, n_test, n_seeds, spearman, spearman_lo, spearman_hi, kendall, "
                "kendall_lo, kendall_hi, precision, precision_lo, precision_hi, top_k, target, gt_source, run_id "
                "FROM predictor_results WHERE bench = ? AND dataset = ? ORDER BY features, model, population, train_size",
                bench, dataset)
target = rows.select("target", "gt_source").unique()
st.caption("Ground truth: " + "; ".join(f"{dataset} {t} ({s})" for t, s in target.iter_rows()))
curves = rows.with_columns(series=pl.format("{} · {}", "features", "model")
                           + pl.when(pl.col("population") == "all").then(pl.lit(""))
                           .otherwise(pl.format(" · {}", "population"))
                           + (pl.format(" · {} ({})", "target", "gt_source")
                              if rows.select("target", "gt_source").n_unique() > 1 else pl.lit("")))
base = alt.Chart(curves.to_pandas()).encode(
    x=alt.X("train_size:Q", title="labelled architectures (training size)", scale=alt.Scale(type="log")),
    color=alt.Color("series:N", title="features · model"))
band = base.mark_area(opacity=0.2).encode(y=alt.Y(f"{metric}_lo:Q"), y2=f"{metric}_hi:Q")
line = base.mark_line(point=True).encode(
    y=alt.Y(f"{metric}:Q", title=metric, scale=alt.Scale(zero=False)),
    tooltip=["series:N", "train_size:Q", alt.Tooltip(f"{metric}:Q", format=".3f"),
             alt.Tooltip(f"{metric}_lo:Q", format=".3f"), alt.Tooltip(f"{metric}_hi:Q", format=".3f"), "n_seeds:Q"])
best = curves.sort(metric, descending=True).row(0, named=True)
description = (f"Learning curves of {curves['series'].n_unique()} predictors on {bench}/{dataset}; best {metric} "
               f"{best[metric]:.3f} by {best['series']} with {best['train_size']} labels")
ui.chart_with_table(band + line, rows, key="pred_curves", description=description)
st.caption(description)

st.header("Ensemble searches", divider="gray")
st.caption("Data-free ensembles: members chosen on one task only (`nasdb ensemble-search`), then judged on every "
           "other task. `selection` rows are in-sample; `held-out` rows were never read by the choice.")
if ui.require("ensemble_search_results", "Ensemble searches", "nasdb ensemble-search --select nb201:cifar100"):
    searches = ui.query("SELECT selected_on, method, array_to_string(members, ' + ') AS members, bench, dataset, role, "
                        "n, spearman, kendall, target, note, search_id, created_at FROM ensemble_search_results "
                        "ORDER BY created_at DESC, search_id, role DESC, bench, dataset")
    chosen = ui.choose("Selected on", searches["selected_on"].unique(maintain_order=True).to_list(), key="es_sel")
    picked = searches.filter(pl.col("selected_on") == chosen)
    held = picked.filter(pl.col("role") == "held-out").drop_nulls("spearman")
    st.dataframe(picked, hide_index=True, key="es_table")
    st.caption(f"{picked['search_id'].n_unique()} search(es) selected on {chosen}; best held-out Spearman "
               + (f"{held['spearman'].max():.3f}" if held.height else "none (no other task shares the members)"))
