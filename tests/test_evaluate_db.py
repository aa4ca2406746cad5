"""Evaluation on real databases: NB201 from the mirror plus proxy rows written here, and tiny hand-made DBs.

Stored numbers are checked against scipy run on rows pulled with plain SQL, never against the code under test.
"""
from __future__ import annotations

import json
import shutil

import duckdb
import numpy as np
import polars as pl
import pytest
from scipy import stats

from nasdb import cli, store
from nasdb.evaluate import EvaluationError, Filters, Settings, evaluate
from nasdb.evaluate.leaderboard import leaderboard

POP = "sample:1500:7"
FAST = dict(population=POP, bootstrap=200, trials=500, targets="all")


def _insert(con, table: str, df: pl.DataFrame) -> None:
    con.register("_rows", df.to_arrow())
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    con.unregister("_rows")


@pytest.fixture(scope="module")
def nb201_db(tmp_path_factory, ingested):
    """NB201 ground truth from the mirror + proxies written here (a noisy copy of accuracy, with bad values)."""
    path = tmp_path_factory.mktemp("eval") / "nb201.duckdb"
    shutil.copy(ingested("nb201"), path)
    con = store.connect(path)
    acc = con.sql("SELECT arch_id, value FROM ground_truth WHERE dataset = 'cifar10-valid' AND split = 'test' "
                  "ORDER BY arch_id").pl()
    rng = np.random.default_rng(11)
    noisy = acc["value"].to_numpy() + rng.normal(size=acc.height) * 4
    value = pl.Series(noisy).cast(pl.Float64)
    bad = {0: None, 1: float("nan"), 2: float("inf"), 3: float("-inf"), 4: float("nan")}
    value = pl.Series([bad.get(i, v) for i, v in enumerate(value.to_list())], dtype=pl.Float64)
    base = {"bench": "nb201", "arch_id": acc["arch_id"]}
    _insert(con, "peer_proxies", pl.DataFrame({**base, "dataset": "", "proxy": "synth", "value": value,
                                          "source": "test"}))
    # a CIFAR-10 proxy labelled with the data domain name, to check the pairing rule
    _insert(con, "peer_proxies", pl.DataFrame({**base, "dataset": "cifar10", "proxy": "c10only",
                                          "value": -acc["value"] + rng.normal(size=acc.height), "source": "test"}))
    # a lower-is-better target: test error = 100 - accuracy
    _insert(con, "ground_truth", pl.DataFrame({
        **base, "dataset": "cifar10-valid", "split": "test", "metric": "error", "epochs": 200,
        "value": 100 - acc["value"], "higher_is_better": False, "aggregation": "mean_over_seeds",
        "source": "test"}, schema_overrides={"epochs": pl.Int32}))
    evaluate(con, Filters(bench="nb201"), Settings(**FAST), progress=False)
    con.close()
    return path


def _sample_ids(con, n: int, seed: int) -> np.ndarray:
    ids = np.array([r[0] for r in con.execute("SELECT arch_id FROM archs WHERE bench='nb201' ORDER BY arch_id")
                    .fetchall()])
    return np.sort(np.random.default_rng(seed).choice(ids, n, replace=False))


def test_stored_correlations_match_scipy_on_sql_rows(nb201_db):
    con = duckdb.connect(str(nb201_db), read_only=True)
    ids = _sample_ids(con, 1500, 7)
    rows = con.sql("SELECT * FROM correlations WHERE proxy IN ('synth', 'c10only') ORDER BY dataset, split, "
                   "metric, proxy").pl()
    assert rows.height >= 8
    for r in rows.sample(8, seed=1).iter_rows(named=True):
        pairs = con.execute(
            "SELECT p.value AS x, g.value AS y FROM proxies p JOIN ground_truth g USING (bench, arch_id) "
            "WHERE g.bench = 'nb201' AND g.dataset = ? AND g.split = ? AND g.metric = ? AND g.source = ? "
            "AND p.proxy = ? AND p.dataset = ? AND isfinite(p.value) ORDER BY arch_id",
            [r["dataset"], r["split"], r["metric"], r["gt_source"], r["proxy"], r["proxy_dataset"]]).fetchnumpy()
        ids_ok = con.execute(
            "SELECT arch_id FROM proxies p JOIN ground_truth g USING (bench, arch_id) WHERE g.bench = 'nb201' "
            "AND g.dataset = ? AND g.split = ? AND g.metric = ? AND g.source = ? AND p.proxy = ? AND p.dataset = ? "
            "AND isfinite(p.value) ORDER BY arch_id",
            [r["dataset"], r["split"], r["metric"], r["gt_source"], r["proxy"], r["proxy_dataset"]]).fetchnumpy()
        keep = np.isin(ids_ok["arch_id"], ids)
        x, y = pairs["x"][keep], pairs["y"][keep]
        y = y if r["higher_is_better"] else -y
        assert r["n"] == keep.sum()
        assert r["spearman"] == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
        assert r["kendall"] == pytest.approx(stats.kendalltau(x, y)[0], abs=1e-12)
        assert r["spearman_lo"] <= r["spearman"] <= r["spearman_hi"]
        assert json.loads(r["settings"])["bootstrap"] == 200 == r["bootstrap"]


