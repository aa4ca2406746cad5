"""A small database for the app tests, built once per test session from the mirror.

NB201 + TransNAS-Bench-101 (archs and ground truth) and the NASWOT release (a real peer proxy over
all 15,625 NB201 cells, plus the cifar10 train+valid accuracies), NASGraph on NB201 (fast mode, a
couple of seconds), GRAF-style graph features on NB201 and a small ridge learning curve on them,
then `nasdb eval` on NB201 (few bootstrap resamples, for speed). Both app test modules share the file (built on first use).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


JOBS = ["nb201", "tnb101", "naswot"]


def build(base: Path, cache: Path, mirror: Path) -> Path:
    """Path of the shared app test database under ``base`` (pytest's session temp dir)."""
    from ingest.runner import run_jobs
    from nasdb import dbfile
    from nasdb.evaluate import predictors, runner
    from nasdb.proxies import harness
    from nasdb.proxies.graf import family as graf
    from nasdb.proxies.nasgraph import family

    path = base / "app_db" / "nasdb.duckdb"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    with dbfile.writing(tmp, create=True) as con:
        run_jobs(con, JOBS, cache=cache, mirror=mirror, progress=False)
    harness.score(family.job("nb201"), tmp, progress=False)
    with dbfile.writing(tmp) as con:
        graf.score(con, "nb201")
    predictors.run(tmp, predictors.Settings("nb201", "cifar10-valid", ("graph",), "ridge", (10, 100), 3), progress=False)
    _ensemble_search(tmp)
    with dbfile.writing(tmp) as con:
        runner.evaluate(con, runner.Filters(bench="nb201"), runner.Settings(bootstrap=50), progress=False)
    tmp.rename(path)
    return path


def _ensemble_search(db: Path) -> None:
    """One small `nasdb ensemble-search` (two members chosen on NB201 CIFAR-100), kept in its table."""
    from nasdb import dbfile, store
    from nasdb.evaluate import ensemble_search as es

    con = store.connect(db, read_only=True)
    try:
        task, chosen, _ = es.search(con, "nb201", "cifar100", ["graf_*", "nasgraph_*"], "log_rank_sum", 2)
        settings = {"candidates": "graf_*,nasgraph_*", "max_size": 2, "population": "all"}
        rows = es.record(con, chosen, task, settings, es.report(con, chosen, task, es.tasks(con)))
    finally:
        con.close()
    with dbfile.writing(db) as con, store.transaction(con):
        es.store_results(con, rows)


def hold_write_lock(path: Path, *sql: str) -> subprocess.Popen:
    """Another process that runs ``sql`` on ``path`` and then holds its write lock until its stdin closes."""
    p = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
         "[c.execute(q) for q in sys.argv[2:]]; print('locked', flush=True); sys.stdin.read()", str(path), *sql],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p
