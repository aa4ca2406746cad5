"""Sharp edges of the command line found by a new user and a fuzzing campaign (issue 10), each fed the same input.

A toy database written here (10 archs, two proxies, a user's own rows) keeps these fast; expected values
come from scipy or from the rows written here, never from the code under test.
"""
from __future__ import annotations

import polars as pl
import pytest
from scipy import stats

from nasdb import cli, store

A = [3.0, 1.0, 2.0, 5.0, 4.0, 7.0, 6.0, 8.0]  # proxy A on archs 0-7; ground truth = arch index


def _insert(con, table: str, df: pl.DataFrame) -> None:
    con.register("_rows", df.to_arrow())
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    con.unregister("_rows")


@pytest.fixture
def toy(tmp_path):
    """10 archs of bench 'toy'; proxy A (source test) on 0-7, proxy B on 3-9, a user's rows (source 'me')."""
    path = tmp_path / "toy.duckdb"
    con = store.connect(path)
    con.execute("INSERT INTO benchmarks VALUES ('toy', 'Toy', 10, NULL, NULL)")
    _insert(con, "archs", pl.DataFrame({"bench": "toy", "arch_id": list(range(10)),
                                        "arch_key": [f"a{i}" for i in range(10)], "n_conv": [i % 3 for i in range(10)]},
                                       schema_overrides={"n_conv": pl.Int32}))
    _insert(con, "ground_truth", pl.DataFrame({
        "bench": "toy", "arch_id": list(range(10)), "dataset": "d", "split": "test", "metric": "accuracy",
        "epochs": 1, "value": [float(i) for i in range(10)], "higher_is_better": True, "aggregation": "single_run",
        "source": "toy"}, schema_overrides={"epochs": pl.Int32}))
    _insert(con, "peer_proxies", pl.DataFrame({"bench": "toy", "arch_id": list(range(8)), "dataset": "", "proxy": "A",
                                          "value": A, "source": "test"}))
    _insert(con, "peer_proxies", pl.DataFrame({"bench": "toy", "arch_id": list(range(3, 10)), "dataset": "d",
                                          "proxy": "B", "value": [9.0, 1.0, 8.0, 2.0, 7.0, 3.0, 5.0],
                                          "source": "peer:someone"}))
    _insert(con, "peer_proxies", pl.DataFrame({"bench": "toy", "arch_id": [0, 1, 2], "dataset": "", "proxy": "mine",
                                          "value": [1.0, 2.0, 3.0], "source": "me"}))
    con.close()
    return path


def test_table_output_shows_markup_and_emoji_codes_as_stored(toy, capsys):
    sql = "SELECT '[bold]x[/bold] :smile:' AS \"[red]v\", 'postgres:x:101' AS w"
    assert cli.main(["--db", str(toy), "query", sql]) == 0
    out = capsys.readouterr().out
    assert "[bold]x[/bold] :smile:" in out and "postgres:x:101" in out and "[red]v" in out
    assert "😄" not in out and "❌" not in out


def test_truncation_hint_names_the_option_that_exists(toy, capsys):
    assert cli.main(["--db", str(toy), "query", "SELECT * FROM range(60)"]) == 0
    out = capsys.readouterr().out
    assert "10 more row(s)" in out and "--max-rows" in out and "--limit" not in out
    assert cli.main(["--db", str(toy), "query", "SELECT * FROM range(60)", "--max-rows", "60"]) == 0
    assert "more row" not in capsys.readouterr().out


def test_db_is_accepted_after_the_subcommand_too(toy, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NASDB_DB", str(tmp_path / "elsewhere.duckdb"))  # must not be used
    assert cli.main(["query", "--db", str(toy), "SELECT count(*) AS n FROM archs", "--format", "csv"]) == 0
    assert capsys.readouterr().out.split() == ["n", "10"]
    assert cli.main(["--db", str(toy), "query", "SELECT count(*) AS n FROM archs", "--format", "csv"]) == 0
    assert capsys.readouterr().out.split() == ["n", "10"]
    assert not (tmp_path / "elsewhere.duckdb").exists()


def test_several_statements_show_every_result(toy, capsys):
    assert cli.main(["--db", str(toy), "query", "SELECT 'first' AS a; SELECT 'second' AS b"]) == 0
    out = capsys.readouterr().out
    assert "first" in out and "second" in out
    assert cli.main(["--db", str(toy), "query", "SELECT 1 AS a; SELECT 2 AS b", "--format", "csv"]) == 2
    assert "2 statements" in capsys.readouterr().err


def test_info_counts_a_users_rows_apart_from_peer_rows(toy, capsys):
    """Rows of sources 'test' (8) and 'me' (3) are nobody's published values: only peer:someone's 7 are peer rows."""
    assert cli.main(["--db", str(toy), "info"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if "peer_proxy_rows" in line)
    row = next(line for line in out.splitlines() if "│ toy " in line)
    cells = dict(zip([c.strip() for c in header.split("┃")], [c.strip() for c in row.split("│")]))
    assert (cells["nasdb_proxy_rows"], cells["peer_proxy_rows"], cells["other_proxy_rows"]) == ("0", "7", "11")


def test_leaderboard_with_bootstrap_0_shows_the_values(toy, capsys):
    shared = [3, 4, 5, 6, 7]  # A on 0-7, B on 3-9
    b = dict(zip(range(3, 10), [9.0, 1.0, 8.0, 2.0, 7.0, 3.0, 5.0]))
    want = stats.spearmanr([A[i] for i in shared], shared).statistic
    assert cli.main(["--db", str(toy), "leaderboard", "--bench", "toy", "--dataset", "d", "--common",
                     "--bootstrap", "0", "--source", "test", "--source", "peer:someone"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "│ A " in line)
    assert f"{want:.3f}" in row and "NULL" not in row
    assert f"{stats.spearmanr([b[i] for i in shared], shared).statistic:.3f}" in out
    assert cli.main(["--db", str(toy), "eval", "--bootstrap", "0", "--trials", "5"]) == 0
    capsys.readouterr()
    assert cli.main(["--db", str(toy), "leaderboard", "--bench", "toy", "--dataset", "d"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "│ A " in line)
    assert f"{stats.spearmanr(A, range(8)).statistic:.3f}" in row and "NULL" not in row


@pytest.mark.parametrize("option, value, known", [("--proxy", "Aa", "A, B, mine, n_conv"),
                                                  ("--source", "peer:some1", "baseline:archs, me, peer:someone")])
def test_leaderboard_names_an_unknown_proxy_or_source(toy, capsys, option, value, known):
    assert cli.main(["--db", str(toy), "eval", "--bootstrap", "0", "--trials", "5"]) == 0
    capsys.readouterr()
    assert cli.main(["--db", str(toy), "leaderboard", "--bench", "toy", "--dataset", "d", option, value]) == 2
    err = capsys.readouterr().err
    assert f"unknown {option[2:]} {value!r}" in err and known in err and "nasdb eval" not in err