def test_nonfinite_values_are_counted_and_never_ranked(nb201_db):
    con = duckdb.connect(str(nb201_db), read_only=True)
    ids = set(_sample_ids(con, 1500, 7).tolist())
    r = con.sql("SELECT * FROM correlations WHERE proxy = 'synth' AND dataset = 'cifar10-valid' AND split = 'test' "
                "AND metric = 'accuracy'").pl().row(0, named=True)
    expect = {"n_null": {0}, "n_nan": {1, 4}, "n_inf": {2, 3}}
    for col, archs in expect.items():
        assert r[col] == len(archs & ids)
    assert r["n"] + r["n_null"] + r["n_nan"] + r["n_inf"] + r["n_missing"] == r["n_population"] == 1500
    # the +inf arch must not be anyone's top pick: top-10 best/mean equal those of the finite values alone
    t = con.sql("SELECT * FROM topk WHERE proxy = 'synth' AND dataset = 'cifar10-valid' AND split = 'test' "
                "AND metric = 'accuracy' AND k_spec = '10'").pl().row(0, named=True)
    finite = con.execute(
        "SELECT p.arch_id, p.value, g.value FROM proxies p JOIN ground_truth g USING (bench, arch_id) "
        "WHERE p.proxy = 'synth' AND g.dataset = 'cifar10-valid' AND g.split = 'test' AND g.metric = 'accuracy' "
        "AND isfinite(p.value)").fetchall()
    finite = sorted((v for v in finite if v[0] in ids), key=lambda v: -v[1])[:10]
    assert t["mean_true"] == pytest.approx(np.mean([v[2] for v in finite]))
    assert t["best_true"] == pytest.approx(max(v[2] for v in finite))


def test_loss_direction_is_respected(nb201_db):
    """error = 100 - accuracy: a good proxy correlates positively with both (results are oriented)."""
    con = duckdb.connect(str(nb201_db), read_only=True)
    q = ("SELECT metric, spearman, kendall FROM correlations WHERE proxy = 'synth' AND dataset = 'cifar10-valid' "
         "AND split = 'test' ORDER BY metric")
    (acc_rho, acc_tau), (err_rho, err_tau) = [(r[1], r[2]) for r in con.execute(q).fetchall()]
    assert acc_rho > 0.5 and err_rho == pytest.approx(acc_rho) and err_tau == pytest.approx(acc_tau)
    err_topk = con.sql("SELECT best_true, mean_true FROM topk WHERE proxy = 'synth' AND metric = 'error' "
                       "AND k_spec = '10'").fetchall()[0]
    acc_topk = con.sql("SELECT best_true, mean_true FROM topk WHERE proxy = 'synth' AND metric = 'accuracy' "
                       "AND dataset = 'cifar10-valid' AND split = 'test' AND k_spec = '10'").fetchall()[0]
    assert err_topk[0] == pytest.approx(100 - acc_topk[0]) and err_topk[1] == pytest.approx(100 - acc_topk[1])
    s = con.sql("SELECT mean_regret, p_best FROM search_sim WHERE proxy = 'synth' AND metric = 'error' "
                "AND n_sample = 100").fetchall()[0]
    assert s[0] >= 0 and 0 <= s[1] <= 1


def test_pairing_rule_domain_and_any(nb201_db):
    con = duckdb.connect(str(nb201_db), read_only=True)
    got = dict(con.execute("SELECT dataset || '|' || proxy, proxy_dataset FROM correlations "
                           "WHERE split = 'test' AND metric = 'accuracy'").fetchall())
    assert got["cifar10-valid|c10only"] == "cifar10"      # same data domain
    assert "cifar100|c10only" not in got                  # other data: never paired
    assert got["cifar100|synth"] == ""                    # '' = valid for every dataset
    rho = con.sql("SELECT spearman FROM correlations WHERE proxy = 'c10only' AND dataset='cifar10-valid' "
                  "AND split='test' AND metric='accuracy'").fetchall()[0][0]
    assert rho < -0.9  # the proxy is minus accuracy: the sign is kept, not "fixed"


