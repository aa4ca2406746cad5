"""Evaluate only what changed: stored rows made from identical inputs are reused, anything else is recomputed.

Reused rows are checked against the same evaluation computed from scratch (``reuse_stored=False``), whose
numbers the other evaluation tests check against scipy; every input of a row (proxy values, ground truth,
size references, settings) is changed once to see the row recomputed, never reused.
"""
from __future__ import annotations

import shutil

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import nasdb
from nasdb import store
from nasdb.evaluate import runner

S = runner.Settings(population="sample:1500:7", bootstrap=100, trials=50)


@pytest.fixture(scope="module")
def evaluated(ingested, tmp_path_factory):
    """NB201 with a user proxy 'mine', every proxy evaluated (the state after `nasdb build`); copy before writing."""
    path = tmp_path_factory.mktemp("reuse") / "nasdb.duckdb"
    shutil.copy(ingested("nb201"), path)
    _import(path, "mine", seed=1)
    _evaluate(path, runner.Filters("nb201"))
    return path


@pytest.fixture()
def db(evaluated, tmp_path):
    path = tmp_path / "nasdb.duckdb"
    shutil.copy(evaluated, path)
    return path


def _import(db, name: str, seed: int, ids=None) -> None:
    con = store.connect(db, read_only=True)
    archs = store.frame(con, "SELECT arch_id FROM archs WHERE bench = 'nb201' ORDER BY arch_id")
    con.close()
    if ids is not None:
        archs = archs.filter(pl.col("arch_id").is_in(ids))
    values = np.round(np.random.default_rng(seed).normal(size=archs.height), 1)  # ties on purpose
    nasdb.import_proxy(pl.DataFrame({"index": archs["arch_id"], "score": values}), name, "nb201",
                       allow_missing=ids is not None, db=db)


def _compute(db, reuse: bool, f: runner.Filters, s: runner.Settings = S) -> runner.Computed:
    con = store.connect(db, read_only=True)
    try:
        return runner.compute(con, f, s, progress=False, reuse_stored=reuse)
    finally:
        con.close()


def _evaluate(db, f: runner.Filters, s: runner.Settings = S) -> runner.RunSummary:
    con = store.connect(db)
    try:
        return runner.evaluate(con, f, s, progress=False)
    finally:
        con.close()


def _frames(c: runner.Computed) -> dict[str, pl.DataFrame]:
    return {t: pl.DataFrame([{**r, "settings": str(sorted(r["settings"].items()))} for r in rows],
                            infer_schema_length=None) for t, rows in c.out.items()}


def _assert_same(a: runner.Computed, b: runner.Computed) -> None:
    fa, fb = _frames(a), _frames(b)
    for t in fa:
        assert fa[t].height > 0
        assert_frame_equal(fa[t], fb[t], check_exact=True, check_dtypes=False, check_column_order=False)


def _pairs(c: runner.Computed) -> int:
    return sum(len(j.proxies) for j in c.jobs)


def test_reused_rows_equal_a_fresh_computation(db):
    _import(db, "new", seed=2)                               # a user imports a proxy and evaluates it
    f = runner.Filters("nb201", proxies=["new"])
    reused, fresh = _compute(db, True, f), _compute(db, False, f)
    new = sum(1 for j in fresh.jobs for p, _ in j.proxies if p == "new")
    assert new == len(fresh.jobs) >= 3 and fresh.reused == 0   # one per primary target
    assert reused.reused == _pairs(fresh) - new > 0          # every baseline reused, the new proxy computed
    _assert_same(reused, fresh)
    # stored with the new run id: the leaderboard's rows equal the fresh ones too
    summary = _evaluate(db, f)
    assert summary.reused == reused.reused
    # a full re-run after that reuses everything, including the proxy evaluated just now
    again = _compute(db, True, runner.Filters("nb201"))
    assert again.reused == _pairs(again)
    _assert_same(again, _compute(db, False, runner.Filters("nb201")))


