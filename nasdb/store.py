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
from nasdb.errors import NasdbError

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
CREATE TABLE IF NOT EXISTS ground_truth_versions (
    bench       VARCHAR NOT NULL,       -- which files the ground truth of (bench, source) came from: results
    source      VARCHAR NOT NULL,       -- judged against an older version are stale
    version     VARCHAR NOT NULL,       -- ingest:<job>:<digest of its files' sha256>
    ingested_by VARCHAR NOT NULL
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
CREATE TABLE IF NOT EXISTS value_series (
    series   INTEGER PRIMARY KEY,       -- a small code per (dataset, proxy): history stores numbers only
    dataset  VARCHAR NOT NULL,
    proxy    VARCHAR NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS value_series_names ON value_series (dataset, proxy);
CREATE TABLE IF NOT EXISTS run_values (
    run_no   INTEGER NOT NULL,          -- history, compact: proxy_runs.run_no, value_series.series (the
    series   INTEGER NOT NULL,          -- `proxy_values` view joins the names back); never changed by another run
    arch_id  BIGINT  NOT NULL,
    value    DOUBLE
);
CREATE TABLE IF NOT EXISTS run_notes (
    run_no   INTEGER NOT NULL,          -- the few values that carry a note (most have none)
    series   INTEGER NOT NULL,
    arch_id  BIGINT  NOT NULL,
    note     VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS peer_proxies (
    bench    VARCHAR NOT NULL,          -- values published by others, replaced atomically by their ingest job
    arch_id  BIGINT  NOT NULL,
    dataset  VARCHAR NOT NULL,
    proxy    VARCHAR NOT NULL,
    value    DOUBLE,
    source   VARCHAR NOT NULL,          -- peer:<publisher>
    run_id   VARCHAR,                   -- ingest:<job>:<digest of its source files>
    note     VARCHAR
);
CREATE TABLE IF NOT EXISTS arch_sets (
    bench    VARCHAR NOT NULL,
    arch_id  BIGINT  NOT NULL,
    set_name VARCHAR NOT NULL,             -- e.g. graf:unique_nets (a publisher's de-duplicated list)
    source   VARCHAR NOT NULL              -- who defines the set
);
CREATE TABLE IF NOT EXISTS proxy_runs (
    run_id         VARCHAR PRIMARY KEY,
    proxy          VARCHAR NOT NULL,    -- the proxy family (nasgraph, zc, import, ...)
    bench          VARCHAR,
    settings       JSON,                -- everything that changes the values
    code_version   VARCHAR,
    started_at     TIMESTAMP,
    seconds        DOUBLE,              -- compute wall time, over every attempt of the run
    n_archs        BIGINT,
    status         VARCHAR,             -- complete / pruned (values deleted by `nasdb runs prune`)
    source         VARCHAR,             -- proxies.source of the run's values
    proxies        VARCHAR[],           -- proxy names the run computes
    selection      JSON,                -- all / sample N seed / set NAME / ids
    scope          VARCHAR,             -- full (every arch, primary settings) / partial (sample, reference...)
    run_key        VARCHAR,             -- digest of family, bench, source, proxies, settings and archs
    finished_at    TIMESTAMP,
    n_rows         BIGINT,
    n_chunks       INTEGER,
    resumed_chunks INTEGER[],           -- chunk numbers taken from verified staged parts of an earlier attempt
    executor       JSON,                -- where chunks were computed
    merge_seconds  DOUBLE,              -- time the merge held the database open for writing
    run_no         INTEGER              -- the run's number in run_values (unique, assigned when stored)
);
CREATE TABLE IF NOT EXISTS current_runs (
    bench    VARCHAR NOT NULL,          -- which run's values `proxies` shows, per proxy
    proxy    VARCHAR NOT NULL,
    source   VARCHAR NOT NULL,
    run_id   VARCHAR NOT NULL,
    since    TIMESTAMP,
    PRIMARY KEY (bench, proxy, source)
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

VIEWS = """
CREATE VIEW IF NOT EXISTS proxy_values AS
SELECT r.run_id, v.arch_id, s.dataset, s.proxy, v.value, n.note
FROM run_values v JOIN proxy_runs r USING (run_no) JOIN value_series s USING (series)
LEFT JOIN run_notes n USING (run_no, series, arch_id);
CREATE VIEW IF NOT EXISTS proxies AS
SELECT c.bench, v.arch_id, s.dataset, s.proxy, v.value, c.source, c.run_id, n.note
FROM current_runs c JOIN proxy_runs r USING (run_id) JOIN value_series s ON s.proxy = c.proxy
JOIN run_values v ON v.run_no = r.run_no AND v.series = s.series
LEFT JOIN run_notes n ON n.run_no = v.run_no AND n.series = v.series AND n.arch_id = v.arch_id
UNION ALL
SELECT bench, arch_id, dataset, proxy, value, source, run_id, note FROM peer_proxies;
"""

PUBLIC_TABLES = ("benchmarks", "archs", "ground_truth", "costs", "proxies", "proxy_values", "current_runs",
                 "peer_proxies", "proxy_runs", "sources", "arch_sets")


def connect(db: str | Path | None = None, read_only: bool = False, create: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database: readers share it, a writer gets the schema (see :mod:`nasdb.dbfile` for the waits).

    Commands that only read or change an existing database pass ``create=False`` (through
    ``dbfile.writing``), so a mistyped ``--db`` never leaves an empty database behind.
    """
    from nasdb import dbfile

    if read_only:
        con = dbfile.open_reader(db)
        gaps = schema_gaps(con)
        if gaps:  # written by an older nasdb: upgrade it once (a short write), then read
            con.close()
            _upgrade(db, gaps)
            con = dbfile.open_reader(db)
        return con
    con = dbfile.open_writer(db, create=create)
    con.execute("SET enable_progress_bar = false")
    ensure_schema(con)
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables and views; upgrade databases of older models in place (once, in one transaction)."""
    con.execute(SCHEMA)
    _add_missing_columns(con, "proxy_runs")
    if _table_type(con, "proxies") == "BASE TABLE":
        _upgrade_proxies_table(con)
    if _table_type(con, "proxy_values") == "BASE TABLE":
        _compact_history(con)
    con.execute("CREATE UNIQUE INDEX IF NOT EXISTS proxy_runs_no ON proxy_runs (run_no)")
    con.execute(VIEWS)


def _table_type(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    row = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    return row[0] if row else None


def _schema_columns(table: str) -> dict[str, str]:
    """Column name -> type of ``table`` as SCHEMA declares it."""
    body = SCHEMA.split(f"CREATE TABLE IF NOT EXISTS {table} (")[1].split(");")[0]
    parts = (line.split("--")[0].strip().rstrip(",").split() for line in body.splitlines())
    return {p[0]: p[1] for p in parts if len(p) >= 2 and p[0] != "PRIMARY"}


def _add_missing_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Columns of ``table`` in SCHEMA that an older database lacks (columns are only ever added)."""
    have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                                      [table]).fetchall()}
    for name, kind in _schema_columns(table).items():
        if name not in have:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def schema_gaps(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What a database written by an older nasdb lacks of today's schema (empty: it is current)."""
    have = dict(con.execute("SELECT table_name, 'BASE TABLE' FROM duckdb_tables() UNION ALL "  # every read-open
                            "SELECT view_name, 'VIEW' FROM duckdb_views() WHERE NOT internal").fetchall())  # asks: cheap
    wanted = [part.split("(")[0].strip() for part in SCHEMA.split("CREATE TABLE IF NOT EXISTS ")[1:]]
    gaps = [f"table {t}" for t in wanted if t not in have]
    if have.get("proxies") != "VIEW":
        gaps.append("the proxies view")
    if "proxy_runs" in have:
        cols = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() "
                                          "WHERE table_name = 'proxy_runs'").fetchall()}
        gaps += [f"column proxy_runs.{c}" for c in _schema_columns("proxy_runs") if c not in cols]
    return gaps


class DatabaseOutdated(NasdbError):
    """A database of an older schema that cannot be upgraded here (e.g. a read-only file)."""


def _upgrade(db: str | Path | None, gaps: list[str]) -> None:
    """Bring an older database to today's schema in place (the writer's ensure_schema), saying so once."""
    import sys

    from nasdb import dbfile

    path = config.db_path(db)
    print(f"nasdb: {path.name} was written by an older nasdb (it lacks {', '.join(gaps[:3])}"
          f"{' ...' if len(gaps) > 3 else ''}); upgrading it in place (once) ...", file=sys.stderr, flush=True)
    try:
        con = dbfile.open_writer(db, create=False)
    except dbfile.DatabaseBusy:
        raise
    except (duckdb.Error, OSError, NasdbError) as e:
        raise DatabaseOutdated(f"{path} was written by an older nasdb and cannot be upgraded here ({e}); "
                               "open it once with write access, or rebuild it with `nasdb build`") from e
    try:
        ensure_schema(con)
    finally:
        dbfile.close_writer(con, db)


def _upgrade_proxies_table(con: duckdb.DuckDBPyConnection) -> None:
    """Oldest model: one ``proxies`` table. Complete nasdb runs become history + pointer, peers go to peer_proxies;
    rows of unfinished runs are dropped (they were never a complete value set). The history lands in a
    ``proxy_values`` table, which :func:`_compact_history` then compacts."""
    with transaction(con):
        con.execute("INSERT INTO peer_proxies SELECT bench, arch_id, dataset, proxy, value, source, run_id, note "
                    "FROM proxies WHERE source LIKE 'peer:%'")
        con.execute("INSERT INTO current_runs SELECT DISTINCT bench, proxy, source, run_id, now() FROM proxies "
                    "WHERE source NOT LIKE 'peer:%' AND run_id IN (SELECT run_id FROM proxy_runs WHERE status = 'complete')")
        con.execute("CREATE TABLE proxy_values AS SELECT run_id, arch_id, dataset, proxy, value, note "
                    "FROM proxies SEMI JOIN current_runs USING (run_id, proxy)")
        con.execute("UPDATE proxy_runs r SET source = c.source, proxies = c.proxies FROM (SELECT run_id, "
                    "any_value(source) AS source, list(proxy ORDER BY proxy) AS proxies FROM current_runs GROUP BY run_id) c "
                    "WHERE r.run_id = c.run_id")
        con.execute("UPDATE proxy_runs SET finished_at = started_at, scope = CASE WHEN settings->>'sample' IS NULL "
                    "AND coalesce(settings->>'mode', '') <> 'reference' THEN 'full' ELSE 'partial' END")
        con.execute("DELETE FROM proxy_runs WHERE status <> 'complete'")
        con.execute("DROP TABLE proxies")


def _compact_history(con: duckdb.DuckDBPyConnection) -> None:
    """Previous model: history as a ``proxy_values`` table of strings per value. Number the runs, code the
    (dataset, proxy) series, move the values to run_values/run_notes; ``proxy_values`` becomes a view."""
    with transaction(con):
        con.execute("UPDATE proxy_runs r SET run_no = n.run_no FROM (SELECT run_id, row_number() OVER "
                    "(ORDER BY finished_at NULLS FIRST, run_id) AS run_no FROM proxy_runs) n WHERE r.run_id = n.run_id")
        con.execute("INSERT INTO value_series SELECT row_number() OVER (ORDER BY dataset, proxy), dataset, proxy "
                    "FROM (SELECT DISTINCT dataset, proxy FROM proxy_values)")
        coded = ("FROM proxy_values v JOIN proxy_runs r ON r.run_id = v.run_id "
                 "JOIN value_series s ON s.dataset = v.dataset AND s.proxy = v.proxy")
        con.execute(f"INSERT INTO run_values SELECT r.run_no, s.series, v.arch_id, v.value {coded}")
        con.execute(f"INSERT INTO run_notes SELECT r.run_no, s.series, v.arch_id, v.note {coded} WHERE v.note IS NOT NULL")
        con.execute("DROP VIEW IF EXISTS proxies")
        con.execute("DROP TABLE proxy_values")


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
