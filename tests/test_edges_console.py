"""The SQL console against the fuzzing campaign's hostile queries (issue 10): every answer is a message or a
bounded result, inside the time limit, the server process does not grow, and no server path is shown."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from app import console
from nasdb import store

LIMIT = 4.0  # seconds charged to a query (the worker's start-up is not)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("console") / "snap.duckdb"
    con = store.connect(path)
    con.execute("INSERT INTO archs (bench, arch_id, arch_key) SELECT 'toy', i, 'a' || i FROM range(100) t(i)")
    con.close()
    return path


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
def test_hostile_queries_stay_inside_the_budgets(db):
    before = _rss_mb()
    results = {sql: console.run(sql, 10_000, LIMIT, db) for sql in [
        "SELECT list(range(100000000)) AS l",            # one 800 MB value
        "SELECT repeat('x', 2000000000) AS s",           # one 2 GB string
        "SELECT repeat('x', 1000000) AS s FROM range(1000)",  # 1 GB in 1 MB rows
        "SELECT count(*) FROM range(1000000000000)",    # runs for hours
    ]}
    for sql, r in results.items():
        assert r.seconds is not None and r.seconds < LIMIT + 1.0, (sql, r.seconds)
        if r.error is None:  # only the rows that fit the result budget came back
            assert r.truncated == "bytes" and r.frame.estimated_size() <= console.RESULT_BYTES, sql
        else:
            assert "Out of Memory" in r.error or "time limit" in r.error, (sql, r.error)
    assert "time limit" in results["SELECT count(*) FROM range(1000000000000)"].error
    assert _rss_mb() - before < 150, "the server process grew"


def test_a_normal_query_and_the_row_limit(db):
    r = console.run("SELECT arch_id FROM archs ORDER BY arch_id", 30, 60.0, db)
    assert r.error is None and r.frame["arch_id"].to_list() == list(range(30)) and r.truncated == "rows"
    r = console.run("SELECT count(*) AS n FROM archs", 30, 60.0, db)
    assert r.frame["n"].to_list() == [100] and r.truncated is None


@pytest.mark.parametrize("sql, says", [("INSTALL httpfs", "(an INSTALL statement)"),
                                       ("PRAGMA threads=4", "(a PRAGMA statement that changes a setting"),
                                       ("ATTACH 'x.duckdb'", "(an ATTACH statement)"),
                                       ("  -- a comment\nLOAD httpfs", "(a LOAD statement)"),
                                       ("SET threads = 8", "(a SET statement that changes a setting")])
def test_refusals_name_the_statement_typed(sql, says):
    assert says in console.check(sql)


@pytest.mark.parametrize("sql", [
    "SELECT * FROM duckdb_databases()", "PRAGMA database_list", "SELECT * FROM duckdb_settings()",
    "SELECT current_setting('temp_directory') AS t", "CALL pragma_database_list()",
    "SELECT [path] AS l, {'p': path} AS s, map(['k'], [path]) AS m FROM duckdb_databases() WHERE path IS NOT NULL",
    "SELECT * FROM duckdb_extensions()", "SELECT * FROM read_csv('" + tempfile.gettempdir() + "/x.csv')",
])
def test_no_server_path_is_shown(db, sql):
    r = console.run(sql, 10_000, 60.0, db)
    shown = r.error or str(r.frame.rows())
    for secret in (str(db.parent), str(Path.home()), tempfile.gettempdir(), str(console.ROOT)):
        assert secret not in shown, (sql, shown)
