"""Search replay on tiny hand-made spaces with a known optimum, reproducibility, and the stored rows."""
from __future__ import annotations

import itertools
from types import SimpleNamespace

import duckdb
import numpy as np
import pytest

from nasdb.search import results
from nasdb.search.problem import Moves
from nasdb.search.replay import curves, replay
from nasdb.search.table import SearchError, Table

BITS = 5
TARGET = "10110"


def bit_space():
    """Cells are 5-bit strings ('1' = an edge is present); a mutation flips one bit, a shrink drops a '1'."""
    def flips(s, allowed):
        return [s[:i] + ("1" if c == "0" else "0") + s[i + 1:] for i, c in enumerate(s) if c in allowed]
    return SimpleNamespace(parse=lambda k: k, key=lambda s: s,
                           neighbours=lambda s: flips(s, "01"), shrinks=lambda s: flips(s, "1"))


def unimodal_table(**extra) -> Table:
    """Accuracy (percent) = 60 + 8 per bit agreeing with TARGET: one optimum, no other local optimum."""
    keys = ["".join(b) for b in itertools.product("01", repeat=BITS)]
    acc = np.array([60.0 + 8 * sum(a == b for a, b in zip(k, TARGET)) for k in keys])
    return Table("toy", keys, np.arange(len(keys)), acc, acc - 1.0, **extra)


@pytest.mark.parametrize("algo", ["random", "re", "local"])
def test_algorithms_find_the_known_optimum(algo):
    t = unimodal_table()
    r = replay(t, bit_space(), algo, budget=80, seeds=list(range(8)))
    for trial in r.trials:
        assert t.keys[trial.incumbent[-1]] == TARGET, (algo, trial.seed)
        assert len(trial.history) <= 80


def test_local_search_climbs_without_restart_on_a_unimodal_table():
    t = unimodal_table()
    r = replay(t, bit_space(), "local", budget=1000, seeds=[3])
    # every arch is seen at most once, and the whole table is the most it can query
    assert len(r.trials[0].history) == len(set(r.trials[0].history.tolist())) <= len(t)
    first_opt = list(r.trials[0].history).index(t.row[TARGET])
    assert first_opt < 1 + BITS * BITS  # the climb reaches it within BITS steps of BITS neighbours


def test_zc_warmstart_seeds_the_population_with_the_proxy_top():
    t = unimodal_table()
    t.proxy = t.valid.copy()  # a perfect proxy: the warm start's first query is the optimum
    r = replay(t, bit_space(), "zc-warmstart", budget=3, seeds=[0, 1], settings={"warm_start": 32})
    for trial in r.trials:
        assert t.keys[trial.history[0]] == TARGET
        assert trial.proxy_evals == 32


def test_zc_warmstart_needs_a_proxy():
    with pytest.raises(SearchError, match="needs --proxy"):
        replay(unimodal_table(), bit_space(), "zc-warmstart", budget=3, seeds=[0])


def shrink_table() -> Table:
    """FLOPs 10**(6 + edges): the penalty is 0.1 per edge. Accuracy rewards edges 0 and 2 (+15 points each)
    and a little everything else (+5), so the penalised optimum is '10100' (0.1 per edge > 0.05)."""
    keys = ["".join(b) for b in itertools.product("01", repeat=BITS)]
    acc = np.array([50 + 15 * (k[0] == "1") + 15 * (k[2] == "1") + 5 * k.count("1") for k in keys], dtype=float)
    flops = np.array([10.0 ** (6 + k.count("1")) for k in keys])
    return Table("toy", keys, np.arange(len(keys)), acc, acc, flops=flops)


def test_autoshrink_shrinks_the_dense_cell_to_the_penalised_optimum():
    t = shrink_table()
    score = t.valid / 100 - 0.1 * (np.log10(t.flops) - 6)
    assert t.keys[int(np.argmax(score))] == "10100"  # the known optimum of the paper's reward
    r = replay(t, bit_space(), "autoshrink", budget=100, seeds=[0])
    hist = [t.keys[i] for i in r.trials[0].history]
    # worked by hand: from the only dense start 11111, query every one-edge removal (in row order),
    # move to the first best (dropping edge 1 gains 0.1 - 0.05), and so on until no removal helps
    assert hist == ["11111", "01111", "10111", "11011", "11101", "11110",   # -> 10111
                    "00111", "10011", "10101", "10110",                     # -> 10101
                    "00101", "10001", "10100",                              # -> 10100
                    "00100", "10000"]                                       # both worse: stop


