"""Search results in the database: a run, its per-seed trials and its best-so-far curves.

A search run is immutable: its id is a digest of everything that determines its values (algorithm,
settings, table, budget, seeds, code version), so the same command reproduces the same id and the
same rows; a run that is already stored is never rewritten. All rows of a run are written in one
short transaction.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from nasdb import __version__, store
from nasdb.search.replay import Replay, curves, finals

DDL = """
CREATE TABLE IF NOT EXISTS search_runs (
    run_id        VARCHAR PRIMARY KEY,  -- search:<algo>:<bench>:<digest of settings + code version>
    algo          VARCHAR NOT NULL,     -- random / re / local / autoshrink / zc-warmstart
    bench         VARCHAR NOT NULL,
    dataset       VARCHAR NOT NULL,     -- dataset whose validation value a query returns
    test_dataset  VARCHAR NOT NULL,     -- dataset whose test value is reported for the incumbent
    proxy         VARCHAR,              -- proxy used by the algorithm (zc-warmstart, autoshrink --proxy)
    budget        INTEGER NOT NULL,     -- queries per trial
    time_budget   DOUBLE,               -- simulated training seconds per trial, if set
    n_seeds       INTEGER NOT NULL,
    n_archs       BIGINT NOT NULL,      -- archs in the replay table (those with a validation value)
    settings      JSON,                 -- algorithm settings, seeds, where every table column came from
    code_version  VARCHAR,
    started_at    TIMESTAMP,
    seconds       DOUBLE,               -- wall time of all trials
    queries_per_second DOUBLE,          -- queries answered per wall-clock second
    valid_mean    DOUBLE,               -- final incumbent's validation value, mean over seeds
    valid_std     DOUBLE,
    test_mean     DOUBLE,               -- final incumbent's test value, mean over seeds (NULL: no test split)
    test_std      DOUBLE,
    test_lo       DOUBLE,               -- 95% t-interval of the mean
    test_hi       DOUBLE
);
CREATE TABLE IF NOT EXISTS search_trials (
    run_id        VARCHAR NOT NULL,
    seed          BIGINT NOT NULL,
    arch_id       BIGINT,               -- final incumbent
    arch_key      VARCHAR,
    valid         DOUBLE,
    test          DOUBLE,
    queries       INTEGER,              -- queries spent (a re-trained arch counts again)
    unique_queries INTEGER,
    sim_seconds   DOUBLE,               -- simulated training time spent (NULL: the benchmark has none)
    proxy_evals   INTEGER               -- proxy look-ups (free of training)
);
CREATE TABLE IF NOT EXISTS search_curves (
    run_id        VARCHAR NOT NULL,
    queries       INTEGER NOT NULL,     -- after this many queries
    n_seeds       INTEGER,
    valid_mean    DOUBLE,               -- incumbent's validation value: mean, std, 95% CI of the mean
    valid_std     DOUBLE,
    valid_lo      DOUBLE,
    valid_hi      DOUBLE,
    test_mean     DOUBLE,               -- incumbent's test value (never used by the search)
    test_std      DOUBLE,
    test_lo       DOUBLE,
    test_hi       DOUBLE,
    sim_seconds_mean DOUBLE             -- mean simulated training time spent so far
);
"""

TABLES = ("search_runs", "search_trials", "search_curves")


def code_version() -> str:
    """nasdb version + a hash of the search code, so stored rows name the code that made them."""
    h = hashlib.sha1()
    for p in sorted(Path(__file__).parent.glob("*.py")):
        h.update(p.read_bytes())
    return f"{__version__}+{h.hexdigest()[:10]}"


def settings_of(r: Replay, dataset: str, test_dataset: str, proxy: str | None, seeds: list[int]) -> dict:
    return {"algo": r.algo, "bench": r.table.bench, "dataset": dataset, "test_dataset": test_dataset,
            "proxy": proxy, "budget": r.budget, "time_budget": r.time_budget, "seeds": seeds,
            "algorithm": r.settings, "columns": r.table.sources, "n_archs": len(r.table),
            "rng": "numpy.random.default_rng(seed)", "code_version": code_version()}


def run_id(settings: dict) -> str:
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    return f"search:{settings['algo']}:{settings['bench']}:{digest}"


def _none(x) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def write(con: duckdb.DuckDBPyConnection, r: Replay, settings: dict) -> tuple[str, bool]:
    """Store the run (one transaction); returns (run_id, written). An existing run id is left as it is."""
    con.execute(DDL)
    rid = run_id(settings)
    if con.execute("SELECT 1 FROM search_runs WHERE run_id = ?", [rid]).fetchone():
        return rid, False
    trials = pl.DataFrame(finals(r)).with_columns(run_id=pl.lit(rid))
    c = curves(r)
    curve = pl.DataFrame({k: v for k, v in c.items() if k != "test_n"}).rename({"valid_n": "n_seeds"})
    curve = curve.with_columns(run_id=pl.lit(rid))
    curve = curve.with_columns([pl.col(col).fill_nan(None) for col in curve.columns if curve[col].dtype == pl.Float64])
    test = trials["test"].drop_nulls().to_numpy()
    valid = trials["valid"].drop_nulls().to_numpy()
    last = {k: v[-1] if len(v) else None for k, v in c.items()}
    with store.transaction(con):
        con.execute(
            "INSERT INTO search_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [rid, r.algo, r.table.bench, settings["dataset"], settings["test_dataset"], settings["proxy"],
             r.budget, r.time_budget, len(r.trials), len(r.table), json.dumps(settings), settings["code_version"],
             datetime.now(timezone.utc).replace(tzinfo=None), r.wall_seconds,
             r.queries / r.wall_seconds if r.wall_seconds > 0 else None,
             _none(valid.mean() if len(valid) else None), _none(valid.std(ddof=1) if len(valid) > 1 else None),
             _none(test.mean() if len(test) else None), _none(test.std(ddof=1) if len(test) > 1 else None),
             _none(last.get("test_lo")), _none(last.get("test_hi"))])
        con.register("_search_trials", trials.to_arrow())
        con.execute("INSERT INTO search_trials BY NAME SELECT * FROM _search_trials")
        con.unregister("_search_trials")
        con.register("_search_curves", curve.to_arrow())
        con.execute("INSERT INTO search_curves BY NAME SELECT * FROM _search_curves")
        con.unregister("_search_curves")
    return rid, True
