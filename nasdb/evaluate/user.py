"""Evaluate a user's proxy values without storing anything: the same numbers ``nasdb eval`` stores.

The values are placed like an import (:mod:`nasdb.proxies.user_values`), then handed to the evaluation
runner as in-memory rows (``runner.compute(..., extra=...)``): correlations with bootstrap CIs, top-k,
nDCG, search simulation and bias come from the same code as stored results (the baselines' stored rows
are reused when computed from identical inputs). ``rank`` places the proxy among every stored proxy
judged on the same architectures (each proxy's pairs narrowed to the user's archs).
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import polars as pl

from nasdb import store
from nasdb.evaluate import correlation, runner, schema
from nasdb.proxies.user_values import place, read

SOURCE = "user:unsaved"


def _frame(table: str, rows: list[dict]) -> pl.DataFrame:
    """Rows as a DataFrame in the stored table's column order (without run_id and settings)."""
    df = pl.DataFrame([{k: v for k, v in r.items() if k != "settings"} for r in rows], infer_schema_length=None)
    return df.select([c for c in schema.columns(table) if c in df.columns])


def _rank(jobs: list, ids: np.ndarray, name: str) -> pl.DataFrame:
    """Spearman of every proxy of the bench on the user's archs ``ids``; rank among those covering all of them."""
    rows = []
    for job in jobs:
        t = job.target
        for (proxy, source), p in job.proxies.items():
            p = p.subset(ids)
            c = correlation.correlate(p.x, p.goodness, resamples=0)
            rows.append({"dataset": t.dataset, "split": t.split, "metric": t.metric, "gt_source": t.gt_source,
                         "proxy": proxy, "proxy_source": source, "n": c.n, "spearman": c.spearman,
                         "kendall": c.kendall, "note": c.note})
    corr = pl.DataFrame(rows, schema_overrides={"spearman": pl.Float64, "kendall": pl.Float64, "note": pl.Utf8})
    target = ["dataset", "split", "metric", "gt_source"]
    mine = corr.filter((pl.col("proxy") == name) & (pl.col("proxy_source") == SOURCE)).select(*target, n_user="n")
    out = (corr.join(mine, on=target).with_columns(same_archs=pl.col("n") == pl.col("n_user"))
           .with_columns(rank=pl.when(pl.col("same_archs") & pl.col("spearman").is_not_null())
                         .then(pl.col("spearman").rank("min", descending=True).over(*target, "same_archs"))
                         .cast(pl.Int64))
           .with_columns(of=pl.col("rank").count().over(*target)))
    return out.select(*target, "rank", "of", "proxy", "proxy_source", "n", "spearman", "kendall", "same_archs",
                      "note").sort(*target, "rank", nulls_last=True)


def evaluate_values(values: str | Path | pl.DataFrame | Mapping, bench: str, dataset: str | None = None,
                    name: str = "my_proxy", key: str | None = None, value: str | None = None,
                    proxy_dataset: str | None = None, lower_is_better: bool = False, allow_missing: bool = True,
                    population: str = "all", targets: str = "primary", bootstrap: int = 1000, seed: int = 0,
                    trials: int | None = None, split: str | None = None, metric: str | None = None,
                    db=None, con=None) -> dict[str, pl.DataFrame]:
    """Evaluate ``values`` (a file, a DataFrame with key/value columns, or a mapping arch -> value) of ``bench``
    against ground truth (``dataset``: one ground-truth dataset, default all); nothing is written.

    Returns DataFrames: ``placement`` (rows, key formats, coverage), ``correlations``, ``topk``,
    ``search_sim``, ``bias`` (as ``nasdb eval`` stores them, proxy_source ``user:unsaved``) and ``rank``.
    ``con``: an open (read-only) connection to use instead of opening ``db`` (the app's sandboxed snapshot).
    """
    if isinstance(values, Mapping):
        values = pl.DataFrame({"key": [str(k) for k in values], "value": [str(v) for v in values.values()]})
    table = read(values, key, value, name)
    own = con is None
    con = store.connect(db, read_only=True) if own else con
    try:
        placed = place(con, bench, table, proxy_dataset, allow_missing)
        sign = -1.0 if lower_is_better else 1.0
        extra = placed.values.select(bench=pl.lit(bench), arch_id="arch_id", dataset="dataset", proxy=pl.lit(name),
                                     source=pl.lit(SOURCE), value=pl.col("value") * sign)
        s = runner.Settings(population=population, targets=targets, bootstrap=bootstrap, seed=seed,
                            **({} if trials is None else {"trials": trials}))
        # every proxy, read and paired once: the user's proxy and the baselines are evaluated (stored rows of the
        # baselines computed from identical inputs are reused), every proxy is ranked on the user's archs
        every = runner.plan(con, runner.Filters(bench, dataset, split=split, metric=metric), s, extra)
        computed = runner.compute(con, runner.Filters(bench, dataset, [name], [SOURCE], split, metric), s,
                                  progress=False, jobs=runner.select(every, [name], [SOURCE]))
        out = {t: _frame(t, rows) for t, rows in computed.out.items()}
        out["rank"] = _rank(every, np.sort(placed.values["arch_id"].unique().to_numpy()), name)
    finally:
        if own:
            con.close()
    out["placement"] = pl.DataFrame({
        "rows": [placed.n_rows], "archs": [placed.n_archs], "archs_in_space": [placed.n_space],
        "coverage": [placed.coverage()], "key_formats": [", ".join(f"{n} {k}" for k, n in placed.key_formats.items())],
        "direction": ["min" if lower_is_better else "max"]})
    return out
