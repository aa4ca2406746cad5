"""Ensembles and ensemble search on tiny hand-made DuckDB files; expected numbers worked out by hand."""
from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from nasdb import cli, store


def _insert(con, table: str, df: pl.DataFrame) -> None:
    con.register("_rows", df.to_arrow())
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    con.unregister("_rows")


def _proxy(con, bench: str, name: str, values: list[float | None], dataset: str = "", source: str = "test") -> None:
    _insert(con, "peer_proxies", pl.DataFrame({"bench": bench, "arch_id": list(range(len(values))), "dataset": dataset,
                                          "proxy": name, "value": values, "source": source,
                                          "run_id": f"ingest:{source}:0"},  # as an ingest job writes peers
                                         schema_overrides={"value": pl.Float64}))


def _truth(con, bench: str, dataset: str, values: list[float]) -> None:
    _insert(con, "ground_truth", pl.DataFrame({
        "bench": bench, "arch_id": list(range(len(values))), "dataset": dataset, "split": "test",
        "metric": "accuracy", "epochs": 1, "value": values, "higher_is_better": True,
        "aggregation": "single_run", "source": "toy"}, schema_overrides={"epochs": pl.Int32}))


def _archs(con, bench: str, n: int) -> None:
    _insert(con, "archs", pl.DataFrame({"bench": bench, "arch_id": list(range(n)),
                                        "arch_key": [f"{bench}{i}" for i in range(n)]}))


@pytest.fixture
def tiny(tmp_path):
    """4 archs; a = 1,2,3,4 and b = 4,1,3,2 (data-free); c on three archs only."""
    path = tmp_path / "tiny.duckdb"
    con = store.connect(path)
    _archs(con, "toy", 4)
    _truth(con, "toy", "d", [1.0, 2.0, 3.0, 4.0])
    _proxy(con, "toy", "a", [1.0, 2.0, 3.0, 4.0])
    _proxy(con, "toy", "b", [4.0, 1.0, 3.0, 2.0])
    _proxy(con, "toy", "c", [5.0, None, 1.0, 2.0])
    con.close()
    return path


def _stored(path, name: str) -> dict[int, float]:
    con = store.connect(path, read_only=True)
    rows = con.execute("SELECT arch_id, value FROM proxies WHERE proxy = ? ORDER BY arch_id", [name]).fetchall()
    con.close()
    return dict(rows)


def test_two_proxy_ensembles_equal_a_hand_computation(tiny):
    # ranks / n: a -> 1/4, 2/4, 3/4, 4/4; b -> 4/4, 1/4, 3/4, 2/4
    assert cli.main(["--db", str(tiny), "ensemble", "mr", "--bench", "toy", "--proxies", "a@test,b@test",
                     "--method", "mean_rank"]) == 0
    assert _stored(tiny, "mr") == pytest.approx({0: 0.625, 1: 0.375, 2: 0.75, 3: 0.75})
    assert cli.main(["--db", str(tiny), "ensemble", "lr", "--bench", "toy", "--proxies", "a@test,b@test"]) == 0
    L = math.log
    assert _stored(tiny, "lr") == pytest.approx({0: L(0.25) + L(1.0), 1: L(0.5) + L(0.25),
                                                 2: 2 * L(0.75), 3: L(1.0) + L(0.5)})
    # '-b': b reversed, so its ranks become 1/4, 4/4, 2/4, 3/4
    assert cli.main(["--db", str(tiny), "ensemble", "mr2", "--bench", "toy", "--proxies", "a@test,-b@test",
                     "--method", "mean_rank"]) == 0
    assert _stored(tiny, "mr2") == pytest.approx({0: 0.25, 1: 0.75, 2: 0.625, 3: 0.875})
    # z-scores (population sd): a -> (-1.5,-0.5,0.5,1.5)/sqrt(1.25); b -> (1.5,-1.5,0.5,-0.5)/sqrt(1.25)
    assert cli.main(["--db", str(tiny), "ensemble", "z", "--bench", "toy", "--proxies", "a@test,b@test",
                     "--method", "zscore"]) == 0
    s = math.sqrt(1.25)
    assert _stored(tiny, "z") == pytest.approx({0: 0.0, 1: -1.0 / s, 2: 0.5 / s, 3: 0.5 / s})
    assert _stored(tiny, "mr") == pytest.approx({0: 0.625, 1: 0.375, 2: 0.75, 3: 0.75})  # each ensemble stays


def test_ensemble_only_where_every_member_exists_and_is_a_current_run(tiny):
    # c is NULL on arch 1: ranks over archs 0, 2, 3; a -> 1/3, 2/3, 3/3; c -> 3/3, 1/3, 2/3
    assert cli.main(["--db", str(tiny), "ensemble", "ac", "--bench", "toy", "--proxies", "a@test,c@test",
                     "--method", "mean_rank"]) == 0
    assert _stored(tiny, "ac") == pytest.approx({0: 2 / 3, 2: 0.5, 3: 5 / 6})
    con = store.connect(tiny, read_only=True)
    run = con.execute("SELECT r.status, r.settings->>'method', p.dataset, p.source FROM proxies p "
                      "JOIN proxy_runs r USING (run_id) WHERE p.proxy = 'ac' LIMIT 1").fetchone()
    con.close()
    assert run == ("complete", "mean_rank", "", "nasdb")  # data-free members -> data-free ensemble


