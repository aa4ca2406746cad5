"""Honest leaderboards (issue 10): like compared with like, baselines everywhere, small n flagged, nDCG@k stored.

Expected numbers come from scipy and sklearn on the rows written here, never from the code under test.
"""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats
from sklearn.metrics import ndcg_score

from nasdb import cli, store
from nasdb.evaluate import Filters, Settings, evaluate, topk
from nasdb.evaluate.leaderboard import leaderboard, warnings

A = [3.0, 1.0, 2.0, 5.0, 4.0, 7.0, 6.0, 8.0]            # archs 0-7
B = [9.0, 1.0, 8.0, 2.0, 7.0, 3.0, 5.0]                 # archs 3-9
N_CONV = [i % 3 for i in range(10)]
PARAMS = [1.0, 3.0, 2.0, 4.0, 6.0, 5.0, 8.0, 7.0, 9.0, 10.0]  # a size measure from the costs table


def _insert(con, table: str, df: pl.DataFrame) -> None:
    con.register("_rows", df.to_arrow())
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    con.unregister("_rows")


@pytest.fixture
def toy(tmp_path):
    path = tmp_path / "toy.duckdb"
    con = store.connect(path)
    con.execute("INSERT INTO benchmarks VALUES ('toy', 'Toy', 10, NULL, NULL)")
    _insert(con, "archs", pl.DataFrame({"bench": "toy", "arch_id": list(range(10)),
                                        "arch_key": [f"a{i}" for i in range(10)], "n_conv": N_CONV},
                                       schema_overrides={"n_conv": pl.Int32}))
    _insert(con, "ground_truth", pl.DataFrame({
        "bench": "toy", "arch_id": list(range(10)), "dataset": "d", "split": "test", "metric": "accuracy",
        "epochs": 1, "value": [float(i) for i in range(10)], "higher_is_better": True, "aggregation": "single_run",
        "source": "toy"}, schema_overrides={"epochs": pl.Int32}))
    _insert(con, "costs", pl.DataFrame({"bench": "toy", "arch_id": list(range(10)), "dataset": "d", "metric": "params",
                                        "value": PARAMS, "unit": "M", "source": "toy"}))
    _insert(con, "peer_proxies", pl.DataFrame({"bench": "toy", "arch_id": list(range(8)), "dataset": "", "proxy": "A",
                                          "value": A, "source": "test"}))
    _insert(con, "peer_proxies", pl.DataFrame({"bench": "toy", "arch_id": list(range(3, 10)), "dataset": "d",
                                          "proxy": "B", "value": B, "source": "peer:x"}))
    evaluate(con, Filters(), Settings(bootstrap=0, trials=5), progress=False)
    yield con
    con.close()


def _rho(values, archs) -> float:
    return stats.spearmanr(values, archs).statistic


def test_default_leaderboard_ranks_only_within_equal_arch_sets(toy):
    table, _ = leaderboard(toy, "toy", "d", bootstrap=0)
    groups = {g: dict(rows.select("proxy", "spearman").iter_rows()) for (g,), rows in
              table.partition_by("group", as_dict=True, maintain_order=True).items()}
    sizes = dict(table.select("group", "group_n").unique().iter_rows())
    assert sizes == {"A": 10, "B": 8, "C": 7}
    assert set(groups["A"]) == {"n_conv", "params"}                 # every arch: only the baselines
    assert set(groups["B"]) == {"A", "n_conv", "params"}            # A's 8 archs, baselines recomputed on them
    assert set(groups["C"]) == {"B", "n_conv", "params"}
    assert groups["B"]["n_conv"] == pytest.approx(_rho(N_CONV[:8], range(8)))
    assert groups["C"]["params"] == pytest.approx(_rho(PARAMS[3:], range(3, 10)))
    assert groups["B"]["A"] == pytest.approx(_rho(A, range(8)))
    for _, rows in table.partition_by("group", as_dict=True).items():
        assert rows["rank"].to_list() == list(range(1, rows.height + 1))
        assert rows["spearman"].to_list() == sorted(rows["spearman"], reverse=True)
    assert set(table.filter(pl.col("computed") == "now")["group"]) == {"B", "C"}


