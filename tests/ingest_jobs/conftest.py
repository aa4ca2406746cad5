"""A database with NB201 and the TNB101/cost/peer ingest jobs run from the mirror (no NB101: another suite)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nasdb import sources, store

MINE = ["nb201", "tnb101", "hwnas", "help_latency", "robustness", "naswot", "suite_zero", "graf"]
CONTENT_TABLES = ("benchmarks", "archs", "ground_truth", "costs", "proxies", "arch_sets")


def checksum(con) -> dict[str, tuple]:
    """Row count and an order-independent hash of every row, per content table (not the sources timestamps)."""
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return {t: con.execute(f"SELECT count(*), sum(hash(r)::HUGEINT) FROM {t} r").fetchone()
            for t in CONTENT_TABLES if t in present}


@pytest.fixture(scope="session")
def jobs_db(ingested) -> Path:
    """Treat as read-only; copy it (``db_copy``) to change it."""
    return ingested(*MINE)


@pytest.fixture()
def db(jobs_db):
    con = store.connect(jobs_db, read_only=True)
    yield con
    con.close()


@pytest.fixture()
def db_copy(jobs_db, tmp_path) -> Path:
    path = tmp_path / "nasdb.duckdb"
    shutil.copy(jobs_db, path)
    return path


@pytest.fixture()
def files(cache, mirror):
    """Verified local paths of a job's sources: ``files(job_module)``."""
    return lambda mod: {p: sources.verified_path(p, cache, mirror) for p in mod.FILES}
