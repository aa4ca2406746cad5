"""Test helpers shared by the ingest suites: kill an ingest job at its worst moment."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def run_job_killed_before_commit(db: Path, job: str, cache: Path, mirror: Path) -> subprocess.CompletedProcess:
    """Run ingest ``job`` on ``db`` in a child that SIGKILLs itself inside the job's write transaction, after its
    old rows were deleted and every new row inserted into the file, before COMMIT."""
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
