"""One module per search space behind one small protocol (:mod:`nasdb.spaces.protocol`).

A space module defines ``SPACES = [Space(...), ...]`` at top level; this registry finds those
modules by reading their source (so helper modules such as the numba enumeration are not imported)
and imports only them. Nothing outside ``nasdb/spaces/`` and ``ingest/`` branches on a bench id:
it asks ``get(bench)``.
"""
from __future__ import annotations

import ast
import functools
import importlib
import pkgutil
from pathlib import Path

from nasdb.errors import NasdbError
from nasdb.spaces.protocol import Space, Spec, computational

__all__ = ["Space", "Spec", "all_spaces", "bench_ids", "computational", "convert", "get", "spec_of", "CONVERSIONS"]

CONVERSIONS = ("official", "naslib", "index", "hash", "spec")


def _defines_spaces(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.Assign | ast.AnnAssign)
               and any(isinstance(t, ast.Name) and t.id == "SPACES"
                       for t in (node.targets if isinstance(node, ast.Assign) else [node.target]))
               for node in tree.body)


@functools.cache
def _registry() -> dict[str, Space]:
    found: dict[str, Space] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        path = Path(__path__[0]) / f"{info.name}.py"
        if info.name == "protocol" or not path.is_file() or not _defines_spaces(path):
            continue
        for space in importlib.import_module(f"{__name__}.{info.name}").SPACES:
            if space.bench in found:
                raise NasdbError(f"two spaces claim benchmark {space.bench!r} ({info.name}.py and another module)")
            found[space.bench] = space
    return found


def all_spaces() -> list[Space]:
    """Every space, in module-name order (so in a stable order)."""
    return list(_registry().values())


def bench_ids() -> tuple[str, ...]:
    return tuple(_registry())


def get(bench: object) -> Space:
    """The space of a benchmark id; a NasdbError listing the known ids otherwise."""
    spaces = _registry()
    if not isinstance(bench, str) or bench not in spaces:
        raise NasdbError(f"unknown benchmark {bench!r}; nasdb knows the spaces {', '.join(spaces)}")
    return spaces[bench]


def convert(bench: str, arch: object, to: str, con=None):
    """``arch`` (any encoding the space accepts, or an official index) in the encoding ``to``:
    ``official`` (the arch_key), ``naslib``, ``index``, ``hash`` (NB101's module hash), ``spec``
    (a plain dict: edges/ops, or NB101's adjacency matrix + ops).

    Indices follow the space's rule where there is one (NB101: position in sorted-hash order, from
    the enumeration; TNB101: the official API order); NB201's order is defined only by its files,
    so an NB201 index needs the database (``con``: a connection or a database path; default: the
    default database, opened read-only).
    """
    space = get(bench)
    if to not in CONVERSIONS:
        raise NasdbError(f"unknown conversion {to!r}; expected one of {', '.join(CONVERSIONS)}")
    spec = _resolve(space, arch, con)
    if to == "index":
        if space.index_of is not None:
            return space.index_of(spec)
        return _db_index(space, space.key(spec), con)
    if to not in space.encodings:
        raise NasdbError(f"{bench} has no {to!r} encoding; it converts to index, {', '.join(space.encodings)}")
    return space.encodings[to](spec)


def spec_of(bench: str, arch: object, con=None) -> Spec:
    """The space's spec of ``arch`` (any encoding the space accepts, or an official index)."""
    return _resolve(get(bench), arch, con)


def _resolve(space: Space, arch: object, con) -> Spec:
    """An arch given as an encoding or an official index -> spec."""
    try:
        return space.parse(arch)
    except NasdbError:
        index = space.index_text(arch)
        if index is None:
            raise
    if space.at_index is not None:
        return space.at_index(index)
    return space.parse(_db_key(space, index, con))


def _connection(con):
    """``con`` as given, or the read-only database at ``con`` (a path) / the default one (None)."""
    from os import PathLike

    from nasdb.api import connect

    return connect(con) if con is None or isinstance(con, str | PathLike) else con


def _db_index(space: Space, key: str, con) -> int:
    row = _connection(con).execute("SELECT arch_id FROM archs WHERE bench = ? AND arch_key = ?",
                                   [space.bench, key]).fetchone()
    if row is None:
        raise NasdbError(f"{space.bench} architecture {key!r} is not in the database; run `nasdb ingest` first")
    return int(row[0])


def _db_key(space: Space, index: int, con) -> str:
    row = _connection(con).execute("SELECT arch_key FROM archs WHERE bench = ? AND arch_id = ?",
                                   [space.bench, index]).fetchone()
    if row is None:
        raise NasdbError(f"{space.bench} index {index} is not in the database; run `nasdb ingest` first")
    return row[0]
