"""Jobs that compute before they store hold the database only to store: while each one computes (held at the
start of its computation), another process reads the file without waiting and nobody holds a write lock.

Each command runs for real in a subprocess; the one step that starts its computation is wrapped so it waits
for the test's go (stdin) before doing its real work. The old commands opened the writer before computing,
so the readers below (``NASDB_READ_WAIT=0``: no waiting) failed with "held by pid ...".
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from nasdb import dbfile, store

PAUSED = """
import importlib, sys
module, attr, db, *argv = sys.argv[1:]
mod = importlib.import_module(module)
real = getattr(mod, attr)

def paused(*args, **kwargs):
    print("computing", flush=True)
    sys.stdin.readline()
    return real(*args, **kwargs)

setattr(mod, attr, paused)
from nasdb import cli
sys.exit(cli.main(["--db", db, *argv]))
"""

CONNECT = "import sys, nasdb; con = nasdb.connect(sys.argv[1]); print(con.execute('SELECT count(*) FROM archs').fetchone()[0])"

# command, the function that starts its computation, a count that storing makes positive
JOBS = {
    "ingest": (["ingest", "naswot"], "ingest.naswot", "load",
               "SELECT count(*) FROM peer_proxies WHERE source = 'peer:naswot'"),
    "score graf": (["score", "graf", "--bench", "tnb101_micro"], "nasdb.proxies.graf.family", "compute",
                   "SELECT count(*) FROM proxies WHERE bench = 'tnb101_micro' AND proxy LIKE 'graf_%'"),
    "search": (["search", "--algo", "random", "--bench", "nb201", "--dataset", "cifar10-valid", "--budget", "10",
                "--seeds", "2"], "nasdb.search.replay", "replay", "SELECT count(*) FROM search_runs"),
    "ensemble": (["ensemble", "ens", "--bench", "tnb101_micro", "--proxies", "graf_trainable,-graf_count_skip_connect"],
                 "nasdb.proxies.ensemble", "ensemble_rows", "SELECT count(*) FROM proxies WHERE proxy = 'ens'"),
    "ensemble-search": (["ensemble-search", "--select", "tnb101_micro:class_scene", "--candidates",
                         "graf_trainable,graf_depth,graf_width", "--max-size", "2", "--report", "tnb101_micro",
                         "--store", "es"], "nasdb.evaluate.ensemble_search", "search",
                        "SELECT count(*) FROM proxies WHERE proxy = 'es'"),
    "predict": (["predict", "--bench", "tnb101_micro", "--dataset", "class_scene", "--features", "graph",
                 "--train-sizes", "10,20", "--seeds", "2", "--model", "ridge", "--quiet"],
                "nasdb.evaluate.predictors", "staged_trials",
                "SELECT count(*) FROM predictor_results"),
    "landscape": (["landscape", "--bench", "tnb101_micro", "--dataset", "class_scene"], "nasdb.similarity.landscape",
                  "smoothness", "SELECT count(*) FROM landscape_summary"),
}


@pytest.fixture(scope="module")
def source_db(ingested, tmp_path_factory):
    """NB201 + TNB101 + GRAF's files, and nasdb's own graf_* features of the TNB101 micro cells (ensemble members)."""
    db = tmp_path_factory.mktemp("writers") / "source.duckdb"
    shutil.copy(ingested("nb201", "tnb101", "graf"), db)
    subprocess.run([sys.executable, "-m", "nasdb.cli", "--db", str(db), "score", "graf", "--bench", "tnb101_micro"],
                   check=True, capture_output=True)
    return db


@pytest.mark.slow
@pytest.mark.parametrize("name", list(JOBS))
def test_a_computing_job_does_not_hold_the_database(name, source_db, tmp_path):
    argv, module, attr, stored = JOBS[name]
    db = tmp_path / "db.duckdb"
    shutil.copy(source_db, db)
    env = {**os.environ, "NASDB_CACHE": str(tmp_path / "cache"), "NASDB_READ_WAIT": "0", "OMP_NUM_THREADS": "1"}
    job = subprocess.Popen([sys.executable, "-c", PAUSED, module, attr, str(db), *argv], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert job.stdout.readline().strip() == "computing", job.stderr.read()
        assert dbfile.lock_holder(db) is None  # no write lock while it computes
        readers = [subprocess.run([sys.executable, "-m", "nasdb.cli", "--db", str(db), "query",
                                   "SELECT count(*) FROM proxies"], capture_output=True, text=True, env=env),
                   subprocess.run([sys.executable, "-c", CONNECT, str(db)], capture_output=True, text=True, env=env)]
        assert [(r.returncode, r.stderr) for r in readers] == [(0, "")] * 2
        job.stdin.write("go\n")
        job.stdin.flush()
        out, err = job.communicate(timeout=600)
    finally:
        job.kill()
    assert job.returncode == 0, err[-2000:]
    con = store.connect(db, read_only=True)
    try:
        assert con.execute(stored).fetchone()[0] > 0
    finally:
        con.close()