def test_autoshrink_with_a_proxy_queries_only_the_shrunk_cell():
    t = shrink_table()
    t.proxy = t.valid.copy()
    r = replay(t, bit_space(), "autoshrink", budget=10, seeds=[0], settings={"use_proxy": True})
    trial = r.trials[0]
    assert [t.keys[i] for i in trial.history] == ["10100"]
    assert trial.proxy_evals > 1


def test_autoshrink_needs_flops():
    with pytest.raises(SearchError, match="FLOPs"):
        replay(unimodal_table(), bit_space(), "autoshrink", budget=5, seeds=[0])


def test_dense_rows_are_the_cells_with_most_removable_edges():
    t = shrink_table()
    assert [t.keys[i] for i in Moves(bit_space(), t).densest()] == ["11111"]


def test_replay_is_reproducible_from_its_seed():
    t = unimodal_table()
    for algo in ("random", "re", "local"):
        a = replay(t, bit_space(), algo, budget=25, seeds=[5, 6])
        b = replay(t, bit_space(), algo, budget=25, seeds=[6, 5])
        assert a.trials[0].history.tolist() == b.trials[1].history.tolist()
        assert a.trials[1].history.tolist() == b.trials[0].history.tolist()
        assert a.trials[0].history.tolist() != a.trials[1].history.tolist()


def test_curves_follow_the_incumbent():
    t = unimodal_table()
    r = replay(t, bit_space(), "random", budget=32, seeds=[0, 1, 2])
    c = curves(r)
    assert c["queries"].tolist() == list(range(1, 33))
    assert np.all(np.diff(c["valid_mean"]) >= 0)  # best-so-far never gets worse
    assert c["valid_mean"][-1] == pytest.approx(100.0)  # random search without replacement saw all 32
    assert c["test_mean"][-1] == pytest.approx(99.0)  # the incumbent's test value, not the best test value
    manual = np.mean([max(t.valid[h[:5]]) for h in (tr.history for tr in r.trials)])
    assert c["valid_mean"][4] == pytest.approx(manual)
    assert np.all(c["valid_lo"] <= c["valid_mean"]) and np.all(c["valid_mean"] <= c["valid_hi"])


def test_time_budget_stops_on_simulated_training_time():
    t = unimodal_table(seconds=np.full(32, 100.0))
    r = replay(t, bit_space(), "random", budget=1000, seeds=[0], time_budget=450)
    assert len(r.trials[0].history) == 5  # 4 queries = 400 s < 450 s, the 5th crosses it
    assert r.trials[0].seconds[-1] == 500


def test_results_are_written_once_per_run_id(tmp_path):
    t = unimodal_table()
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    r = replay(t, bit_space(), "re", budget=20, seeds=[0, 1, 2])
    s = results.settings_of(r, "toyset", "toyset", None, [0, 1, 2])
    rid, written = results.write(con, r, s)
    assert written
    again = replay(t, bit_space(), "re", budget=20, seeds=[0, 1, 2])
    rid2, written2 = results.write(con, again, results.settings_of(again, "toyset", "toyset", None, [0, 1, 2]))
    assert rid2 == rid and not written2  # same settings + code = same run, not rewritten
    assert con.execute("SELECT count(*) FROM search_trials WHERE run_id = ?", [rid]).fetchone()[0] == 3
    assert con.execute("SELECT count(*), max(queries) FROM search_curves WHERE run_id = ?", [rid]).fetchone() == (20, 20)
    final = con.execute("SELECT test_mean FROM search_runs WHERE run_id = ?", [rid]).fetchone()[0]
    trials = con.execute("SELECT avg(test) FROM search_trials WHERE run_id = ?", [rid]).fetchone()[0]
    assert final == pytest.approx(trials)
    other = replay(t, bit_space(), "re", budget=21, seeds=[0, 1, 2])
    rid3, _ = results.write(con, other, results.settings_of(other, "toyset", "toyset", None, [0, 1, 2]))
    assert rid3 != rid
    assert con.execute("SELECT count(*) FROM search_runs").fetchone()[0] == 2