def test_rerun_replaces_rows_atomically(nb201_db, tmp_path):
    path = tmp_path / "copy.duckdb"
    path.write_bytes(nb201_db.read_bytes())
    con = store.connect(path)
    before = con.sql("SELECT count(*) FROM correlations").fetchall()[0][0]
    evaluate(con, Filters(bench="nb201", proxies=["synth"]), Settings(**FAST), progress=False)
    assert con.sql("SELECT count(*) FROM correlations").fetchall()[0][0] == before
    runs = con.sql("SELECT proxy, count(DISTINCT run_id) FROM correlations GROUP BY proxy ORDER BY proxy").fetchall()
    assert dict(runs) == {"c10only": 1, "n_conv": 1, "synth": 1}
    assert con.sql("SELECT count(*) FROM eval_runs WHERE status = 'complete'").fetchall()[0][0] == 2


@pytest.mark.parametrize("filters,settings,message", [
    (Filters(bench="nb999"), {}, "unknown bench 'nb999'"),
    (Filters(bench="nb201", proxies=["synfloww"]), {}, "unknown proxy 'synfloww'"),
    (Filters(bench="nb201", dataset="cifar-10"), {}, "unknown dataset 'cifar-10'"),
    (Filters(bench="nb201"), {"population": "sample:10"}, "unknown population 'sample:10'"),
    (Filters(bench="nb201"), {"population": "sample:99999:1"}, "exceeds the 15625 nb201 archs"),
    (Filters(bench="nb201"), {"bootstrap": -1}, "bootstrap must be >= 0"),
])
def test_bad_input_is_a_clear_error_and_changes_nothing(nb201_db, tmp_path, filters, settings, message):
    path = tmp_path / "copy.duckdb"
    path.write_bytes(nb201_db.read_bytes())
    con = store.connect(path)
    snapshot = {t: con.sql(f"SELECT count(*), max(run_id) FROM {t}").fetchall()
                for t in ("correlations", "topk", "search_sim", "bias")}
    with pytest.raises(EvaluationError, match=message.replace("(", r"\(")):
        evaluate(con, filters, Settings(**{**FAST, **settings}), progress=False)
    assert snapshot == {t: con.sql(f"SELECT count(*), max(run_id) FROM {t}").fetchall() for t in snapshot}
    assert con.sql("SELECT count(*) FROM eval_runs").fetchall()[0][0] == 1


