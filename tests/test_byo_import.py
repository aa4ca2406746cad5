"""Bring your own proxy: import files in every key format, refuse bad rows without touching the database,
evaluate imported values like any proxy (scipy on the same rows), retire a user proxy."""
from __future__ import annotations

import json
import shutil

import numpy as np
import polars as pl
import pytest
from scipy import stats

import nasdb
from nasdb import store
from nasdb.cli import main
from nasdb.evaluate import runner
from nasdb.proxies.user_values import ImportValuesError


@pytest.fixture()
def db(ingested, tmp_path):
    path = tmp_path / "nasdb.duckdb"
    shutil.copy(ingested("nb201", "tnb101"), path)
    return path


def _frame(db, sql: str, params=None) -> pl.DataFrame:
    con = store.connect(db, read_only=True)
    try:
        return store.frame(con, sql, params)
    finally:
        con.close()


def _nb201(db) -> pl.DataFrame:
    """Every NB201 arch with its keys and a proxy made from the benchmark's own cifar100 test accuracy + noise."""
    df = _frame(db, "SELECT a.arch_id, a.arch_key, a.naslib_key, g.value AS acc FROM archs a JOIN ground_truth g "
                    "USING (bench, arch_id) WHERE a.bench = 'nb201' AND g.dataset = 'cifar100' AND g.split = 'test' "
                    "AND g.metric = 'accuracy' AND g.source = 'nb201' ORDER BY a.arch_id")
    assert df.height == 15625
    noise = np.random.default_rng(1).normal(0, 5, df.height)
    return df.with_columns(score=df["acc"] + noise)


def _state(db) -> tuple:
    return tuple(_frame(db, f"SELECT count(*) AS n FROM {t}")["n"][0]
                 for t in ("proxy_runs", "proxy_values", "current_runs"))


def _stored(db, proxy: str) -> pl.DataFrame:
    return _frame(db, "SELECT arch_id, dataset, value, source, run_id FROM proxies WHERE proxy = ? ORDER BY arch_id",
                  [proxy])


def test_nb201_every_key_format_places_the_same_values(db, tmp_path, capsys):
    df = _nb201(db)
    shuffled = df.sample(fraction=1.0, shuffle=True, seed=3)
    files = {
        "official.csv": shuffled.select(arch="arch_key", score="score"),
        "index.csv": shuffled.select(index="arch_id", score="score"),
        "naslib.parquet": shuffled.select(arch=pl.col("naslib_key").str.strip_chars("()").str.split(", ")
                                          .list.eval(pl.element().cast(pl.Int64)), score="score"),
    }
    for name, frame in files.items():
        path = tmp_path / name
        frame.write_csv(path) if name.endswith(".csv") else frame.write_parquet(path)
    # NASLib's zero-cost layout (dataset -> NASLib key -> {proxy: {score, time}}), as Suite-Zero publishes it
    naslib_json = {"cifar100": {k: {"myscore": {"score": s, "time": 0.1}, "val_accuracy": 0.0}
                                for k, s in zip(df["naslib_key"], df["score"])}}
    (tmp_path / "zc.json").write_text(json.dumps(naslib_json))
    expected_formats = {"official.csv": "official", "index.csv": "index", "naslib.parquet": "naslib",
                        "zc.json": "naslib"}
    for i, name in enumerate(expected_formats):
        extra = ["--value", "myscore"] if name == "zc.json" else []
        assert main(["--db", str(db), "proxy", "import", str(tmp_path / name), "--name", f"p{i}",
                     "--bench", "nb201", *extra]) == 0
        out = capsys.readouterr().out
        assert f"15,625 {expected_formats[name]}" in out and "15,625 of 15,625 nb201 archs" in out, out
        stored = _stored(db, f"p{i}")
        assert stored.height == 15625 and stored["source"][0] == f"user:p{i}"
        assert stored["dataset"].unique().to_list() == (["cifar100"] if name == "zc.json" else [""])
        assert np.allclose(stored["value"].to_numpy(), df["score"].to_numpy())
        run = _frame(db, "SELECT settings FROM proxy_runs WHERE run_id = ?", [stored["run_id"][0]])
        settings = json.loads(run["settings"][0])
        assert settings["file"] == name and len(settings["sha256"]) == 64 and settings["direction"] == "max"


