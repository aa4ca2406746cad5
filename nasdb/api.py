"""The Python API: the same lookups the CLI offers, returning polars DataFrames.

Architectures are looked up by official index or by any encoding their space accepts, both ways;
they are validated by the space (``nasdb.spaces``) first, so a typo gets an error showing the forms.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from nasdb import spaces, store
from nasdb.errors import ArchStringError, NasdbError


def connect(db: str | Path | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database (read-only by default: users query, jobs write).

    While a writer commits, this waits (bounded; see :mod:`nasdb.dbfile`) instead of failing.
    """
    return store.connect(db, read_only=read_only)


def archs(bench: str | None = None, con: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """All architectures (of one benchmark, if given)."""
    con = con or connect()
    where, params = ("WHERE bench = ?", [bench]) if bench else ("", [])
    return store.frame(con, f"SELECT * FROM archs {where} ORDER BY bench, arch_id", params)


def lookup(bench: str, arch: int | str, con: duckdb.DuckDBPyConnection | None = None) -> dict:
    """One architecture's row, by official index (an int or ASCII digits) or by any encoding its
    space accepts (official string, NASLib encoding, spec, NB101 module hash)."""
    space = spaces.get(bench)
    try:  # an NB101 hash is checked for its form here, for membership by the archs table below
        index, key = None, space.arch_key(arch)
    except ArchStringError:
        index = space.index_text(arch)  # raises if it is an index out of range
        if index is None:
            raise
    con = con or connect()
    if index is not None:
        row = store.frame(con, "SELECT * FROM archs WHERE bench = ? AND arch_id = ?", [bench, index])
        what = f"index {index}"
    else:
        row = store.frame(con, "SELECT * FROM archs WHERE bench = ? AND arch_key = ?", [bench, key])
        what = repr(key)
    if row.height == 0:
        known = [r[0] for r in con.execute("SELECT bench FROM benchmarks ORDER BY bench").fetchall()]
        if bench in known:
            raise ArchStringError(f"{bench} has no architecture with {what} in this database")
        raise NasdbError(f"no {bench} architectures in this database (its benchmarks: {', '.join(known) or 'none'}); "
                         f"run `nasdb ingest` for it")
    return row.row(0, named=True)


def arch_id(bench: str, arch: str, con: duckdb.DuckDBPyConnection | None = None) -> int:
    """Official index of an architecture string."""
    return lookup(bench, arch, con)["arch_id"]


def arch_key(bench: str, index: int, con: duckdb.DuckDBPyConnection | None = None) -> str:
    """The benchmark's own string of an official index."""
    return lookup(bench, index, con)["arch_key"]


def convert(bench: str, arch: object, to: str, con: duckdb.DuckDBPyConnection | None = None):
    """``arch`` (any accepted encoding or an official index) as ``official``, ``naslib``, ``index``,
    ``hash`` (NB101) or ``spec``; see :func:`nasdb.spaces.convert` (an NB201 index needs the database)."""
    return spaces.convert(bench, arch, to, con)


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