@pytest.fixture(scope="module")
def nb201_db(ingested, tmp_path_factory):
    import shutil

    path = tmp_path_factory.mktemp("search") / "nasdb.duckdb"
    shutil.copy(ingested("nb201", "naswot"), path)
    return path


def test_search_cli_on_the_real_nb201_table(nb201_db, capsys):
    from nasdb.cli import main

    argv = ["--db", str(nb201_db), "search", "--algo", "re", "--bench", "nb201", "--dataset", "cifar10-valid",
            "--test-dataset", "cifar10", "--budget", "40", "--seeds", "4"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "cifar10-valid/valid/accuracy@200" in out and "stored" in out
    con = duckdb.connect(str(nb201_db), read_only=True)
    rid, n_archs, settings = con.execute("SELECT run_id, n_archs, settings FROM search_runs").fetchone()
    assert n_archs == 15625 and '"population": 10' in settings
    # the stored incumbent values are the ground truth of the stored arch (an independent SQL join)
    bad = con.execute("""SELECT count(*) FROM search_trials t
        JOIN ground_truth v ON v.bench = 'nb201' AND v.arch_id = t.arch_id AND v.dataset = 'cifar10-valid'
             AND v.split = 'valid' AND v.source = 'nb201'
        JOIN ground_truth g ON g.bench = 'nb201' AND g.arch_id = t.arch_id AND g.dataset = 'cifar10'
             AND g.split = 'test'
        WHERE t.run_id = ? AND (abs(t.valid - v.value) > 1e-9 OR abs(t.test - g.value) > 1e-9)""", [rid]).fetchone()
    assert bad == (0,)
    assert con.execute("SELECT count(*) FROM search_trials WHERE run_id = ?", [rid]).fetchone()[0] == 4
    best = con.execute("SELECT max(value) FROM ground_truth WHERE bench = 'nb201' AND dataset = 'cifar10-valid' "
                       "AND split = 'valid' AND source = 'nb201'").fetchone()[0]
    final = con.execute("SELECT valid_mean FROM search_curves WHERE run_id = ? AND queries = 40", [rid]).fetchone()[0]
    assert 85 < final <= best
    con.close()
    assert main(argv) == 0
    assert "already stored" in capsys.readouterr().out


def test_search_cli_rejects_bad_input(nb201_db, capsys):
    from nasdb.cli import main

    base = ["--db", str(nb201_db), "search", "--bench", "nb201", "--budget", "5", "--seeds", "1"]
    assert main(base + ["--algo", "re", "--dataset", "cifar11"]) == 2
    assert "cifar11" in capsys.readouterr().err
    assert main(base + ["--algo", "zc-warmstart", "--dataset", "cifar10-valid"]) == 2
    assert "--proxy" in capsys.readouterr().err
    assert main(base + ["--algo", "re", "--dataset", "cifar10-valid", "--time-budget", "100"]) == 2
    assert "training time" in capsys.readouterr().err


def test_cli_algorithm_choices_are_the_librarys():
    from nasdb.commands import search as command
    from nasdb.search import ALGORITHMS

    assert command.ALGOS == tuple(ALGORITHMS)


def test_autoshrink_cli_penalises_a_costs_metric(nb201_db, capsys):
    from nasdb.cli import main

    assert main(["--db", str(nb201_db), "search", "--algo", "autoshrink", "--bench", "nb201", "--dataset",
                 "cifar10-valid", "--budget", "30", "--seeds", "2", "--flops-metric", "params", "--no-store"]) == 0
    out = capsys.readouterr().out
    assert "flops: costs.params (dataset 'cifar10'), 15,625 of 15,625 archs" in out  # NASWOT's params, all cells
    assert main(["--db", str(nb201_db), "search", "--algo", "autoshrink", "--bench", "nb201", "--dataset",
                 "cifar10-valid", "--budget", "30", "--seeds", "2", "--flops-metric", "bogus"]) == 2
    assert "'bogus'" in capsys.readouterr().err