def test_lower_is_better_is_evaluated_as_scipy_on_the_same_rows(db, tmp_path, capsys):
    df = _nb201(db)
    path = tmp_path / "err.csv"
    df.select(arch="arch_key", error=100 - pl.col("score")).write_csv(path)
    assert main(["--db", str(db), "proxy", "import", str(path), "--name", "err", "--bench", "nb201",
                 "--lower-is-better"]) == 0
    assert "lower is better" in capsys.readouterr().out
    con = store.connect(db)
    try:
        runner.evaluate(con, runner.Filters("nb201", "cifar100", ["err"]), runner.Settings(bootstrap=20),
                        progress=False)
    finally:
        con.close()
    row = _frame(db, "SELECT * FROM correlations WHERE proxy = 'err' AND proxy_source = 'user:err'").row(0, named=True)
    # independent: the stored file values and the benchmark's accuracy, straight from the tables
    pairs = _frame(db, "SELECT p.value, g.value AS acc FROM proxies p JOIN ground_truth g USING (bench, arch_id) "
                       "WHERE p.proxy = 'err' AND g.dataset = 'cifar100' AND g.split = 'test' "
                       "AND g.metric = 'accuracy' AND g.source = 'nb201'")
    rho = stats.spearmanr(-pairs["value"].to_numpy(), pairs["acc"].to_numpy()).statistic
    assert row["n"] == 15625 and row["spearman"] == pytest.approx(rho, abs=1e-12) and rho > 0.5
    assert row["spearman_lo"] < row["spearman"] < row["spearman_hi"]
    # the same numbers without writing: evaluate_values on the file
    before = _state(db)
    out = nasdb.evaluate_values(path, "nb201", dataset="cifar100", name="err2", lower_is_better=True, bootstrap=20,
                                trials=20, db=db)
    assert _state(db) == before
    mine = out["correlations"].filter(pl.col("proxy") == "err2").row(0, named=True)
    assert mine["spearman"] == pytest.approx(rho, abs=1e-12)
    assert {"topk", "search_sim", "bias", "rank", "placement"} <= set(out)
    assert out["topk"].filter(pl.col("proxy") == "err2").height > 0
    rank = out["rank"].filter(pl.col("proxy") == "err2").row(0, named=True)
    # the stored copy of the same values ties with it on the same archs
    twin = out["rank"].filter((pl.col("proxy") == "err") & (pl.col("dataset") == "cifar100")).row(0, named=True)
    assert rank["rank"] == twin["rank"] and rank["same_archs"] and rank["of"] >= 2