def test_cli_eval_and_leaderboard(nb201_db, tmp_path, capsys):
    path = tmp_path / "copy.duckdb"
    path.write_bytes(nb201_db.read_bytes())
    assert cli.main(["--db", str(path), "eval", "--bench", "nb201", "--dataset", "cifar10-valid", "--population",
                     "sample:300:1", "--bootstrap", "50", "--trials", "500"]) == 0
    assert cli.main(["--db", str(path), "leaderboard", "--bench", "nb201", "--dataset", "cifar10-valid",
                     "--population", "sample:300:1", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    table = pl.read_csv(out[out.index("group,"):].encode())
    assert set(table["proxy"]) == {"synth", "c10only", "n_conv"}
    for _, group in table.group_by("group"):  # ranked within groups of equal arch sets
        assert group["spearman"].to_list() == sorted(group["spearman"], reverse=True)
    assert table.filter(pl.col("proxy") == "n_conv")["n"][0] == 300 >= table.filter(pl.col("proxy") == "synth")["n"][0]
    assert cli.main(["--db", str(path), "eval", "--bench", "nb999"]) == 2
    assert "unknown bench 'nb999'" in capsys.readouterr().err


@pytest.fixture
def toy_db(tmp_path):
    """10 archs; proxy A on archs 0-7, proxy B on archs 3-9 (B NULL on arch 9); ground truth = arch index."""
    con = store.connect(tmp_path / "toy.duckdb")
    _insert(con, "archs", pl.DataFrame({"bench": "toy", "arch_id": list(range(10)),
                                        "arch_key": [f"a{i}" for i in range(10)], "n_conv": [i % 3 for i in range(10)]},
                                       schema_overrides={"n_conv": pl.Int32}))
    _insert(con, "ground_truth", pl.DataFrame({
        "bench": "toy", "arch_id": list(range(10)), "dataset": "d", "split": "test", "metric": "accuracy",
        "epochs": 1, "value": [float(i) for i in range(10)], "higher_is_better": True, "aggregation": "single_run",
        "source": "toy"}, schema_overrides={"epochs": pl.Int32}))
    a = [3.0, 1.0, 2.0, 5.0, 4.0, 7.0, 6.0, 8.0]
    b = [9.0, 1.0, 8.0, 2.0, 7.0, 3.0, None]
    _insert(con, "peer_proxies", pl.DataFrame({"bench": "toy", "arch_id": list(range(8)), "dataset": "", "proxy": "A",
                                          "value": a, "source": "test"}))
    _insert(con, "peer_proxies", pl.DataFrame({"bench": "toy", "arch_id": list(range(3, 10)), "dataset": "d",
                                          "proxy": "B", "value": b, "source": "test"}))
    return con


def test_leaderboard_common_uses_the_shared_archs(toy_db):
    table, source = leaderboard(toy_db, "toy", "d", common=True, sources=["test"], bootstrap=100)
    assert "computed now" in source
    shared = [3, 4, 5, 6, 7, 8]  # A covers 0-7, B has finite values on 3-8
    a = dict(zip(range(8), [3.0, 1.0, 2.0, 5.0, 4.0, 7.0, 6.0, 8.0]))
    b = dict(zip(range(3, 10), [9.0, 1.0, 8.0, 2.0, 7.0, 3.0]))
    shared = sorted(set(a) & set(b))
    rows = {r["proxy"]: r for r in table.iter_rows(named=True)}
    assert rows["A"]["n"] == rows["B"]["n"] == len(shared) == 5
    assert rows["A"]["spearman"] == pytest.approx(stats.spearmanr([a[i] for i in shared], shared)[0])
    assert rows["B"]["spearman"] == pytest.approx(stats.spearmanr([b[i] for i in shared], shared)[0])
    assert table["rank"].to_list() == [1, 2, 3] and table["spearman"].is_sorted(descending=True)
    assert set(table["proxy"]) == {"A", "B", "n_conv"}  # the n_conv baseline is in every leaderboard
    with pytest.raises(EvaluationError, match="no stored correlations"):
        leaderboard(toy_db, "toy", "d")
    evaluate(toy_db, Filters(), Settings(bootstrap=100), progress=False)
    own, _ = leaderboard(toy_db, "toy", "d", sources=["test"])
    assert dict(own.filter(pl.col("computed") == "stored").select("proxy", "n").iter_rows()) == {"A": 8, "B": 6,
                                                                                              "n_conv": 10}


def test_unique_and_non_degenerate_populations(toy_db):
    toy_db.execute("UPDATE archs SET iso_class = arch_id - arch_id % 2, is_degenerate = (arch_id = 7)")
    evaluate(toy_db, Filters(proxies=["A"]), Settings(population="unique", bootstrap=0), progress=False)
    evaluate(toy_db, Filters(proxies=["A"]), Settings(population="non_degenerate", bootstrap=0), progress=False)
    n = dict(toy_db.sql("SELECT population, n FROM correlations WHERE proxy = 'A'").fetchall())
    assert n == {"unique": 4, "non_degenerate": 7}  # A on archs 0,2,4,6 / 0-6


def test_set_population_from_arch_sets(toy_db):
    _insert(toy_db, "arch_sets", pl.DataFrame({"bench": "toy", "arch_id": [1, 2, 3, 5, 7], "set_name": "pub:list",
                                               "source": "test"}))
    evaluate(toy_db, Filters(proxies=["A"]), Settings(population="set:pub:list", bootstrap=0), progress=False)
    assert toy_db.sql("SELECT n FROM correlations WHERE population = 'set:pub:list' AND proxy = 'A'"
                      ).fetchall() == [(5,)]
    with pytest.raises(EvaluationError, match="no toy arch set named 'nope'; sets: pub:list"):
        evaluate(toy_db, Filters(), Settings(population="set:nope"), progress=False)


def test_failure_while_writing_rolls_back_everything(toy_db):
    """A real failure mid-write (search_sim cannot hold N=200 after a type change) leaves every table as it was."""
    evaluate(toy_db, Filters(), Settings(bootstrap=20), progress=False)
    before = {t: toy_db.sql(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
              for t in ("correlations", "topk", "search_sim", "bias", "eval_runs")}
    toy_db.execute("CREATE TABLE narrow AS SELECT * REPLACE (NULL::TINYINT AS n_sample) FROM search_sim LIMIT 0")
    toy_db.execute("DROP TABLE search_sim")
    toy_db.execute("ALTER TABLE narrow RENAME TO search_sim")  # N = 200 no longer fits
    before["search_sim"] = []
    with pytest.raises(duckdb.Error):
        evaluate(toy_db, Filters(), Settings(bootstrap=20, sample_sizes=(10, 200)), progress=False)
    assert before == {t: toy_db.sql(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in before}
