"""Evaluate a user's proxy values without storing anything: the same numbers ``nasdb eval`` stores.

The values are placed like an import (:mod:`nasdb.proxies.user_values`), then handed to the evaluation
runner as in-memory rows (``runner.compute(..., extra=...)``): correlations with bootstrap CIs, top-k,
nDCG, search simulation and bias come from the same code as stored results. ``rank`` places the proxy
among every stored proxy judged on the same architectures (``within`` = the user's archs).
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import polars as pl

from nasdb import store
from nasdb.evaluate import runner
from nasdb.proxies.user_values import Placed, place, read

SOURCE = "user:unsaved"


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{k: v for k, v in r.items() if k != "settings"} for r in rows], infer_schema_length=None)


def _rank(con, placed: Placed, name: str, extra: pl.DataFrame, f: runner.Filters, s: runner.Settings) -> pl.DataFrame:
    """Spearman of every proxy of the bench on the user's archs; rank among those covering all of them."""
    ids = np.sort(placed.values["arch_id"].unique().to_numpy())
    corr = runner.correlations(con, runner.Filters(f.bench, f.dataset, split=f.split, metric=f.metric),
                               runner.Settings(population=s.population, targets=s.targets, bootstrap=0, seed=s.seed),
                               extra=extra, within=ids)
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
        f = runner.Filters(bench, dataset, [name], [SOURCE], split, metric)
        s = runner.Settings(population=population, targets=targets, bootstrap=bootstrap, seed=seed,
                            **({} if trials is None else {"trials": trials}))
        computed = runner.compute(con, f, s, progress=False, extra=extra)
        out = {t: _frame(rows) for t, rows in computed.out.items()}
        out["rank"] = _rank(con, placed, name, extra, f, s)
    finally:
        if own:
            con.close()
    out["placement"] = pl.DataFrame({
        "rows": [placed.n_rows], "archs": [placed.n_archs], "archs_in_space": [placed.n_space],
        "coverage": [placed.coverage()], "key_formats": [", ".join(f"{n} {k}" for k, n in placed.key_formats.items())],
        "direction": ["min" if lower_is_better else "max"]})
    return out