def test_bad_rows_are_one_clear_error_and_the_database_is_unchanged(db, tmp_path, capsys):
    df = _nb201(db)
    good = df.select(arch="arch_key", score=pl.col("score").cast(pl.Utf8))
    bad = pl.concat([good.head(10), pl.DataFrame({"arch": ["|bogus~0|", df["arch_key"][3], "|nor_conv_3x3~0|+x"],
                                                  "score": ["1.0", "2.0", "3.0"]}),
                     good.slice(10, 2).with_columns(score=pl.lit("n/a")), good.slice(12)])
    path = tmp_path / "bad.csv"
    bad.write_csv(path)
    before = _state(db)
    assert main(["--db", str(db), "proxy", "import", str(path), "--name", "bad", "--bench", "nb201"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    # bogus keys at file lines 12 and 14 (header = line 1), arch 3 twice (lines 5 and 13), 'n/a' at 15 and 16
    assert "2 row(s) with a key that is no nb201 architecture (line 12:" in err and "line 14:" in err
    assert "2 row(s) whose value is not a number (line 15: 'n/a'; line 16: 'n/a')" in err
    assert "arch 3 at line 5, line 13" in err
    assert _state(db) == before
    # a subset needs --allow-missing, and says the coverage
    path = tmp_path / "half.csv"
    good.head(1000).write_csv(path)
    assert main(["--db", str(db), "proxy", "import", str(path), "--name", "half", "--bench", "nb201"]) == 2
    assert "14,625 of the 15,625 nb201 archs have no value" in capsys.readouterr().err
    assert _state(db) == before
    assert main(["--db", str(db), "proxy", "import", str(path), "--name", "half", "--bench", "nb201",
                 "--allow-missing"]) == 0
    assert "1,000 of 15,625 nb201 archs (6.4%)" in capsys.readouterr().out
    with pytest.raises(ImportValuesError, match="unknown nb201 dataset"):
        nasdb.import_proxy(good.head(5).with_columns(dataset=pl.lit("mnist")), "x", "nb201", allow_missing=True, db=db)


def test_tnb101_keys_per_task_and_remove_retires_the_pointer(db, tmp_path, capsys):
    micro = _frame(db, "SELECT arch_id, arch_key, naslib_key FROM archs WHERE bench = 'tnb101_micro' ORDER BY 1")
    rows = pl.concat([micro.select(arch=pl.col("arch_key") if task == "jigsaw" else pl.col("naslib_key"),
                                   dataset=pl.lit(task), v=pl.col("arch_id").cast(pl.Float64) * (i + 1))
                      for i, task in enumerate(["jigsaw", "normal"])])
    path = tmp_path / "micro.json"
    path.write_text(json.dumps(rows.to_dicts()))
    placed, result = nasdb.import_proxy(path, "tm", "tnb101_micro", key="arch", value="v", label="lab", db=db)
    assert placed.key_formats == {"official": micro.height, "naslib": micro.height}
    stored = _frame(db, "SELECT p.dataset, a.arch_id, p.value FROM proxies p JOIN archs a USING (bench, arch_id) "
                        "WHERE p.proxy = 'tm' AND p.source = 'user:lab' ORDER BY 1, 2")
    assert stored.height == 2 * micro.height
    assert (stored.filter(pl.col("dataset") == "normal")["value"] ==
            2 * stored.filter(pl.col("dataset") == "normal")["arch_id"]).all()
    assert main(["--db", str(db), "proxy", "list"]) == 0
    assert "user:lab" in capsys.readouterr().out
    n_values = _state(db)[1]
    assert main(["--db", str(db), "proxy", "remove", "tm"]) == 0
    assert "retired" in capsys.readouterr().out
    assert _stored(db, "tm").height == 0                                     # no longer shown ...
    assert _state(db)[1] == n_values                                          # ... its values kept
    assert _frame(db, "SELECT count(*) AS n FROM proxy_runs WHERE run_id = ?", [result.run_id])["n"][0] == 1


@pytest.mark.slow  # shares the NB101 database other suites build (423,624 cells)
def test_nb101_hash_naslib_spec_and_index_keys(ingested, tmp_path):
    db = tmp_path / "nb101.duckdb"
    shutil.copy(ingested("nb101", "suite_zero_nb101"), db)
    archs = _frame(db, "SELECT arch_id, arch_key, naslib_key FROM archs WHERE bench = 'nb101' "
                       "AND arch_id % 997 = 5 ORDER BY arch_id")
    n = archs.height // 4
    specs = [json.dumps(nasdb.convert("nb101", k, to="spec")) for k in archs["arch_key"][2 * n:3 * n]]
    keys = (archs["arch_key"][:n].str.to_uppercase().to_list() + archs["naslib_key"][n:2 * n].to_list()
            + specs + [str(i) for i in archs["arch_id"][3 * n:]])
    pl.DataFrame({"key": keys, "v": archs["arch_id"].cast(pl.Float64) / 7}).write_csv(tmp_path / "nb101.csv")
    placed, _ = nasdb.import_proxy(tmp_path / "nb101.csv", "h", "nb101", allow_missing=True, db=db)
    assert placed.key_formats == {"official/hash": n, "naslib": n, "spec": n, "index": archs.height - 3 * n}
    stored = _stored(db, "h")
    assert stored["arch_id"].to_list() == archs["arch_id"].to_list()
    assert np.allclose(stored["value"].to_numpy(), archs["arch_id"].to_numpy() / 7)
    # a well-formed hash that is no NB101 cell is refused, the database unchanged
    before = _state(db)
    pl.DataFrame({"key": ["0" * 31 + "1"], "v": [1.0]}).write_csv(tmp_path / "one.csv")
    with pytest.raises(ImportValuesError, match="line 2: .*not in the database"):
        nasdb.import_proxy(tmp_path / "one.csv", "h2", "nb101", allow_missing=True, db=db)
    assert _state(db) == before