def test_groups_of_equal_size_are_printed_in_label_order(toy):
    """Two arch sets of the same size (archs 0-6 and 3-9): both groups are listed A..Z in order, each block
    contiguous (the groups used to come out in reverse label order when their sizes tied)."""
    _insert(toy, "peer_proxies", pl.DataFrame({"bench": "toy", "arch_id": list(range(7)), "dataset": "d",
                                               "proxy": "C", "value": [2.0, 1.0, 3.0, 5.0, 4.0, 6.0, 7.0],
                                               "source": "peer:y"}))
    evaluate(toy, Filters(), Settings(bootstrap=0, trials=5), progress=False)
    table, _ = leaderboard(toy, "toy", "d", bootstrap=0)
    order = table["group"].to_list()
    assert order == sorted(order)                                   # A.., then B.., then C.., then D..
    sizes = dict(table.select("group", "group_n").unique().iter_rows())
    assert sizes == {"A": 10, "B": 8, "C": 7, "D": 7}
    sevens = {g: set(table.filter(pl.col("group") == g)["proxy"]) - {"n_conv", "params"} for g in ("C", "D")}
    assert sorted(sevens.values(), key=sorted) == [{"B"}, {"C"}]


def test_baselines_stay_when_filtering_and_with_common(toy):
    table, _ = leaderboard(toy, "toy", "d", sources=["test"], bootstrap=0)
    assert set(table["proxy"]) == {"A", "n_conv", "params"}
    table, _ = leaderboard(toy, "toy", "d", common=True, sources=["test", "peer:x"], bootstrap=0)
    shared = [3, 4, 5, 6, 7]
    assert set(table["group"]) == {"A"} and set(table["n"]) == {5}
    rows = dict(table.select("proxy", "spearman").iter_rows())
    assert rows["params"] == pytest.approx(_rho([PARAMS[i] for i in shared], shared))
    assert rows["B"] == pytest.approx(_rho([B[i - 3] for i in shared], shared))


def test_small_groups_are_flagged(toy, capsys):
    table, _ = leaderboard(toy, "toy", "d", bootstrap=0)
    assert len(warnings(table)) == 3 and "only n = 7 archs" in warnings(table)[-1]
    path = toy.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]
    toy.close()
    assert cli.main(["--db", path, "leaderboard", "--bench", "toy", "--dataset", "d"]) == 0
    out, err = capsys.readouterr()
    assert "group C: 7 archs" in out and "warning: group C: only n = 7 archs" in err


def test_ndcg_equals_sklearn_with_ties():
    rng = np.random.default_rng(3)
    for n, k in [(40, 5), (500, 50), (300, 300), (20, 1)]:
        g = rng.normal(size=n)
        x = np.round(g + rng.normal(size=n))  # many ties
        gain = stats.rankdata(g) / n
        assert topk.ndcg(x, g, k) == pytest.approx(ndcg_score([gain], [x], k=k, ignore_ties=False), abs=1e-12)
    assert topk.ndcg(np.arange(10.0), np.arange(10.0), 3) == pytest.approx(1.0)


def test_ndcg_is_stored_with_every_topk_row(toy):
    rows = toy.execute("SELECT k, ndcg_at_k FROM topk WHERE proxy = 'A' AND k <= 8 ORDER BY k").fetchall()
    assert rows
    gain = stats.rankdata(np.arange(8.0)) / 8
    for k, value in rows:
        assert value == pytest.approx(ndcg_score([gain], [A], k=k, ignore_ties=False))


PARTIAL = {4: 2.0, 5: 1.0, 6: 3.0, 9: 4.0}  # a peer's params for four archs only (three of them in A and B's set)


