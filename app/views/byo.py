"""Evaluate your proxy: upload values, see how they place and how they rank; nothing is written.

The upload goes to a temporary file (the reader wants a file name's suffix) and is evaluated by
``nasdb.evaluate_values`` on this run's read-only snapshot: the same numbers ``nasdb eval`` stores.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
import streamlit as st

from app import db, selection, ui
from nasdb.errors import NasdbError

st.title("Evaluate your proxy")
st.caption("Upload a CSV, Parquet or JSON file (NASLib's zero-cost JSON too) with one value per architecture, "
           "keyed by any encoding the benchmark accepts. Nothing is written to the database: to store it, run "
           "`nasdb proxy import FILE --name NAME --bench BENCH`.")
left, right = st.columns(2)
with left:
    bench = selection.bench("byo")
    datasets = ui.query("SELECT DISTINCT dataset FROM ground_truth WHERE bench = ? ORDER BY 1", bench)["dataset"]
    dataset = ui.choose("Ground-truth dataset / task", datasets.to_list(), key="byo_dataset")
    upload = st.file_uploader("Proxy values", type=["csv", "tsv", "parquet", "json"], key="byo_file")
with right:
    name = st.text_input("Proxy name", value="my_proxy", key="byo_name")
    key_col = st.text_input("Key column (blank: arch / arch_key / key / index ...)", key="byo_key") or None
    value_col = st.text_input("Value column (blank: the only other column)", key="byo_value") or None
    lower = st.checkbox("Lower is better", key="byo_lower")

if upload is None:
    st.info("Upload a file to evaluate it.")
    st.stop()


@st.cache_data(show_spinner="Evaluating ...", max_entries=8)
def _evaluate(path: str, data: bytes, suffix: str, bench: str, dataset: str, name: str, key: str | None,
              value: str | None, lower: bool) -> dict[str, pl.DataFrame] | str:
    from nasdb.evaluate.user import evaluate_values

    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / f"upload{suffix}"
        file.write_bytes(data)
        con = db.connect(Path(path))
        try:
            # nasdb eval's settings: the numbers equal a stored evaluation's, and the baselines' stored rows
            # are reused (nasdb.evaluate.reuse), so only the uploaded proxy is computed
            return evaluate_values(file, bench, dataset, name=name, key=key, value=value, lower_is_better=lower,
                                   con=con)
        except NasdbError as e:
            return str(e).replace(str(file), upload.name)
        finally:
            con.close()


out = _evaluate(str(ui.snapshot_path()), upload.getvalue(), Path(upload.name).suffix.lower(), bench, dataset, name,
                key_col, value_col, lower)
if isinstance(out, str):
    st.error("Not placed: nothing was evaluated (the file's rows must all be placed on architectures)")
    st.code(out, language=None, wrap_lines=True)  # verbatim: keys hold '~' and '|' that Markdown would eat
    st.stop()
placement = out["placement"].row(0, named=True)
c = st.columns(4)
c[0].metric("rows placed", f"{placement['rows']:,}")
c[1].metric("architectures covered", f"{placement['archs']:,}", help=placement["coverage"])
c[2].metric("not covered", f"{placement['archs_in_space'] - placement['archs']:,}")
c[3].metric("key formats", placement["key_formats"])
corr = out["correlations"].filter(pl.col("proxy") == name)
head = corr.row(0, named=True)
ci = f"[{head['spearman_lo']:.3f}, {head['spearman_hi']:.3f}]" if head["spearman_lo"] is not None else ""
mine = rank.filter((pl.col("proxy") == name) & pl.col("same_archs")) if (rank := out["rank"]).height else rank
c = st.columns(2)
c[0].metric(f"Spearman ρ vs {head['dataset']} {head['split']} {head['metric']}",
            "undefined" if head["spearman"] is None else f"{head['spearman']:.3f}", help=head["note"])
c[0].caption(f"95% CI {ci}, n = {head['n']:,}" if ci else f"n = {head['n']:,}")
if mine.height and mine["rank"][0] is not None:
    c[1].metric("Rank among stored proxies on the same archs", f"{mine['rank'][0]} of {mine['of'][0]}")
st.subheader("Correlation with ground truth (95% bootstrap CIs)")
st.dataframe(corr.select("dataset", "split", "metric", "n", "spearman", "spearman_lo", "spearman_hi", "kendall",
                         "kendall_lo", "kendall_hi", "n_missing", "n_nan", "n_inf"), hide_index=True, key="byo_corr")
st.subheader("Rank among stored proxies on the same architectures")
st.dataframe(rank.filter(pl.col("same_archs")).select("rank", "of", "proxy", "proxy_source", "n", "spearman",
                                                      "kendall"), hide_index=True, key="byo_rank")
st.subheader("Top-k")
topk = out["topk"].filter(pl.col("proxy") == name)
st.dataframe(topk.select(c for c in topk.columns if c not in corr.columns or c in ("dataset", "n")),
             hide_index=True, key="byo_topk")
