"""Store a family's values that are already in memory as one complete run (graph features, ensembles).

Interim until the scoring harness (``nasdb/proxies/harness/``) lands: same shape as its entry point
(family, bench, settings, rows ``arch_id, dataset, proxy, value, note``). The run id is a hash of the
settings, so storing the same settings again replaces that run's rows; a run with other settings for
the same proxies of the bench supersedes the older one (one current value per key).
"""
from __future__ import annotations

import hashlib
import json
import time

import duckdb
import polars as pl

from nasdb import store
from nasdb.proxies.registry import code_version


def run_id(family: str, bench: str, settings: dict) -> str:
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]
    return f"{family}:{bench}:{digest}"


def store_run(con: duckdb.DuckDBPyConnection, family: str, bench: str, settings: dict, rows: pl.DataFrame,
              seconds: float) -> str:
    """Write ``rows`` as the complete, current run of ``family`` on ``bench`` in one transaction."""
    rid = run_id(family, bench, settings)
    t = rows.select(pl.lit(bench).alias("bench"), pl.col("arch_id").cast(pl.Int64), pl.col("dataset").cast(pl.String),
                    pl.col("proxy").cast(pl.String), pl.col("value").cast(pl.Float64).fill_nan(None),
                    pl.lit("nasdb").alias("source"), pl.lit(rid).alias("run_id"), pl.col("note").cast(pl.String))
    proxies = t["proxy"].unique().to_list()
    with store.transaction(con):
        con.execute("DELETE FROM proxies WHERE bench = ? AND source = 'nasdb' AND (run_id = ? OR proxy IN "
                    "(SELECT unnest(?)))", [bench, rid, proxies])
        con.execute("UPDATE proxy_runs SET status = 'superseded' WHERE bench = ? AND proxy = ? AND run_id <> ? "
                    "AND status = 'complete' AND run_id NOT IN (SELECT DISTINCT run_id FROM proxies "
                    "WHERE run_id IS NOT NULL)", [bench, family, rid])
        con.execute("DELETE FROM proxy_runs WHERE run_id = ?", [rid])
        con.execute("INSERT INTO proxy_runs VALUES (?, ?, ?, ?, ?, now(), ?, ?, 'complete')",
                    [rid, family, bench, json.dumps(settings), code_version(), seconds,
                     t["arch_id"].n_unique()])
        con.register("_stored_rows", t)
        try:
            con.execute("INSERT INTO proxies (bench, arch_id, dataset, proxy, value, source, run_id, note) "
                        "SELECT bench, arch_id, dataset, proxy, value, source, run_id, note FROM _stored_rows")
        finally:
            con.unregister("_stored_rows")
    return rid


class Timer:
    """Seconds since creation (a run records how long it took)."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.t0
