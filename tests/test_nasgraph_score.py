"""`nasdb score nasgraph` on real DuckDB files built from the mirror: values, provenance, resume."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from nasdb import spaces, store
from nasdb.errors import NasdbError
from nasdb.proxies import registry
from nasdb.proxies import harness
from nasdb.proxies.nasgraph import family
from nasdb.spaces import tnb101

# NASGRAPH.md section 5: full-space Spearman of the average degree with NB201 test accuracy
PUBLISHED = {"cifar10-valid": 0.777, "cifar100": 0.796, "ImageNet16-120": 0.769}


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def spaces_db(ingested) -> Path:
    """NB201 + TNB101 archs and ground truth, no proxies yet (session-shared: copy before writing)."""
    return ingested("nb201", "tnb101")


@pytest.fixture(scope="module")
def scored(spaces_db, tmp_path_factory) -> Path:
    """The ingested database with the whole NB201 space scored in fast mode."""
    path = tmp_path_factory.mktemp("nasgraph") / "scored.duckdb"
    shutil.copy(spaces_db, path)
    harness.score(family.job("nb201"), path, progress=False)
    return path


def score(path: Path, bench: str = "nb201", **kw) -> harness.RunResult:
    chunk_size = kw.pop("chunk_size", None)
    return harness.score(family.job(bench, chunk_size=chunk_size, **kw), path, progress=False)


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "db.duckdb"
    shutil.copy(src, dst)
    return dst


def test_full_nb201_space_reaches_published_correlations(scored):
    con = store.connect(scored, read_only=True)
    for dataset, published in PUBLISHED.items():
        rows = con.execute(
            "SELECT p.value, g.value FROM proxies p JOIN ground_truth g USING (bench, arch_id, dataset) "
            "WHERE p.bench = 'nb201' AND p.proxy = 'nasgraph_avg_degree' AND g.split = 'test' "
            "AND g.metric = 'accuracy' AND p.dataset = ?", [dataset]).fetchall()
        assert len(rows) == 15625
        rho = spearmanr([r[0] for r in rows], [r[1] for r in rows]).statistic
        assert abs(rho - published) <= 0.02, (dataset, rho)


def test_run_rows_and_provenance(scored):
    con = store.connect(scored, read_only=True)
    n, distinct = con.execute("SELECT count(*), count(DISTINCT (arch_id, dataset, proxy)) FROM proxies "
                              "WHERE bench = 'nb201' AND source = 'nasdb'").fetchone()
    assert n == distinct == 15625 * len(spaces.get("nb201").datasets) * len(registry.PROXIES)
    assert con.execute("SELECT count(*) FROM proxies WHERE bench = 'nb201' AND value IS NULL").fetchone()[0] == 0
    # the graph is data-free: every NB201 dataset name carries the same value
    assert con.execute("SELECT max(n) FROM (SELECT count(DISTINCT value) n FROM proxies WHERE bench = 'nb201' "
                       "GROUP BY arch_id, proxy)").fetchone()[0] == 1
    run = con.execute("SELECT run_id, proxy, settings, code_version, seconds, n_archs, status FROM proxy_runs "
                      "WHERE bench = 'nb201'").fetchall()
    assert len(run) == 1
    run_id, proxy, settings, code_version, seconds, n_archs, status = run[0]
    settings = json.loads(settings)
    assert (proxy, n_archs, status) == ("nasgraph", 15625, "complete")
    assert settings["seed"] == 0 and settings["mode"] == "fast" and settings["surrogate"]["stem_channels"] == 16
    assert code_version.startswith("0.") and seconds > 0
    assert con.execute("SELECT count(DISTINCT run_id) FROM proxies WHERE bench = 'nb201'").fetchone() == (1,)


def test_rerun_is_a_new_run_with_the_same_values(scored, tmp_path):
    """Re-running a complete run never rewrites it: a new run becomes current, the old one stays in history."""
    path = _copy(scored, tmp_path)
    con = store.connect(path, read_only=True)
    before = con.execute("SELECT arch_id, dataset, proxy, value FROM proxies ORDER BY ALL").fetchall()
    (old,) = con.execute("SELECT run_id FROM proxy_runs").fetchone()
    con.close()
    r = score(path, chunk_size=8192)
    assert r.resumed_chunks == 0 and r.n_rows == len(before) and r.run_id != old and len(r.current_for) == 8
    con = store.connect(path, read_only=True)
    assert con.execute("SELECT arch_id, dataset, proxy, value FROM proxies ORDER BY ALL").fetchall() == before
    assert con.execute("SELECT DISTINCT run_id FROM proxies").fetchall() == [(r.run_id,)]
    assert con.execute("SELECT count(*) FROM proxy_values WHERE run_id = ?", [old]).fetchone() == (len(before),)


def test_sample_and_reference_runs_never_displace_the_full_run(scored, tmp_path):
    """The README's reference example (with a smaller sample): stored as its own run, the fast run stays current."""
    path = _copy(scored, tmp_path)
    out = subprocess.run([sys.executable, "-m", "nasdb.cli", "--db", str(path), "score", "nasgraph", "--bench", "nb201",
                          "--mode", "reference", "--sample", "6", "--seed", "1", "--quiet"], capture_output=True, text=True)
    assert out.returncode == 0 and "not current (a full run stays current)" in out.stdout, out.stderr
    con = store.connect(path, read_only=True)
    (rid, n_rows), = con.execute("SELECT run_id, n_rows FROM proxy_runs WHERE settings->>'mode' = 'reference'").fetchall()
    con.close()
    assert n_rows == 6 * len(spaces.get("nb201").datasets) * len(registry.PROXIES)
    s = score(path, seed=1, sample=40)
    assert s.current_for == []
    con = store.connect(path, read_only=True)
    n, distinct, runs = con.execute("SELECT count(*), count(DISTINCT (arch_id, dataset, proxy)), "
                                    "list(DISTINCT run_id) FROM proxies WHERE source = 'nasdb'").fetchone()
    assert n == distinct == 15625 * len(spaces.get("nb201").datasets) * len(registry.PROXIES)
    assert len(runs) == 1 and ":fast:" in runs[0]
    assert dict(con.execute("SELECT scope, count(*) FROM proxy_runs GROUP BY scope").fetchall()) == \
        {"full": 1, "partial": 2}
    # the reference run stays queryable by its run id
    assert con.execute("SELECT count(DISTINCT arch_id) FROM proxy_values WHERE run_id = ?", [rid]).fetchone() == (6,)


