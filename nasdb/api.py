"""The Python API: the same lookups the CLI offers, returning polars DataFrames.

Architectures are looked up by official index or by the benchmark's own string, both ways; strings
are validated with the space's grammar first so a typo gets an error that shows the expected form.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from nasdb import store
from nasdb.errors import ArchStringError, NasdbError


def connect(db: str | Path | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database (read-only by default: users query, jobs write)."""
    path = Path(db) if db else None
    from nasdb import config

    if read_only and not config.db_path(path).is_file():
        raise NasdbError(f"no database at {config.db_path(path)}; build it first with `nasdb build`")
    return store.connect(path, read_only=read_only)


def _canonical_key(bench: str, arch: str) -> str:
    """Validate ``arch`` against the space's grammar and return it in the form stored as ``arch_key``."""
    if bench == "nb201":
        from nasdb.spaces import nb201

        return nb201.to_string(nb201.parse(arch))
    if bench == "tnb101_micro":
        from nasdb.spaces import tnb101

        tnb101.micro_digits(arch)
        return arch.strip()
    if bench == "tnb101_macro":
        from nasdb.spaces import tnb101

        tnb101.macro_digits(arch)
        return arch.strip()
    if bench == "nb101":
        key = arch.strip().lower()
        if len(key) != 32 or any(c not in "0123456789abcdef" for c in key):
            raise ArchStringError(f"malformed NB101 module hash {arch!r}: expected 32 hex digits (md5)")
        return key
    return arch


def archs(bench: str | None = None, con: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """All architectures (of one benchmark, if given)."""
    con = con or connect()
    where, params = ("WHERE bench = ?", [bench]) if bench else ("", [])
    return store.frame(con, f"SELECT * FROM archs {where} ORDER BY bench, arch_id", params)


def lookup(bench: str, arch: int | str, con: duckdb.DuckDBPyConnection | None = None) -> dict:
    """One architecture's row, by official index (int or digit string) or by its own string / hash."""
    con = con or connect()
    if isinstance(arch, int) or (isinstance(arch, str) and arch.strip().isdigit()):
        row = store.frame(con, "SELECT * FROM archs WHERE bench = ? AND arch_id = ?", [bench, int(arch)])
        what = f"index {int(arch)}"
    else:
        key = _canonical_key(bench, arch)
        row = store.frame(con, "SELECT * FROM archs WHERE bench = ? AND arch_key = ?", [bench, key])
        what = repr(key)
    if row.height == 0:
        known = [r[0] for r in con.execute("SELECT bench FROM benchmarks ORDER BY bench").fetchall()]
        raise NasdbError(f"no {bench} architecture with {what} (benchmarks in this database: {', '.join(known)})")
    return row.row(0, named=True)


def arch_id(bench: str, arch: str, con: duckdb.DuckDBPyConnection | None = None) -> int:
    """Official index of an architecture string."""
    return lookup(bench, arch, con)["arch_id"]


def arch_key(bench: str, index: int, con: duckdb.DuckDBPyConnection | None = None) -> str:
    """The benchmark's own string of an official index."""
    return lookup(bench, int(index), con)["arch_key"]


def ground_truth(bench: str, arch: int | str, con: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Every ground-truth row of one architecture."""
    con = con or connect()
    aid = lookup(bench, arch, con)["arch_id"]
    return store.frame(con, "SELECT * FROM ground_truth WHERE bench = ? AND arch_id = ? ORDER BY dataset, split, metric",
                       [bench, aid])


def query(sql: str, con: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Run SQL and return a DataFrame."""
    con = con or connect()
    return store.frame(con, sql)