def test_any_changed_input_is_recomputed(db):
    f = runner.Filters("nb201", proxies=["mine"])
    c = _compute(db, True, f)
    everything, targets = _pairs(c), len(c.jobs)
    assert c.reused == everything
    # other settings: nothing matches
    assert _compute(db, True, f, runner.Settings(population=S.population, bootstrap=99, trials=50)).reused == 0
    assert _compute(db, True, f, runner.Settings(population=S.population, bootstrap=100, trials=50, seed=1)
                    ).reused == 0
    # new values for the proxy (a new current run): its targets are recomputed, the baselines reused
    _import(db, "mine", seed=3)
    c = _compute(db, True, f)
    assert c.reused == everything - targets
    _assert_same(c, _compute(db, False, f))
    _evaluate(db, f)
    # a ground-truth value changes (a re-ingest): the target it belongs to is recomputed for every proxy
    job = next(j for j in c.jobs if j.target.dataset == "cifar100")
    arch = int(job.proxies[("mine", "user:mine")].arch_id[0])   # an arch of the population
    con = store.connect(db)
    con.execute("UPDATE ground_truth SET value = value + 1 WHERE bench = 'nb201' AND dataset = ? AND split = ? "
                "AND metric = ? AND source = ? AND arch_id = ?",
                [job.target.dataset, job.target.split, job.target.metric, job.target.gt_source, arch])
    con.close()
    c = _compute(db, True, f)
    assert c.reused == everything - len(job.proxies)
    _assert_same(c, _compute(db, False, f))
    _evaluate(db, f)
    # the conv count of one arch changes (the bias table's size reference and strata): everything is recomputed
    con = store.connect(db)
    con.execute("UPDATE archs SET n_conv = n_conv + 1 WHERE bench = 'nb201' AND arch_id = ?", [arch])
    con.close()
    c = _compute(db, True, f)
    assert c.reused == 0
    _assert_same(c, _compute(db, False, f))


def test_stale_rows_are_never_reused(db):
    f = runner.Filters("nb201", proxies=["mine"])
    con = store.connect(db)
    con.execute("UPDATE correlations SET stale = true WHERE proxy = 'n_conv'")
    con.close()
    c = _compute(db, True, f)
    assert c.reused == _pairs(c) - len(c.jobs)
    _assert_same(c, _compute(db, False, f))


def test_evaluate_values_reuses_the_baselines_and_ranks_on_the_users_archs(db, tmp_path):
    from scipy import stats

    from nasdb.evaluate import population

    # the user's file covers a third of the archs (allow_missing is evaluate_values' default): ranks use only those
    con = store.connect(db, read_only=True)
    archs = store.frame(con, "SELECT arch_id, arch_key FROM archs WHERE bench = 'nb201' ORDER BY arch_id")
    con.close()
    part = archs.sample(fraction=0.33, seed=5)
    path = tmp_path / "part.csv"
    pl.DataFrame({"arch": part["arch_key"], "score": np.random.default_rng(9).normal(size=part.height)}).write_csv(path)
    out = nasdb.evaluate_values(path, "nb201", dataset="cifar100", population=S.population, bootstrap=S.bootstrap,
                                trials=S.trials, db=db)
    # the baseline's rows are the stored ones (reused: same inputs and settings)
    con = store.connect(db, read_only=True)
    stored = store.frame(con, "SELECT * EXCLUDE (run_id, settings) FROM correlations WHERE dataset = 'cifar100' "
                              "AND proxy = 'n_conv'")
    assert_frame_equal(out["correlations"].filter(pl.col("proxy") == "n_conv").select(stored.columns), stored,
                       check_dtypes=False, check_exact=True)
    # independent: the rank's Spearman of the stored proxy 'mine' on the user's archs of the population, SQL + scipy
    pop = population.arch_ids(con, "nb201", population.parse(S.population))
    rows = store.frame(con, "SELECT p.arch_id, p.value, g.value AS acc FROM proxies p JOIN ground_truth g "
                            "USING (bench, arch_id) WHERE p.proxy = 'mine' AND g.bench = 'nb201' AND "
                            "g.dataset = 'cifar100' AND g.split = 'test' AND g.metric = 'accuracy' AND "
                            "g.source = 'nb201' AND g.epochs = (SELECT max(epochs) FROM ground_truth WHERE "
                            "bench = 'nb201' AND dataset = 'cifar100' AND split = 'test' AND metric = 'accuracy' "
                            "AND source = 'nb201')")
    con.close()
    keep = rows.filter(pl.col("arch_id").is_in(pop.tolist()) & pl.col("arch_id").is_in(part["arch_id"].to_list()))
    rank = out["rank"].filter(pl.col("proxy") == "mine").row(0, named=True)
    assert rank["n"] == keep.height == out["rank"].filter(pl.col("proxy") == "my_proxy")["n"][0] < 1500
    assert rank["spearman"] == pytest.approx(stats.spearmanr(keep["value"], keep["acc"]).statistic, abs=1e-12)
    assert rank["same_archs"] and rank["rank"] is not None