def test_evaluation_sees_an_ensemble_like_any_proxy(tiny):
    assert cli.main(["--db", str(tiny), "ensemble", "mr", "--bench", "toy", "--proxies", "a@test,b@test",
                     "--method", "mean_rank"]) == 0
    assert cli.main(["--db", str(tiny), "eval", "--bench", "toy", "--proxy", "mr", "--bootstrap", "50"]) == 0
    con = store.connect(tiny, read_only=True)
    rho = con.execute("SELECT spearman FROM correlations WHERE proxy = 'mr' AND population = 'all'").fetchone()[0]
    con.close()
    # values 0.625, 0.375, 0.75, 0.75 vs truth 1..4: ranks 2, 1, 3.5, 3.5 vs 1..4
    assert rho == pytest.approx(np.corrcoef([2, 1, 3.5, 3.5], [1, 2, 3, 4])[0, 1])


@pytest.mark.parametrize("argv, message", [
    (["ensemble", "e", "--bench", "toy", "--proxies", "a@test"], "at least two members"),
    (["ensemble", "e", "--bench", "toy", "--proxies", "a@test,zz"], "no toy values for ensemble member(s) zz"),
    (["ensemble", "e", "--bench", "toy", "--proxies", "a@test,,b@test"], "empty member"),
    (["ensemble", "a", "--bench", "toy", "--proxies", "a@test,b@test"], "already a toy proxy"),
    (["ensemble-search", "--select", "toy"], "expected BENCH:DATASET"),
])
def test_bad_input_is_one_line_and_exit_2(tiny, capsys, argv, message):
    assert cli.main(["--db", str(tiny), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.fixture
def two_tasks(tmp_path):
    """Bench 'sel' (selection) and bench 'out' (held out), 30 archs each, the same nasdb proxies p1..p3.

    On 'sel' the truth follows p1; on 'out' it IS p2 (a search that peeked would pick p2)."""
    from nasdb.proxies import stored_values

    rng = np.random.default_rng(0)
    path = tmp_path / "two.duckdb"
    con = store.connect(path)
    for bench in ("sel", "out"):
        _archs(con, bench, 30)
        p = {f"p{i}": rng.permutation(30).astype(float) for i in (1, 2, 3)}
        truth = p["p1"] + rng.normal(0, 3, 30) if bench == "sel" else p["p2"]
        _truth(con, bench, "d", truth.tolist())
        rows = pl.concat([pl.DataFrame({"arch_id": np.arange(30), "dataset": "", "proxy": k, "value": v,
                                        "note": None}, schema_overrides={"note": pl.String}) for k, v in p.items()])
        stored_values.store_run(con, "toyfamily", bench, {"bench": bench}, rows, 0.0)
    con.close()
    return path


def _search(path):
    from nasdb.evaluate import ensemble_search as es

    con = store.connect(path)
    try:
        task, chosen, _ = es.search(con, "sel", "d", ["p*"], "log_rank_sum", 3)
        return chosen, es.report(con, chosen, task, es.tasks(con))
    finally:
        con.close()


def test_selection_never_sees_the_target_it_is_judged_on(two_tasks):
    chosen, report = _search(two_tasks)
    assert [m.proxy for m in chosen.members][0] == "p1"
    roles = dict(zip(report["bench"], report["role"]))
    assert roles == {"sel": "selection", "out": "held-out"}
    # rewrite the held-out truth completely (now it follows p3 reversed): the choice cannot change
    con = store.connect(two_tasks)
    con.execute("UPDATE ground_truth SET value = -q.value FROM proxies q WHERE ground_truth.bench = 'out' "
                "AND q.bench = 'out' AND q.proxy = 'p3' AND q.arch_id = ground_truth.arch_id")
    con.close()
    again, report2 = _search(two_tasks)
    assert again == chosen
    held = lambda r: r.filter(pl.col("role") == "held-out")["spearman"][0]  # noqa: E731
    assert held(report) != pytest.approx(held(report2))  # the held-out score did read the new truth


def test_search_cli_reports_both_roles(two_tasks, capsys):
    assert cli.main(["--db", str(two_tasks), "ensemble-search", "--select", "sel:d", "--candidates", "p*",
                     "--max-size", "2", "--store", "best"]) == 0
    out = capsys.readouterr().out
    assert "selection" in out and "held-out" in out and "chosen on sel/d" in out
    assert len(_stored(two_tasks, "best")) == 30
    # the report is kept: one row per judged task, with the run it came from and the inputs it read
    con = store.connect(two_tasks, read_only=True)
    kept = store.frame(con, "SELECT * FROM ensemble_search_results ORDER BY bench")
    runs = dict(con.execute("SELECT bench, run_id FROM proxy_runs WHERE proxy = 'toyfamily'").fetchall())
    stored_run = con.execute("SELECT DISTINCT run_id FROM proxies WHERE proxy = 'best'").fetchone()[0]
    con.close()
    assert kept["bench"].to_list() == ["out", "sel"] and kept["role"].to_list() == ["held-out", "selection"]
    assert kept["search_id"].n_unique() == 1 and kept["selected_on"].unique().to_list() == ["sel/d"]
    assert kept["stored_as"].unique().to_list() == [stored_run]
    members = kept["members"][0].to_list()
    for bench, used in zip(kept["bench"], kept["inputs"]):
        assert used.to_list() == sorted(f"{m.lstrip('-').split('@')[0]}@nasdb#{runs[bench]}" for m in members)
    sel = kept.filter(pl.col("role") == "selection").row(0, named=True)
    assert sel["spearman"] == pytest.approx(sel["selection_spearman"])  # in-sample row = the search's own score
    assert cli.main(["--db", str(two_tasks), "ensemble-search", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "held-out" in listed and "sel/d" in listed and kept["search_id"][0][:20] in listed
