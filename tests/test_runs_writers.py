"""Jobs that compute before they store hold the database only to store: while each one computes (held at the
start of its computation), another process reads the file without waiting and nobody holds a write lock.

Each command runs for real in a subprocess; the one step that starts its computation is wrapped so it waits
for the test's go (stdin) before doing its real work. The old commands opened the writer before computing,
so the readers below (``NASDB_READ_WAIT=0``: no waiting) failed with "held by pid ...". The ingest commands
over files a user supplies (``ingest-nb101``, ``ingest-nds``: not mirrored) run on files written here in the
official formats; they held the writer for the whole parse until they moved onto the runner's path.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nasdb import dbfile, store
from test_nb101_tfrecord import HASH, OTHER, payload, write_tfrecord
from test_nds import FIXTURES as NDS_FIXTURES

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
if argv == ["build-evaluate"]:  # `nasdb build`'s last step alone (the steps before it are the jobs above)
    from nasdb import pipeline
    sys.exit(pipeline.evaluate_all(db, progress=False))
from nasdb import cli
sys.exit(cli.main(["--db", db, *argv]))
"""

WRITER = "import sys; from nasdb import dbfile\nwith dbfile.writing(sys.argv[1]) as con: con.execute('SELECT 1')"
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
    "eval": (["eval", "--bench", "tnb101_micro", "--bootstrap", "0", "--trials", "5"], "nasdb.evaluate.runner",
             "_compute", "SELECT count(*) FROM correlations WHERE bench = 'tnb101_micro'"),
    "build's evaluate step": (["build-evaluate"], "nasdb.evaluate.runner", "_compute",
                              "SELECT count(*) FROM correlations WHERE bench = 'nb201'"),
    "landscape": (["landscape", "--bench", "tnb101_micro", "--dataset", "class_scene"], "nasdb.similarity.landscape",
                  "smoothness", "SELECT count(*) FROM landscape_summary"),
}


# commands over user-supplied files: argv given the test's folder, the step that starts the parse, a stored count
USER_FILE_JOBS = {
    "ingest-nb101": (lambda tmp: ["ingest-nb101", "--tfrecord", str(_tfrecord(tmp))], "nasdb.readers.nb101_proto",
                     "read_runs", "SELECT count(*) FROM nb101_runs"),
    "ingest-nds": (lambda tmp: ["ingest-nds", "--dir", str(NDS_FIXTURES)], "ingest.nds", "load_sweep",
                   "SELECT count(*) FROM ground_truth WHERE bench = 'nds_darts'"),
}


def _tfrecord(folder: Path) -> Path:
    """Three seeds of two published NB101 cells at 108 epochs, in the official TFRecord format."""
    path = folder / "nasbench_only108.tfrecord"
    write_tfrecord(path, [payload(h, 108, seed)[0] for h in (HASH, OTHER) for seed in range(3)])
    return path


@pytest.fixture(scope="module")
def source_db(ingested, tmp_path_factory):
    """NB201 + TNB101 + GRAF's files, and nasdb's own graf_* features of the TNB101 micro cells (ensemble members)."""
    db = tmp_path_factory.mktemp("writers") / "source.duckdb"
    shutil.copy(ingested("nb201", "tnb101", "graf"), db)
    subprocess.run([sys.executable, "-m", "nasdb.cli", "--db", str(db), "score", "graf", "--bench", "tnb101_micro"],
                   check=True, capture_output=True)
    return db


@pytest.fixture(scope="module")
def nb101_cells_db(tmp_path_factory):
    """The two published NB101 cells the TFRecord holds (arch_id 0 and 1), as `nasdb ingest nb101` places them."""
    db = tmp_path_factory.mktemp("user-files") / "source.duckdb"
    with dbfile.writing(db, create=True) as con:
        con.execute("INSERT INTO archs (bench, arch_id, arch_key) VALUES ('nb101', 0, ?), ('nb101', 1, ?)",
                    [HASH, OTHER])
    return db


@pytest.mark.slow
@pytest.mark.parametrize("name", list(JOBS))
def test_a_computing_job_does_not_hold_the_database(name, source_db, tmp_path):
    argv, module, attr, stored = JOBS[name]
    _computes_read_only(source_db, argv, module, attr, stored, tmp_path, closed=name == "ingest")


@pytest.mark.parametrize("name", list(USER_FILE_JOBS))
def test_ingesting_user_files_does_not_hold_the_database(name, nb101_cells_db, tmp_path):
    argv, module, attr, stored = USER_FILE_JOBS[name]
    _computes_read_only(nb101_cells_db, argv(tmp_path), module, attr, stored, tmp_path, closed=True)


def _computes_read_only(source_db, argv, module, attr, stored, tmp_path, closed: bool = False) -> None:
    """Run ``nasdb ARGV`` on a copy of ``source_db`` paused where it starts computing: no write lock, readers
    succeed without waiting; then let it finish and find its rows stored. ``closed``: the job does not even
    read the file while it computes (an ingest parse), so another writer can take it meanwhile."""
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
        if closed:
            writer = subprocess.run([sys.executable, "-c", WRITER, str(db)], capture_output=True, text=True,
                                    env={**env, "NASDB_WRITE_WAIT": "0"})
            assert (writer.returncode, writer.stderr) == (0, "")
        job.stdin.write("go\n" * 20)  # one per computation the job starts (build's evaluate: one per refresh)
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