def _add_partial_baseline(con) -> None:
    _insert(con, "peer_proxies", pl.DataFrame({"bench": "toy", "arch_id": list(PARTIAL), "dataset": "d",
                                               "proxy": "params", "value": list(PARTIAL.values()),
                                               "source": "peer:z"}))


def test_common_set_is_made_of_the_compared_proxies_never_of_the_baselines(toy):
    """A baseline from a source nobody asked for (a peer's params on 4 archs) used to shrink the common set to
    its own archs; the set is A and B's (3-7), the baselines are judged on it, and the partial one is ranked in
    its own group with its honest n (its archs of the set)."""
    _add_partial_baseline(toy)
    shared = [3, 4, 5, 6, 7]
    table, source = leaderboard(toy, "toy", "d", common=True, sources=["test", "peer:x"], bootstrap=0)
    groups = {g: {(r["proxy"], r["proxy_source"]): r for r in rows.iter_rows(named=True)}
              for (g,), rows in table.partition_by("group", as_dict=True, maintain_order=True).items()}
    assert set(groups) == {"A", "B"}
    assert set(groups["A"]) == {("A", "test"), ("B", "peer:x"), ("n_conv", "baseline:archs"), ("params", "cost:toy")}
    assert {r["n"] for r in groups["A"].values()} == {5} and "on the 5 archs the 2 compared proxies" in source
    assert set(table["computed"]) == {"now"}
    a = groups["A"]
    assert a[("A", "test")]["spearman"] == pytest.approx(_rho([A[i] for i in shared], shared))
    assert a[("B", "peer:x")]["spearman"] == pytest.approx(_rho([B[i - 3] for i in shared], shared))
    assert a[("params", "cost:toy")]["spearman"] == pytest.approx(_rho([PARAMS[i] for i in shared], shared))
    assert a[("n_conv", "baseline:archs")]["spearman"] == pytest.approx(_rho([N_CONV[i] for i in shared], shared))
    partial = groups["B"][("params", "peer:z")]
    assert partial["n"] == 3 and partial["spearman"] == pytest.approx(_rho([2.0, 1.0, 3.0], [4, 5, 6]))

    # the same rule when `nasdb eval --common` stores the rows, and the leaderboard reads them back
    evaluate(toy, Filters(sources=["test", "peer:x"]), Settings(common=True, bootstrap=0, trials=5), progress=False)
    stored = dict(toy.execute("SELECT proxy || '@' || proxy_source, n FROM correlations WHERE arch_set = 'common'")
                  .fetchall())
    assert stored == {"A@test": 5, "B@peer:x": 5, "n_conv@baseline:archs": 5, "params@cost:toy": 5,
                      "params@peer:z": 3}
    again, source = leaderboard(toy, "toy", "d", common=True, sources=["test", "peer:x"], bootstrap=0)
    assert source.startswith("stored evaluation") and set(again["computed"]) == {"stored"}
    assert again.select("group", "proxy", "proxy_source", "n").sort(pl.all()).equals(
        table.select("group", "proxy", "proxy_source", "n").sort(pl.all()))

    # only baselines asked for: the ones named define the set, the others do not shrink it
    only, _ = leaderboard(toy, "toy", "d", common=True, sources=["cost:toy"], bootstrap=0)
    assert dict(only.filter(pl.col("group") == "A").select("proxy_source", "n").iter_rows()) == {
        "cost:toy": 10, "baseline:archs": 10}
    assert only.filter(pl.col("proxy_source") == "peer:z")["n"].to_list() == [4]


def test_common_cli_prints_the_set_and_the_partial_baseline_group(toy, capsys):
    _add_partial_baseline(toy)
    path = toy.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]
    toy.close()
    assert cli.main(["--db", path, "leaderboard", "--bench", "toy", "--dataset", "d", "--common",
                     "--source", "test", "--source", "peer:x", "--bootstrap", "0"]) == 0
    out, _ = capsys.readouterr()
    assert "group A: 5 archs" in out and "group B: 3 archs" in out and "group A is the common set" in out
