"""A database written by the previous nasdb (one `proxies` table, no run pointer) opened by today's readers.

Found by trying it: `nasdb runs list` on such a file died with a DuckDB catalog traceback. Readers now
upgrade the file in place once (the writer's ensure_schema, a short write) and then read; the old rows
are kept as the round-1 upgrade defines (complete runs become history + pointer, peers go to
peer_proxies). Any other unexpected exception is one line, never a traceback.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]

OLD_SCHEMA = """
CREATE TABLE benchmarks (bench VARCHAR PRIMARY KEY, title VARCHAR NOT NULL, n_archs BIGINT NOT NULL,
                         license VARCHAR, source_urls VARCHAR[]);
CREATE TABLE archs (bench VARCHAR, arch_id BIGINT, arch_key VARCHAR, naslib_key VARCHAR, iso_class BIGINT,
                    is_degenerate BOOLEAN, n_conv INTEGER, op_counts MAP(VARCHAR, INTEGER));
CREATE TABLE proxies (bench VARCHAR, arch_id BIGINT, dataset VARCHAR, proxy VARCHAR, value DOUBLE,
                      source VARCHAR, run_id VARCHAR, note VARCHAR);
CREATE TABLE proxy_runs (run_id VARCHAR, proxy VARCHAR, bench VARCHAR, settings JSON, code_version VARCHAR,
                         started_at TIMESTAMP, seconds DOUBLE, n_archs BIGINT, status VARCHAR);
INSERT INTO benchmarks VALUES ('toy', 'Toy', 3, NULL, NULL);
INSERT INTO archs VALUES ('toy', 0, 'a0', NULL, 0, false, 1, NULL), ('toy', 1, 'a1', NULL, 1, false, 2, NULL),
                         ('toy', 2, 'a2', NULL, 2, false, 3, NULL);
INSERT INTO proxy_runs VALUES
  ('fam:toy:done', 'fam', 'toy', '{"sample": null}', '0.1.0', TIMESTAMP '2026-12-01 10:00:00', 1.0, 3, 'complete'),
  ('fam:toy:killed', 'fam', 'toy', '{"sample": null}', '0.1.0', TIMESTAMP '2026-12-01 11:00:00', 1.0, 3, 'running');
INSERT INTO proxies VALUES
  ('toy', 0, '', 'p', 1.5, 'nasdb', 'fam:toy:done', NULL), ('toy', 1, '', 'p', 2.5, 'nasdb', 'fam:toy:done', NULL),
  ('toy', 2, '', 'p', 3.5, 'nasdb', 'fam:toy:done', NULL), ('toy', 0, '', 'p', 9.0, 'nasdb', 'fam:toy:killed', NULL),
  ('toy', 0, '', 'q', 7.0, 'peer:x', NULL, NULL);
"""


def _nasdb(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nasdb.cli", "--db", str(db), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def old_db(tmp_path) -> Path:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(OLD_SCHEMA)
    con.close()
    return path


def test_readers_upgrade_an_old_database_once_and_keep_its_values(old_db):
    first = _nasdb(old_db, "runs", "list")
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert "written by an older nasdb" in first.stderr and "upgrading it in place" in first.stderr
    assert "fam:toy:done" in first.stdout and "fam:toy:killed" not in first.stdout
    rows = _nasdb(old_db, "query", "SELECT arch_id, proxy, value, source FROM proxies ORDER BY ALL",
                  "--format", "csv")
    assert rows.returncode == 0, rows.stderr
    assert "older nasdb" not in rows.stderr                       # upgraded once, not on every open
    assert rows.stdout.split() == ["arch_id,proxy,value,source", "0,p,1.5,nasdb", "0,q,7.0,peer:x",
                                   "1,p,2.5,nasdb", "2,p,3.5,nasdb"]  # the killed run's partial row is gone


def test_an_unexpected_error_is_one_line_not_a_traceback(tmp_path):
    """A damaged `meta` table (not bad input nasdb checks for) trips an internal error: one line, exit 1."""
    path = tmp_path / "odd.duckdb"
    con = duckdb.connect(str(path))
    con.execute(OLD_SCHEMA)
    con.execute("CREATE TABLE meta (oops INTEGER)")  # `meta` with none of its real columns
    con.close()
    out = _nasdb(path, "info")
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("nasdb: internal error: BinderException:") and "NASDB_DEBUG=1" in last
    debug = subprocess.run([sys.executable, "-m", "nasdb.cli", "--db", str(path), "info"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120, env={**os.environ, "NASDB_DEBUG": "1"})
    assert "Traceback" in debug.stderr  # the traceback is there for whoever asks for it
