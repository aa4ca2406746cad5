"""`nasdb build`: fetch -> ingest -> score -> evaluate, each step atomic and resumable on its own.

Each step's wall time and the process's peak memory after it are stored in ``meta``
(``step_seconds:<step>``, ``step_peak_rss_mb:<step>``), so a slow or heavy build can be explained.
"""
from __future__ import annotations

import resource
import time
from datetime import datetime, timezone
from pathlib import Path

from nasdb import __version__, dbfile, sources, store


def score_all(db: str | Path | None, progress: bool = True) -> None:
    """NASGraph for every space with architectures in the database (each run resumable; a complete run
    becomes current); spaces nothing was ingested for (e.g. NDS without its files) are skipped. Then the
    size-only zero-cost proxies (params, flops, n_trainable_layers) where they are cheap to count."""
    from nasdb.proxies import harness, registry
    from nasdb.proxies.nasgraph import family
    from nasdb.proxies.zc import family as zc

    con = store.connect(db, read_only=True)
    try:
        benches = registry.held_benches(con)
    finally:
        con.close()
    for bench in benches:
        harness.score(family.job(bench), db, progress=progress)
    for bench in benches:
        job = zc.build_job(bench)
        if job is not None:
            harness.score(job, db, progress=progress)


def evaluate_all(db: str | Path | None, progress: bool = True) -> None:
    """The default evaluation, then every earlier evaluation whose rows went stale (so none is left); each
    computed read-only and stored in one short write, so readers are never locked out meanwhile."""
    from nasdb.evaluate.runner import evaluate_file, refresh_stale

    evaluate_file(db, progress=progress)
    refresh_stale(db, progress=progress)


def build(db: str | Path | None = None, cache: Path | None = None, mirror: Path | None = None,
          progress: bool = True) -> float:
    """Build (or refresh) the whole database; return the wall seconds it took."""
    from ingest.runner import ingest

    t0 = time.perf_counter()
    timings: list[tuple[str, str]] = []

    def step(name: str, fn, *args) -> None:
        t = time.perf_counter()
        fn(*args)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        timings.extend([(f"step_seconds:{name}", f"{time.perf_counter() - t:.1f}"),
                        (f"step_peak_rss_mb:{name}", f"{peak_mb:.0f}")])

    step("fetch", sources.fetch_all, None, cache, mirror, progress)
    step("ingest", ingest, db, None, cache, mirror, progress)
    step("score", score_all, db, progress)
    step("evaluate", evaluate_all, db, progress)
    with dbfile.writing(db) as con:
        seconds = time.perf_counter() - t0
        with store.transaction(con):
            con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [
                ("built_at", datetime.now(timezone.utc).isoformat(timespec="seconds")),
                ("nasdb_version", __version__),
                ("build_seconds", f"{seconds:.1f}"),
                *timings,
            ])
    return seconds
