"""The DuckDB file: the public SQL schema and the one way to write to it atomically.

The tables below are the public contract that SQL users, the app and exports rely on. Columns may
be added; names are not changed. Writers group their work in :func:`transaction`, so that a failure
or a kill leaves the previous content intact (DuckDB discards uncommitted work on reopen).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from nasdb import config

if TYPE_CHECKING:
    import polars as pl

SCHEMA = """
CREATE TABLE IF NOT EXISTS benchmarks (
    bench        VARCHAR PRIMARY KEY,   -- nb201, tnb101_micro, tnb101_macro, nb101, nds_*
    title        VARCHAR NOT NULL,
    n_archs      BIGINT  NOT NULL,
    license      VARCHAR,
    source_urls  VARCHAR[]
);
CREATE TABLE IF NOT EXISTS archs (
    bench         VARCHAR NOT NULL,
    arch_id       BIGINT  NOT NULL,     -- official index where the benchmark has one
    arch_key      VARCHAR NOT NULL,     -- the benchmark's own string (NB201 cell string, TNB101 name, NB101 hash)
    naslib_key    VARCHAR,              -- NASLib tuple, e.g. '(4, 3, 3, 0, 0, 0)'
    iso_class     BIGINT,               -- smallest arch_id computing the same function (NB201)
    is_degenerate BOOLEAN,              -- output disconnected from input (NB201)
    n_conv        INTEGER,              -- number of convolution ops in the cell
    op_counts     MAP(VARCHAR, INTEGER),
    PRIMARY KEY (bench, arch_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS archs_key ON archs (bench, arch_key);
CREATE TABLE IF NOT EXISTS ground_truth (
    bench            VARCHAR NOT NULL,
    arch_id          BIGINT  NOT NULL,
    dataset          VARCHAR NOT NULL,  -- dataset or task (TNB101)
    split            VARCHAR NOT NULL,  -- train / valid / test
    metric           VARCHAR NOT NULL,  -- accuracy, top1, top5, loss, ssim, mIoU, ...
    epochs           INTEGER,           -- training budget
    value            DOUBLE,
    higher_is_better BOOLEAN NOT NULL,
    aggregation      VARCHAR NOT NULL,  -- mean_over_seeds, single_run, max_over_epochs, ...
    source           VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS costs (
    bench    VARCHAR NOT NULL,
    arch_id  BIGINT  NOT NULL,
    dataset  VARCHAR NOT NULL,
    metric   VARCHAR NOT NULL,          -- e.g. edgegpu_latency, params, help_latency:1080ti_1
    value    DOUBLE,
    unit     VARCHAR,
    source   VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS proxies (
    bench    VARCHAR NOT NULL,
    arch_id  BIGINT  NOT NULL,
    dataset  VARCHAR NOT NULL,          -- dataset/task the proxy was computed for ('' if data-free and task-free)
    proxy    VARCHAR NOT NULL,
    value    DOUBLE,                    -- NULL when it could not be computed; see note
    source   VARCHAR NOT NULL,          -- nasdb (own) or peer:<publisher>
    run_id   VARCHAR,                   -- proxy_runs.run_id for nasdb's own values
    note     VARCHAR                    -- why value is NULL, or a caveat
);
CREATE TABLE IF NOT EXISTS arch_sets (
    bench    VARCHAR NOT NULL,
    arch_id  BIGINT  NOT NULL,
    set_name VARCHAR NOT NULL,             -- e.g. graf:unique_nets (a publisher's de-duplicated list)
    source   VARCHAR NOT NULL              -- who defines the set
);
CREATE TABLE IF NOT EXISTS proxy_runs (
    run_id       VARCHAR PRIMARY KEY,
    proxy        VARCHAR NOT NULL,
    bench        VARCHAR,
    settings     JSON,
    code_version VARCHAR,
    started_at   TIMESTAMP,
    seconds      DOUBLE,
    n_archs      BIGINT,
    status       VARCHAR                -- running / complete
);
CREATE TABLE IF NOT EXISTS sources (
    path        VARCHAR PRIMARY KEY,    -- manifest path, as in ingest/sources.toml
    origin_url  VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,
    bytes       BIGINT,
    license     VARCHAR,
    what        VARCHAR,
    ingested_by VARCHAR,                -- ingest job name
    ingested_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);
"""

PUBLIC_TABLES = ("benchmarks", "archs", "ground_truth", "costs", "proxies", "proxy_runs", "sources", "arch_sets")


def connect(db: str | Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database (creating it and its schema unless ``read_only``)."""
    path = config.db_path(db)
    if read_only:
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("SET enable_progress_bar = false")
    con.execute(SCHEMA)
    return con


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All-or-nothing block: commit on success, roll back on any exception."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> pl.DataFrame:
    """Run a query and return a polars DataFrame (empty for statements that return no rows).

    DuckDB 2 dropped ``execute(...).pl()``; a relation from ``con.sql`` still has it, but refuses to
    run while an earlier ``execute(...).fetchone()`` left its result unfinished, so finish that first.
    """
    import polars as pl

    con.complete()
    rel = con.sql(sql, params=params or None)
    return rel.pl() if rel is not None else pl.DataFrame()