def _progress_reached(proc: subprocess.Popen, done: int, total: int) -> bool:
    """Read the tqdm bar from stderr until it shows ``done/total`` (or the process ends)."""
    buf = b""
    while proc.poll() is None:
        buf += proc.stderr.read1(4096)
        if f" {done}/{total} ".encode() in buf:
            return True
    return False


@pytest.mark.slow  # a CLI process in reference mode, killed mid-run; test_rerun_... checks the no-duplicate half cheaply
def test_killed_run_resumes_keeping_finished_chunks(spaces_db, tmp_path):
    path = _copy(spaces_db, tmp_path)
    cmd = [sys.executable, "-m", "nasdb.cli", "--db", str(path), "score", "nasgraph", "--bench", "nb201",
           "--mode", "reference", "--sample", "12", "--seed", "3"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=os.environ.copy())
    try:
        assert _progress_reached(proc, 4, 12), "the first chunk never finished"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    con = store.connect(path, read_only=True)
    # nothing of the killed run is visible: its chunks sit staged outside the database
    assert con.execute("SELECT count(*) FROM proxies WHERE source = 'nasdb'").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM proxy_runs").fetchone()[0] == 0
    con.close()
    r = score(path, mode="reference", seed=3, sample=12)
    assert r.resumed_chunks >= 1
    con = store.connect(path, read_only=True)
    n, distinct = con.execute("SELECT count(*), count(DISTINCT (arch_id, dataset, proxy)) FROM proxies").fetchone()
    assert n == distinct == 12 * 4 * 8
    assert con.execute("SELECT status, len(resumed_chunks) FROM proxy_runs").fetchall() == [("complete", r.resumed_chunks)]


