"""Shared fixtures: the mirror, and databases built from it once per test session."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from nasdb import store

MIRROR = Path(os.environ.get("NASDB_MIRROR") or Path(__file__).resolve().parents[2] / "shared" / "benchdata")


@pytest.fixture(scope="session")
def mirror() -> Path:
    if not (MIRROR / "SOURCES.tsv").is_file():
        pytest.fail(f"benchmark mirror not found at {MIRROR}; set NASDB_MIRROR to ../shared/benchdata")
    return MIRROR


@pytest.fixture(scope="session")
def cache(tmp_path_factory, mirror) -> Path:
    """One verified download cache for the whole session (filled from the mirror)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def ingested(tmp_path_factory, cache, mirror):
    """Factory ``ingested(*jobs) -> Path``: a database with those ingest jobs run from the mirror.

    Each job set is built once per session and shared, so treat the file as read-only: copy it
    (``shutil.copy``) before writing. ``ingested()`` runs every job.
    """
    from ingest.runner import run_jobs

    built: dict[tuple[str, ...], Path] = {}

    def make(*jobs: str) -> Path:
        if jobs not in built:
            path = tmp_path_factory.mktemp("db") / "nasdb.duckdb"
            con = store.connect(path, create=True)
            run_jobs(con, list(jobs) or None, cache=cache, mirror=mirror, progress=False)
            con.close()
            built[jobs] = path
        return built[jobs]

    return make
