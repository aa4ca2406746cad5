"""A small database for the app tests, built once per test session from the mirror.

NB201 + TransNAS-Bench-101 (archs and ground truth) and the NASWOT release (a real peer proxy over
all 15,625 NB201 cells, plus the cifar10 train+valid accuracies), then evaluation rows if nasdb's
evaluation is available. Both app test modules share the file (built on first use).
"""
from __future__ import annotations

from pathlib import Path

from nasdb import store

JOBS = ["nb201", "tnb101", "naswot"]


def build(base: Path, cache: Path, mirror: Path) -> Path:
    """Path of the shared app test database under ``base`` (pytest's session temp dir)."""
    from ingest.runner import run_jobs

    path = base / "app_db" / "nasdb.duckdb"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    con = store.connect(tmp)
    try:
        run_jobs(con, JOBS, cache=cache, mirror=mirror, progress=False)
    finally:
        con.close()
    tmp.rename(path)
    return path