def test_tnb101_rows_are_per_task_and_join_ground_truth(spaces_db, tmp_path):
    path = _copy(spaces_db, tmp_path)
    r = score(path, "tnb101_micro", sample=30)
    con = store.connect(path, read_only=True)
    assert r.n_rows == 30 * len(tnb101.TASKS) * len(registry.PROXIES)
    tasks = {t for (t,) in con.execute("SELECT DISTINCT dataset FROM proxies").fetchall()}
    assert tasks == set(tnb101.TASKS)
    joined = con.execute("SELECT count(DISTINCT (p.arch_id, p.dataset)) FROM proxies p JOIN ground_truth g "
                         "USING (bench, arch_id, dataset) WHERE g.split = 'test'").fetchone()[0]
    assert joined == 30 * len(tnb101.TASKS)
    keys = con.execute("SELECT DISTINCT a.arch_key FROM proxies p JOIN archs a USING (bench, arch_id)").fetchall()
    assert all(k.startswith("64-41414-") for (k,) in keys)


def test_bad_sample_is_refused_and_leaves_the_database_unchanged(scored, tmp_path):
    path = _copy(scored, tmp_path)
    con = store.connect(path, read_only=True)
    before = con.execute("SELECT (SELECT count(*) FROM proxies), (SELECT count(*) FROM proxy_runs)").fetchone()
    con.close()
    with pytest.raises(NasdbError, match="--sample"):
        score(path, sample=0)
    con = store.connect(path, read_only=True)
    assert con.execute("SELECT (SELECT count(*) FROM proxies), (SELECT count(*) FROM proxy_runs)").fetchone() == before


def test_cli_names_the_missing_ingest(tmp_path):
    store.connect(tmp_path / "empty.duckdb", create=True).close()
    out = subprocess.run([sys.executable, "-m", "nasdb.cli", "--db", str(tmp_path / "empty.duckdb"), "score",
                          "nasgraph", "--bench", "nb201", "--quiet"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "no nb201 architectures" in out.stderr and "nasdb ingest nb201" in out.stderr
    assert "Traceback" not in out.stderr


_SCORE_AND_REPORT_TORCH = """
import sys
from nasdb.proxies import harness
from nasdb.proxies.nasgraph import family
harness.score(family.job('nb201', sample=300), sys.argv[1], progress=False)
print('torch' in sys.modules)
"""


@pytest.mark.slow  # two scoring processes; cheaper: test_stored_block_matrices_equal_fresh_probes
def test_stored_block_matrices_spare_probing_and_torch(spaces_db, tmp_path):
    """The first run probes blocks (torch) and keeps their matrices under the cache directory; a later
    run in a new process loads them, never imports torch, and stores the same values."""
    env = {**os.environ, "NASDB_CACHE": str(tmp_path / "cache")}
    values = []
    for run in ("first", "second"):
        db = tmp_path / f"{run}.duckdb"
        shutil.copy(spaces_db, db)
        out = subprocess.run([sys.executable, "-c", _SCORE_AND_REPORT_TORCH, str(db)], capture_output=True,
                             text=True, env=env)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == [{"first": "True", "second": "False"}[run]]
        values.append(store.connect(db, read_only=True).execute(
            "SELECT arch_id, dataset, proxy, value FROM proxies ORDER BY ALL").fetchall())
    assert len(list((tmp_path / "cache" / "nasgraph").glob("nasgraph-blocks-seed0-*.npz"))) == 1
    assert values[0] == values[1] and len(values[0]) == 300 * 4 * 8


def test_stored_block_matrices_equal_fresh_probes(tmp_path):
    from nasdb.proxies.nasgraph import fast
    from nasdb.proxies.nasgraph.probe import block_weights, probe_fast
    from nasdb.spaces import nb201

    first = fast.BlockCache(3, store=tmp_path)
    for block in nb201.surrogate(nb201.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+"
                                             "|skip_connect~0|none~1|nor_conv_3x3~2|")).blocks:
        first.id(block)
    first.save()
    again = fast.BlockCache(3, store=tmp_path)
    assert again.blocks == first.blocks
    for block, m in zip(again.blocks, again.matrices):
        expected = probe_fast(block, block_weights(block, seed=3)) if block.kind != "input" else m
        assert m.dtype == bool and np.array_equal(m, expected), block
    assert fast.BlockCache(4, store=tmp_path).blocks == []  # another seed: another file
