"""Parquet export: every table written, read back identically by polars, duckdb and pyarrow; wide views; README."""
from __future__ import annotations

import math

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from nasdb import cli, store
from nasdb.evaluate import Filters, Settings, evaluate
from nasdb.export import TABLES, export_parquet


def _insert(con, table: str, df: pl.DataFrame | list) -> None:
    con.register("_rows", df.to_arrow() if isinstance(df, pl.DataFrame) else df)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    con.unregister("_rows")


@pytest.fixture
def small_db(tmp_path):
    """A hand-made database touching every column type: MAP, JSON, lists, NULL, NaN, inf, timestamps."""
    path = tmp_path / "small.duckdb"
    con = store.connect(path)
    con.execute("INSERT INTO benchmarks VALUES ('toy', 'Toy bench', 6, 'CC0', ['https://example.org/a'])")
    con.execute("INSERT INTO archs VALUES " + ", ".join(
        f"('toy', {i}, 'a{i}', NULL, {i - i % 2}, {str(i == 5).lower()}, {i % 3}, MAP {{'conv': {i % 3}, 'skip': 1}})"
        for i in range(6)))
    con.execute("INSERT INTO ground_truth VALUES " + ", ".join(
        f"('toy', {i}, 'd', 'test', 'accuracy', 10, {50 + 7 * i % 11}, true, 'single_run', 'toy')" for i in range(6)))
    con.execute("INSERT INTO ground_truth VALUES ('toy', 0, 'd', 'test', 'loss', 10, 0.5, false, 'single_run', 'toy')")
    con.execute("INSERT INTO value_series VALUES (1, '', 'p')")
    con.execute("INSERT INTO run_values VALUES " + ", ".join(
        f"(1, 1, {i}, {v})" for i, v in enumerate(["1.5", "'NaN'::DOUBLE", "NULL", "'inf'::DOUBLE", "-2", "3"])))
    con.execute("INSERT INTO proxy_runs (run_id, proxy, bench, settings, code_version, started_at, seconds, n_archs, "
                "status, source, proxies, scope, run_no) VALUES ('r1', 'p', 'toy', '{\"seed\": 1}', '0.1', now(), 1.5, 6, "
                "'complete', 'nasdb', ['p'], 'full', 1)")
    con.execute("INSERT INTO current_runs VALUES ('toy', 'p', 'nasdb', 'r1', now())")
    con.execute("INSERT INTO peer_proxies VALUES ('toy', 2, 'd', 'q', 0.5, 'peer:toy', 'ingest:toy:ab', NULL)")
    con.execute("INSERT INTO costs VALUES ('toy', 1, 'd', 'params', 0.25, 'M', 'toy')")
    con.execute("INSERT INTO sources VALUES ('x/y.csv', 'https://example.org/y', 'ab', 3, 'MIT', 'y', 'toy', now())")
    con.execute("INSERT INTO meta VALUES ('built_at', '2026-01-01')")
    con.execute("INSERT INTO arch_sets VALUES ('toy', 2, 'toy:some', 'toy'), ('toy', 4, 'toy:some', 'toy')")
    evaluate(con, Filters(), Settings(bootstrap=20, trials=500), progress=False)
    con.close()
    return path


def _normal(v):
    """Compare-friendly values: maps as dicts (pyarrow gives tuples, polars key/value structs), NaN as a tag."""
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    if isinstance(v, list) and v and isinstance(v[0], tuple):
        return dict(v)
    if isinstance(v, list) and v and isinstance(v[0], dict) and set(v[0]) == {"key", "value"}:
        return {d["key"]: d["value"] for d in v}
    if isinstance(v, list):
        return [_normal(x) for x in v]
    return v


def _rows(records: list[dict]) -> list[dict]:
    return [{k: _normal(v) for k, v in r.items()} for r in records]


def test_round_trip_polars_duckdb_pyarrow(small_db, tmp_path):
    out = tmp_path / "export"
    con = duckdb.connect(str(small_db), read_only=True)
    files = export_parquet(con, out)
    assert {p.name for p in files} >= {f"{t}.parquet" for t in TABLES} | {"README.md"}
    for table in TABLES:
        path = out / f"{table}.parquet"
        original = _rows(con.sql(f"SELECT * FROM {table} ORDER BY ALL").to_arrow_table().to_pylist())
        assert original, f"fixture left {table} empty"
        by_pyarrow = _rows(pq.read_table(path).to_pylist())
        by_polars = _rows(pl.read_parquet(path).to_dicts())
        by_duckdb = _rows(duckdb.sql(f"SELECT * FROM read_parquet('{path}')").to_arrow_table().to_pylist())
        assert by_pyarrow == original, table
        assert by_duckdb == original, table
        assert by_polars == original, table
    readme = (out / "README.md").read_text()
    assert "## archs.parquet (6 rows)" in readme
    assert "| spearman_lo | DOUBLE | bootstrap 95% percentile interval, lower end |" in readme


def test_wide_view_matches_long_rows(small_db, tmp_path):
    out = tmp_path / "export"
    assert cli.main(["--db", str(small_db), "export", "--format", "parquet", str(out), "--wide"]) == 0
    wide = pl.read_parquet(out / "wide_toy.parquet")
    assert wide["arch_id"].to_list() == list(range(6))
    con = duckdb.connect(str(small_db), read_only=True)
    for arch_id, value in con.execute("SELECT arch_id, value FROM ground_truth WHERE metric = 'accuracy'").fetchall():
        assert wide.filter(pl.col("arch_id") == arch_id)["gt:d/test/accuracy@10"][0] == value
    p = wide["proxy:p@nasdb"].to_list()
    assert p[0] == 1.5 and math.isnan(p[1]) and p[2] is None and p[3] == math.inf
    assert wide["gt:d/test/loss@10"].to_list() == [0.5, None, None, None, None, None]


def test_export_into_a_file_path_is_a_clear_error(small_db, tmp_path):
    target = tmp_path / "a_file"
    target.write_text("x")
    assert cli.main(["--db", str(small_db), "export", "--format", "parquet", str(target)]) == 2
    assert target.read_text() == "x"
