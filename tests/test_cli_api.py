"""CLI and Python API over a real NB201 database: help with examples, query formats, lookups, bad input."""
from __future__ import annotations

import json

import polars as pl
import pytest

import nasdb
from nasdb import cli, config, store
from nasdb.errors import ArchStringError, NasdbError

ARCH1 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


@pytest.fixture(scope="module")
def db(ingested):
    return ingested("nb201")


def test_every_subcommand_help_shows_examples(capsys):
    sub = next(a for a in cli.parser()._actions if a.dest == "command")
    assert {"build", "fetch", "ingest", "query", "info"} <= set(sub.choices)
    for name, p in sub.choices.items():
        assert "examples:" in p.format_help() and "nasdb" in p.epilog, name


def test_db_path_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("NASDB_DB", raising=False)
    assert config.db_path() == config.DEFAULT_DB
    monkeypatch.setenv("NASDB_DB", str(tmp_path / "env.duckdb"))
    assert config.db_path() == tmp_path / "env.duckdb"
    assert config.db_path(tmp_path / "x.duckdb") == tmp_path / "x.duckdb"


def test_query_formats(db, tmp_path, capsys):
    sql = "SELECT arch_id, arch_key FROM archs WHERE arch_id < 3 ORDER BY arch_id"
    assert cli.main(["--db", str(db), "query", sql, "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "arch_id,arch_key" and out[2] == f"1,{ARCH1}"
    assert cli.main(["--db", str(db), "query", sql, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[1]["arch_key"] == ARCH1
    target = tmp_path / "q.parquet"
    assert cli.main(["--db", str(db), "query", sql, "--format", "parquet", "-o", str(target)]) == 0
    assert pl.read_parquet(target)["arch_key"][1] == ARCH1
    assert cli.main(["--db", str(db), "query", sql]) == 0
    assert "avg_pool_3x3" in capsys.readouterr().out


def test_query_errors_are_messages_and_readonly(db, capsys):
    assert cli.main(["--db", str(db), "query", "SELEC oops"]) == 2
    assert "query failed" in capsys.readouterr().err
    assert cli.main(["--db", str(db), "query", "DELETE FROM archs"]) == 2
    assert "read-only" in capsys.readouterr().err.lower()
    con = store.connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM archs").fetchone()[0] == 15625


def test_unknown_fetch_path_and_ingest_job_are_clear_errors(tmp_path, capsys):
    db = tmp_path / "db.duckdb"
    assert cli.main(["fetch", "nb201/nope.csv", "--cache", str(tmp_path / "cache")]) == 2
    assert "'nb201/nope.csv' is not in the source manifest" in capsys.readouterr().err
    assert not (tmp_path / "cache").exists()
    assert cli.main(["--db", str(db), "ingest", "nb999"]) == 2
    assert "unknown ingest job 'nb999'; known jobs: nb201" in capsys.readouterr().err
    assert not db.exists()  # a mistyped job leaves no empty database behind


def test_missing_database_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["--db", str(tmp_path / "none.duckdb"), "info"]) == 2
    assert "nasdb build" in capsys.readouterr().err


def test_info(db, capsys):
    assert cli.main(["--db", str(db), "info", "--sources"]) == 0
    out = capsys.readouterr().out
    assert "nb201" in out and "15625" in out and "c82e70b5ffb0dba0f09d88ecc8df5a6d3ce8da8a99ad223285104f4537314033" in out


def test_api_lookups_both_ways(db):
    con = nasdb.connect(db)
    assert nasdb.arch_key("nb201", 1, con) == ARCH1
    assert nasdb.arch_id("nb201", ARCH1, con) == 1
    assert nasdb.lookup("nb201", "1", con)["arch_key"] == ARCH1
    gt = nasdb.ground_truth("nb201", ARCH1, con)
    assert gt.filter((pl.col("dataset") == "cifar10-valid") & (pl.col("split") == "test"))["value"][0] == \
        pytest.approx(90.513, abs=5e-4)
    assert nasdb.archs("nb201", con).height == 15625


def test_api_bad_architectures(db):
    con = nasdb.connect(db)
    with pytest.raises(ArchStringError, match=r"expected an NB201 cell string"):
        nasdb.lookup("nb201", "|conv~0|+", con)
    with pytest.raises(ArchStringError, match="nb201 index 15625 out of range 0..15624"):
        nasdb.lookup("nb201", 15625, con)
    with pytest.raises(ArchStringError, match="TNB101 micro"):
        nasdb.lookup("tnb101_micro", "64-41414-4_44_444", con)
    with pytest.raises(ArchStringError, match="32 hex digits"):
        nasdb.lookup("nb101", "not-a-hash", con)


@pytest.mark.parametrize("bench, arch", [
    ("nb201", "²"), ("nb201", "9" * 100), ("nb201", "１２"), ("nb201", "١٢"), ("nb201", "-1"), ("nb201", True),
    ("nb101", None), ("nb101", 1.5), ("nb101", float("nan")), ("nb101", "00005c142e6f48ac74fdcf73e3439874garbage"),
])
def test_api_lookups_refuse_what_is_not_an_architecture_of_the_space(db, bench, arch):
    """Issue 10: each of these raised ValueError / DuckDB / AttributeError or resolved to index 12."""
    con = nasdb.connect(db)
    for fn in (nasdb.lookup, nasdb.arch_id):
        with pytest.raises(ArchStringError):
            fn(bench, arch, con)
