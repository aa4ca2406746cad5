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
def built_db(tmp_path_factory, cache, mirror) -> Path:
    """A database with every ingest job run from the mirror (no scores). Treat as read-only."""
    from ingest.runner import run_jobs

    path = tmp_path_factory.mktemp("db") / "nasdb.duckdb"
    con = store.connect(path)
    run_jobs(con, cache=cache, mirror=mirror, progress=False)
    con.close()
    return path
