"""Graphviz (DOT) drawings of a cell: each space draws its own (``Space.dot``)."""
from __future__ import annotations

from nasdb import spaces
from nasdb.errors import NasdbError


def dot(bench: str, arch_key: str, naslib_key: str | None) -> str | None:
    """The drawing of one architecture, or None if nasdb has no space for this benchmark.

    The NASLib key is parsed when there is one: every space accepts it, and it needs no data (an
    NB101 module hash would need the enumerated space)."""
    if bench not in spaces.bench_ids():
        return None
    space = spaces.get(bench)
    return space.dot(space.parse(naslib_key or arch_key))


def bench_of(text: str, chosen: str) -> str:
    """The benchmark a pasted architecture belongs to: the chosen one if its space accepts the text,
    else the only space that does (a self-naming string), else the chosen one (its error is shown)."""
    def accepts(space) -> bool:
        try:
            space.arch_key(text)
        except NasdbError:
            return False
        return True

    if chosen in spaces.bench_ids() and accepts(spaces.get(chosen)):
        return chosen
    others = [s.bench for s in spaces.all_spaces() if accepts(s)]
    return others[0] if len(others) == 1 else chosen
