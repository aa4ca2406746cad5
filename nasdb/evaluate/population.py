"""Populations: which architectures of a benchmark an evaluation ranks.

- ``all``: every architecture of the benchmark.
- ``unique``: one per isomorphism class, the class representative (``arch_id = iso_class``, the smallest
  index computing the same function). A fixed set, so every proxy is judged on the same representatives;
  archs without an ``iso_class`` are their own class.
- ``non_degenerate``: archs whose output is connected to the input (``is_degenerate`` false or unknown).
- ``sample:N:seed``: N archs drawn without replacement from all archs (sorted by ``arch_id``) with
  ``numpy.random.default_rng(seed)``, the same draw for every proxy.
- ``set:NAME``: a publisher's list from the ``arch_sets`` table (e.g. ``set:graf:unique_nets``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import numpy as np

from nasdb.evaluate.errors import EvaluationError

GRAMMAR = ("expected one of: all, unique, non_degenerate, sample:N:seed (N > 0, seed >= 0 integers), "
           "set:NAME (a set_name of the arch_sets table)")
_SAMPLE = re.compile(r"^sample:(\d+):(\d+)$")
_WHERE = {
    "all": "TRUE",
    "unique": "arch_id = coalesce(iso_class, arch_id)",
    "non_degenerate": "NOT coalesce(is_degenerate, FALSE)",
}


@dataclass(frozen=True)
class Population:
    name: str                  # the string as given (stored in result rows)
    kind: str                  # all / unique / non_degenerate / sample
    size: int | None = None    # sample only
    seed: int | None = None    # sample only
    set_name: str | None = None  # set only


def parse(text: str) -> Population:
    """Validate a population string; the error shows the grammar."""
    text = (text or "").strip()
    if text in _WHERE:
        return Population(text, text)
    m = _SAMPLE.match(text)
    if m and int(m.group(1)) > 0:
        return Population(text, "sample", int(m.group(1)), int(m.group(2)))
    if text.startswith("set:") and len(text) > 4:
        return Population(text, "set", set_name=text[4:])
    raise EvaluationError(f"unknown population {text!r}: {GRAMMAR}")


def arch_ids(con: duckdb.DuckDBPyConnection, bench: str, pop: Population) -> np.ndarray:
    """Sorted arch_ids of ``bench`` in the population."""
    if pop.kind == "set":
        return _set_ids(con, bench, pop)
    where = _WHERE.get(pop.kind, "TRUE")
    ids = np.array([r[0] for r in con.execute(
        f"SELECT arch_id FROM archs WHERE bench = ? AND {where} ORDER BY arch_id", [bench]).fetchall()],
        dtype=np.int64)
    if pop.kind != "sample":
        return ids
    if pop.size > ids.size:
        raise EvaluationError(f"population {pop.name!r}: N={pop.size} exceeds the {ids.size} {bench} archs")
    return np.sort(np.random.default_rng(pop.seed).choice(ids, pop.size, replace=False))


def _set_ids(con: duckdb.DuckDBPyConnection, bench: str, pop: Population) -> np.ndarray:
    rows = con.execute("SELECT DISTINCT arch_id FROM arch_sets WHERE bench = ? AND set_name = ? ORDER BY arch_id",
                       [bench, pop.set_name]).fetchall()
    if not rows:
        known = [r[0] for r in con.execute("SELECT DISTINCT set_name FROM arch_sets WHERE bench = ? ORDER BY 1",
                                           [bench]).fetchall()]
        raise EvaluationError(f"population {pop.name!r}: no {bench} arch set named {pop.set_name!r}; "
                              f"sets: {', '.join(known) or 'none'}")
    return np.array([r[0] for r in rows], dtype=np.int64)
