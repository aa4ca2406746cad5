"""Test helpers shared by the suites: kill an ingest job at its worst moment; read a database file."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from nasdb import store


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of one query on a read-only connection, closed again (so the test's next command can write)."""
    con = store.connect(db, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def cli_killed_before_commit(db: Path, argv: list[str]) -> subprocess.CompletedProcess:
    """Run ``nasdb --db DB ARGV`` in a child that SIGKILLs itself inside an ingest's write transaction, after the
    changed tables' old rows were deleted and the new ones inserted into the file, before COMMIT."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        from nasdb import cli, runs
        runs.mark_stale = lambda con: os.kill(os.getpid(), signal.SIGKILL)  # the transaction's last step
        sys.exit(cli.main(["--db", {str(db)!r}, *{argv!r}]))
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True)


def run_job_killed_before_commit(db: Path, job: str, cache: Path, mirror: Path) -> subprocess.CompletedProcess:
    """Run ingest ``job`` on ``db`` in a child that SIGKILLs itself inside the job's write transaction, after the
    old rows of every table that changed were deleted and the new ones inserted into the file, before COMMIT."""
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from ingest import runner
        from nasdb import store
        original = runner._record_sources
        def record_then_die(con, mod):
            original(con, mod)
            os.kill(os.getpid(), signal.SIGKILL)
        runner._record_sources = record_then_die
        runner.run_job(store.connect({str(db)!r}), {job!r}, Path({str(cache)!r}), Path({str(mirror)!r}))
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True)
