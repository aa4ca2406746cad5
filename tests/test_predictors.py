"""Few-shot predictors on a small real DuckDB file: reproducible from the seed, stored with intervals."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from nasdb import cli, store
from nasdb.evaluate import predictors

N = 300


def _insert(con, table: str, df: pl.DataFrame) -> None:
    con.register("_rows", df.to_arrow())
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    con.unregister("_rows")


@pytest.fixture
def db(tmp_path, monkeypatch):
    """300 archs, two data-free graph features; truth = a + 0.5 b^2 + noise (larger is better)."""
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=N), rng.normal(size=N)
    path = tmp_path / "p.duckdb"
    monkeypatch.setenv("NASDB_CACHE", str(tmp_path / "cache"))  # staged trials go here
    con = store.connect(path)
    ids = list(range(N))
    _insert(con, "archs", pl.DataFrame({"bench": "toy", "arch_id": ids, "arch_key": [f"k{i}" for i in ids]}))
    _insert(con, "ground_truth", pl.DataFrame({
        "bench": "toy", "arch_id": ids, "dataset": "d", "split": "test", "metric": "accuracy", "epochs": 1,
        "value": (a + 0.5 * b ** 2 + rng.normal(0, 0.3, N)).tolist(), "higher_is_better": True,
        "aggregation": "single_run", "source": "toy"}, schema_overrides={"epochs": pl.Int32}))
    for name, v in (("graf_a", a), ("graf_b", b)):
        _insert(con, "peer_proxies", pl.DataFrame({"bench": "toy", "arch_id": ids, "dataset": "", "proxy": name,
                                              "value": v.tolist(), "source": "nasdb"}))
    con.close()
    return path


def _stored(con) -> pl.DataFrame:
    return store.frame(con, "SELECT * EXCLUDE (created_at) FROM predictor_results ORDER BY train_size")


def test_a_run_is_reproducible_from_its_seeds(db):
    s = predictors.Settings("toy", "d", ("graph",), "rf", (10, 50), 3)  # 12 small forests in all
    predictors.run(db, s, progress=False)
    con = store.connect(db, read_only=True)
    first = _stored(con)
    con.close()
    assert predictors.run(db, s, progress=False)[1] == 0  # a finished run leaves no parts: recomputed afresh
    con = store.connect(db, read_only=True)
    X, y, names, _ = predictors.dataset_matrix(con, s)
    again = _stored(con)
    con.close()
    assert first.equals(again) and first.height == 2
    assert names == ["graf_a@nasdb", "graf_b@nasdb"]
    # any stored seed is re-derived by one trial with that seed alone
    row = first.filter(pl.col("train_size") == 50).row(0, named=True)
    for seed in range(3):
        assert predictors.trial(X, y, 50, seed, "rf")[0] == row["per_seed_spearman"][seed]
    assert len(set(row["per_seed_spearman"])) == 3  # different seeds, different subsets
    assert row["spearman_lo"] <= row["spearman"] <= row["spearman_hi"] and row["n_test"] == N - 50
    assert row["spearman"] == pytest.approx(np.mean(row["per_seed_spearman"]))


def test_an_exact_linear_target_is_ranked_perfectly_by_ridge(db):
    con = store.connect(db)
    con.execute("UPDATE ground_truth SET value = p.value * 2 + 1 FROM proxies p WHERE p.proxy = 'graf_a' "
                "AND p.arch_id = ground_truth.arch_id")
    con.execute("DELETE FROM peer_proxies WHERE proxy = 'graf_b'")  # one feature: any fitted slope > 0 ranks exactly
    X, y, _, _ = predictors.dataset_matrix(con, predictors.Settings("toy", "d", ("graph",), "ridge", (20,), 2))
    con.close()
    rho, tau, precision, k = predictors.trial(X, y, 20, 0, "ridge")
    assert rho == pytest.approx(1.0) and tau == pytest.approx(1.0) and precision == 1.0 and k == 14  # 5% of 280


@pytest.mark.parametrize("argv, message", [
    (["--features", "graph,foo"], "expected a comma-separated subset"),
    (["--features", "zc"], "no toy values of feature group(s) zc"),
    (["--train-sizes", "10,x"], "expected comma-separated integers"),
    (["--seeds", "1"], "at least 2"),
    (["--train-sizes", "295"], "too few for training size 295"),
])
def test_bad_input_is_one_line_exit_2(db, capsys, argv, message):
    assert cli.main(["--db", str(db), "predict", "--bench", "toy", "--dataset", "d", "--quiet", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def _staged(cache: Path) -> list[Path]:
    return sorted(cache.glob("staging/*/chunk-*.json"))


def test_a_killed_run_resumes_its_finished_trials(db, tmp_path):
    """SIGKILL `nasdb predict` after a few (train size, seed) trials are staged: nothing is stored, the
    rerun reuses those parts untouched, computes only the rest, and stores what an uninterrupted run stores."""
    cache = tmp_path / "cache"
    argv = [sys.executable, "-m", "nasdb.cli", "--db", str(db), "predict", "--bench", "toy", "--dataset", "d",
            "--train-sizes", "10,50", "--seeds", "5", "--quiet"]
    env = {**os.environ, "NASDB_CACHE": str(cache), "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(_staged(cache)) < 2 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in _staged(cache)}
    assert 2 <= len(before) < 10
    con = store.connect(db, read_only=True)
    assert "predictor_results" not in {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables")
                                       .fetchall()}  # a killed run stores nothing
    con.close()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    resumed = int(done.stdout.split("resumed ")[1].split(" of 10")[0])
    assert resumed >= len(before)  # every part verified before the rerun was reused ...
    con = store.connect(db, read_only=True)
    resumed_rows = _stored(con)
    con.close()
    # ... and the stored curve is the one an uninterrupted run computes from the same seeds
    X, y = _matrix(db)
    fresh = predictors.summarise(pl.DataFrame([
        {"train_size": n, "seed": seed, **dict(zip(("spearman", "kendall", "precision", "top_k"),
                                                   predictors.trial(X, y, n, seed, "rf")))}
        for n in (10, 50) for seed in range(5)]), predictors.Settings("toy", "d", ("graph",), seeds=5,
                                                                         train_sizes=(10, 50)), N)
    assert resumed_rows["per_seed_spearman"].to_list() == fresh["per_seed_spearman"].to_list()
    assert resumed_rows["kendall"].to_list() == fresh["kendall"].to_list()
    assert not _staged(cache)  # stored: the staged parts are gone


def _matrix(db) -> tuple[np.ndarray, np.ndarray]:
    con = store.connect(db, read_only=True)
    X, y, _, _ = predictors.dataset_matrix(con, predictors.Settings("toy", "d", ("graph",), train_sizes=(50,)))
    con.close()
    return X, y


def test_published_zc_features_are_read_with_their_ingest_run(db):
    """Peers' rows carry the ingest run that wrote them (``ingest:<job>:<digest>``); the zc feature group
    (``peer:graf``) used to be filtered out by a proxy-run status check and was never found."""
    con = store.connect(db)
    ids = con.execute("SELECT arch_id FROM archs WHERE bench = 'toy' ORDER BY arch_id").fetchall()
    _insert(con, "peer_proxies", pl.DataFrame({"bench": "toy", "arch_id": [i for i, in ids], "dataset": "",
                                               "proxy": "synflow", "value": [float(i) for i, in ids],
                                               "source": "peer:graf", "run_id": "ingest:graf:0"}))
    X, y, names, _ = predictors.dataset_matrix(con, predictors.Settings("toy", "d", ("zc",), "ridge", (50,), 2))
    con.close()
    assert names == ["synflow@peer:graf"] and X.shape == (len(ids), 1) and sorted(X[:, 0]) == [float(i) for i, in ids]


def test_another_split_is_predicted_when_asked(db):
    """--split valid learns the valid accuracy (here: -truth, so a model that learned the test split would fail)."""
    con = store.connect(db)
    con.execute("INSERT INTO ground_truth SELECT * REPLACE ('valid' AS split, -value AS value) FROM ground_truth")
    con.close()
    s = predictors.Settings("toy", "d", ("graph",), "ridge", (50,), 2, split="valid")
    con = store.connect(db, read_only=True)
    X, y, _, task = predictors.dataset_matrix(con, s)
    _, y_test, _, primary = predictors.dataset_matrix(con, predictors.Settings("toy", "d", ("graph",), "ridge", (50,), 2))
    con.close()
    assert (task.target.split, primary.target.split) == ("valid", "test")
    assert np.array_equal(y, -y_test)
    assert cli.main(["--db", str(db), "predict", "--bench", "toy", "--dataset", "d", "--split", "train", "--quiet"]) == 2
    assert cli.main(["--db", str(db), "predict", "--bench", "toy", "--dataset", "d", "--gt-source", "peer:nope",
                     "--quiet"]) == 2  # a ground-truth copy nobody ingested: one line, nothing stored
    with store.connect(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'predictor_results'"
                           ).fetchone()[0] == 0 or con.execute("SELECT count(*) FROM predictor_results").fetchone()[0] == 0
    con = store.connect(db)
    con.execute("INSERT INTO ground_truth SELECT * REPLACE ('peer:x' AS source, value + 1 AS value) FROM ground_truth "
                "WHERE split = 'valid'")
    con.close()
    con = store.connect(db, read_only=True)
    X2, y2, _, peer = predictors.dataset_matrix(con, predictors.Settings("toy", "d", ("graph",), "ridge", (50,), 2,
                                                                          split="valid", gt_source="peer:x"))
    con.close()
    assert peer.target.gt_source == "peer:x" and np.allclose(y2, y + 1)  # the peer's copy, not the bench's own
