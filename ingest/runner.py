"""Run ingest jobs atomically and idempotently.

Each job runs in one DuckDB transaction: its previous rows (what it OWNS) are deleted and its new
rows inserted, so running it twice gives the same database and a failure or a kill mid-job leaves
the previous content intact. Peer proxy rows get the run id ``ingest:<job>:<digest of its files>``.
"""
from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from types import ModuleType

import duckdb

from ingest import JOBS
from nasdb import runs, sources, store
from nasdb.errors import IngestError


def job(name: str) -> ModuleType:
    if name not in JOBS:
        raise IngestError(f"unknown ingest job {name!r}; known jobs: {', '.join(JOBS)}")
    return importlib.import_module(f"ingest.{name}")


def _record_sources(con: duckdb.DuckDBPyConnection, mod: ModuleType) -> None:
    manifest = sources.manifest()
    con.execute("DELETE FROM sources WHERE ingested_by = ?", [mod.NAME])
    for path in mod.FILES:
        s = manifest[path]
        con.execute(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, now())",
            [s.path, s.origin_url, s.sha256, s.bytes, s.license, s.what, mod.NAME],
        )


def run_job(con: duckdb.DuckDBPyConnection, name: str, cache: Path | None = None,
            mirror: Path | None = None) -> None:
    """Fetch (verified) the job's files and replace its rows in one transaction."""
    mod = job(name)
    files = {p: sources.verified_path(p, cache, mirror) for p in mod.FILES}
    for need in getattr(mod, "NEEDS", []):
        owner = job(need)
        table, pred = next(iter(owner.OWNS.items()))
        if not con.execute(f"SELECT count(*) FROM {table} WHERE {pred}").fetchone()[0]:
            raise IngestError(f"ingest job {name!r} needs job {need!r} to have run first (no rows in {table})")
    with store.transaction(con):
        for table, pred in mod.OWNS.items():
            con.execute(f"DELETE FROM {table} WHERE {pred}")
        mod.load(con, files)
        _record_sources(con, mod)
        if "peer_proxies" in mod.OWNS:
            # peer values are identified by the files they came from, so results can tell when they change
            con.execute(f"UPDATE peer_proxies SET run_id = ? WHERE {mod.OWNS['peer_proxies']}", [_peer_run_id(mod)])
            runs.mark_stale(con)


def _peer_run_id(mod: ModuleType) -> str:
    manifest = sources.manifest()
    files = hashlib.sha256("".join(sorted(manifest[p].sha256 for p in mod.FILES)).encode()).hexdigest()[:12]
    return f"ingest:{mod.NAME}:{files}"


def run_jobs(con: duckdb.DuckDBPyConnection, names: list[str] | None = None, cache: Path | None = None,
             mirror: Path | None = None, progress: bool = True) -> list[str]:
    """Run the named jobs (default: all) in dependency order, with a progress bar."""
    from tqdm import tqdm

    wanted = names or JOBS
    for n in wanted:
        job(n)  # validate names before doing anything
    ordered = [n for n in JOBS if n in wanted]
    bar = tqdm(ordered, desc="ingest", unit="job", disable=not progress)
    for n in bar:
        bar.set_postfix_str(n)
        run_job(con, n, cache, mirror)
    return ordered
