"""Few-shot predictors on a small real DuckDB file: reproducible from the seed, stored with intervals."""
from __future__ import annotations

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
def db(tmp_path):
    """300 archs, two data-free graph features; truth = a + 0.5 b^2 + noise (larger is better)."""
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=N), rng.normal(size=N)
    path = tmp_path / "p.duckdb"
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
    con = store.connect(db)
    predictors.run(con, s, progress=False)
    first = _stored(con)
    predictors.run(con, s, progress=False)  # same settings: replaces, identical numbers
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
