"""`nasdb build`: fetch -> ingest -> score -> evaluate, each step atomic and resumable on its own."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from nasdb import __version__, sources, store


def score_all(con, progress: bool = True) -> None:
    """NASGraph for every space it knows (each run resumable, replacing the previous complete run)."""
    from nasdb.proxies import registry
    from nasdb.proxies.runs import score_bench

    for bench in registry.BENCH_NAMES:
        score_bench(con, bench, progress=progress)


def build(db: str | Path | None = None, cache: Path | None = None, mirror: Path | None = None,
          progress: bool = True) -> float:
    """Build (or refresh) the whole database; return the wall seconds it took."""
    from ingest.runner import run_jobs

    t0 = time.perf_counter()
    sources.fetch_all(cache=cache, mirror=mirror, progress=progress)
    con = store.connect(db)
    try:
        run_jobs(con, cache=cache, mirror=mirror, progress=progress)
        score_all(con, progress)
        from nasdb.evaluate import evaluate

        evaluate(con, progress=progress)
        seconds = time.perf_counter() - t0
        with store.transaction(con):
            con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [
                ("built_at", datetime.now(timezone.utc).isoformat(timespec="seconds")),
                ("nasdb_version", __version__),
                ("build_seconds", f"{seconds:.1f}"),
            ])
    finally:
        con.close()
    return seconds
