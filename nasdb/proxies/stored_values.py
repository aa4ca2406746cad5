"""Store a family's values that are already in memory as one complete run (graph features, ensembles).

A thin door to the scoring harness for callers that hold the writer connection: the values become an
immutable run (``proxy_values``) and, when they cover every arch of the bench, the current one
(rules in :mod:`nasdb.runs`); a subset is a partial run that never displaces a full one.
"""
from __future__ import annotations

import time

import duckdb
import polars as pl

from nasdb.proxies import harness


def store_run(con: duckdb.DuckDBPyConnection, family: str, bench: str, settings: dict, rows: pl.DataFrame,
              seconds: float) -> str:
    """Store ``rows`` (arch_id, dataset, proxy, value, note) as a complete run of ``family``; its run id."""
    n_archs = con.execute("SELECT count(*) FROM archs WHERE bench = ?", [bench]).fetchone()[0]
    ids = rows["arch_id"].unique()
    selection = harness.Selection() if len(ids) == n_archs else harness.Selection.of_ids(ids.to_list())
    job = harness.Job(family=family, bench=bench, proxies=tuple(rows["proxy"].unique(maintain_order=True)),
                      settings=settings, selection=selection)
    return harness.store_frame(con, job, rows, seconds).run_id


class Timer:
    """Seconds since creation (a run records how long it took)."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.t0
