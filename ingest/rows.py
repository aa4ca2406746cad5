"""Shared helpers for ingest jobs: checked joins to archs, checked CSV reads, and inserts by column name."""
from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from nasdb import store
import pyarrow as pa

from nasdb.errors import IngestError


def insert(con: duckdb.DuckDBPyConnection, table: str, df: pl.DataFrame | pa.Table) -> int:
    """Insert a DataFrame (or Arrow table) into ``table`` by column name; missing columns get NULL."""
    data = df.to_arrow() if isinstance(df, pl.DataFrame) else df
    if data.num_rows == 0:
        return 0
    cols = ", ".join(f'"{c}"' for c in data.column_names)
    con.register("_ingest_df", data)
    try:
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _ingest_df")
    finally:
        con.unregister("_ingest_df")
    return data.num_rows


def insert_archs(con: duckdb.DuckDBPyConnection, df: pl.DataFrame, op_counts: list[dict[str, int]]) -> int:
    """Insert arch rows plus their ``op_counts`` map (Arrow carries the MAP type that polars lacks)."""
    table = df.to_arrow().append_column(
        "op_counts", pa.array([list(d.items()) for d in op_counts], type=pa.map_(pa.string(), pa.int32())))
    return insert(con, "archs", table)


def read_csv(path: Path, required: list[str], n_rows: int | None = None, **kw) -> pl.DataFrame:
    """Read a CSV and check that it has the required columns (and row count), naming the file if not."""
    try:
        df = pl.read_csv(path, infer_schema_length=10000, **kw)
    except Exception as e:  # polars raises several error types for malformed CSV
        raise IngestError(f"{path}: cannot parse as CSV: {e}") from e
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise IngestError(f"{path}: missing column(s) {missing}; found {df.columns}")
    if n_rows is not None and df.height != n_rows:
        raise IngestError(f"{path}: expected {n_rows} data rows, found {df.height} (truncated or extended file?)")
    for c in required:
        nulls = df[c].is_null()
        if nulls.any():
            line = int(nulls.arg_true()[0]) + 2  # 1-based, after the header line
            raise IngestError(f"{path}, line {line}: empty value in required column {c!r}")
    return df


def arch_ids(con: duckdb.DuckDBPyConnection, bench: str, keys: pl.Series, by: str = "arch_key",
             where: str = "") -> pl.Series:
    """Map each key (``arch_key`` or ``naslib_key``) to its ``arch_id``; fail on the first unknown key.

    ``where`` names the file/column for the error message.
    """
    lookup = store.frame(con, f"SELECT {by} AS key, arch_id FROM archs WHERE bench = ? AND {by} IS NOT NULL",
                         [bench])
    if lookup.height == 0:
        raise IngestError(f"no {bench} archs in the database yet; run its ingest job first")
    if lookup["key"].is_duplicated().any():
        dup = lookup.filter(pl.col("key").is_duplicated())["key"][0]
        raise IngestError(f"{bench}: {by} {dup!r} is not unique; cannot join on it")
    frame = pl.DataFrame({"key": keys.cast(pl.Utf8)}).with_row_index("row")
    joined = frame.join(lookup, on="key", how="left").sort("row")
    missing = joined.filter(pl.col("arch_id").is_null())
    if missing.height:
        row = missing.row(0, named=True)
        raise IngestError(f"{where}: row {row['row'] + 1}: unknown {bench} architecture {row['key']!r} "
                          f"(no arch with that {by}); {missing.height} such row(s)")
    return joined["arch_id"]


def check_unique(df: pl.DataFrame, cols: list[str], where: str) -> None:
    """Fail on the first duplicated key in ``cols`` (naming it) instead of silently keeping two rows."""
    dup = df.filter(df.select(cols).is_duplicated())
    if dup.height:
        raise IngestError(f"{where}: duplicate key {dup.select(cols).row(0, named=True)}")


def check_index_range(ids: pl.Series, n: int, where: str) -> None:
    bad = ids.filter((ids < 0) | (ids >= n))
    if bad.len():
        raise IngestError(f"{where}: index {bad[0]} out of range 0..{n - 1}")
