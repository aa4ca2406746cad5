"""Test helpers shared by the ingest suites: kill an ingest job at its worst moment."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def run_job_killed_before_commit(db: Path, job: str, cache: Path, mirror: Path) -> subprocess.CompletedProcess:
    """Run ingest ``job`` on ``db`` in a child that SIGKILLs itself after ``load`` wrote every row, before COMMIT."""
    script = textwrap.dedent(f"""
        import importlib, os, signal
        from pathlib import Path
        from ingest.runner import run_job
        from nasdb import store
        mod = importlib.import_module("ingest.{job}")
        original = mod.load
        def load_then_die(con, files):
            original(con, files)
            os.kill(os.getpid(), signal.SIGKILL)
        mod.load = load_then_die
        run_job(store.connect({str(db)!r}), {job!r}, Path({str(cache)!r}), Path({str(mirror)!r}))
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True)
