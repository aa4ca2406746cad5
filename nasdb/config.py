"""Where things live: the database, the download cache and the optional mirror.

One place resolves these so that the CLI, the Python API, the app and the tests agree.
Precedence for the database: explicit argument (``--db``) > env ``NASDB_DB`` > ``data/nasdb.duckdb``.
"""
from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = Path("data") / "nasdb.duckdb"
DEFAULT_CACHE = Path("data") / "cache"


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The DuckDB file to use."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("NASDB_DB")
    return Path(env) if env else DEFAULT_DB


def cache_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Directory that holds verified downloads (env ``NASDB_CACHE`` overrides the default)."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("NASDB_CACHE")
    return Path(env) if env else DEFAULT_CACHE


def mirror_dir() -> Path | None:
    """A local directory laid out like SOURCES.tsv that replaces the network, if ``NASDB_MIRROR`` is set."""
    env = os.environ.get("NASDB_MIRROR")
    return Path(env) if env else None
