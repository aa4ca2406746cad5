"""Populations: which architectures of a benchmark an evaluation ranks.

- ``all``: every architecture of the benchmark.
- ``unique``: one per isomorphism class, the class representative (``arch_id = iso_class``, the smallest
  index computing the same function). A fixed set, so every proxy is judged on the same representatives;
  archs without an ``iso_class`` are their own class.
- ``non_degenerate``: archs whose output is connected to the input (``is_degenerate`` false or unknown).
- ``sample:N:seed``: N archs drawn without replacement from all archs (sorted by ``arch_id``) with
  ``numpy.random.default_rng(seed)``, the same draw for every proxy.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import numpy as np

from nasdb.evaluate.errors import EvaluationError

GRAMMAR = "expected one of: all, unique, non_degenerate, sample:N:seed (N > 0, seed >= 0 integers)"
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


def parse(text: str) -> Population:
    """Validate a population string; the error shows the grammar."""
    text = (text or "").strip()
    if text in _WHERE:
        return Population(text, text)
    m = _SAMPLE.match(text)
    if m and int(m.group(1)) > 0:
        return Population(text, "sample", int(m.group(1)), int(m.group(2)))
    raise EvaluationError(f"unknown population {text!r}: {GRAMMAR}")


def arch_ids(con: duckdb.DuckDBPyConnection, bench: str, pop: Population) -> np.ndarray:
    """Sorted arch_ids of ``bench`` in the population."""
    where = _WHERE.get(pop.kind, "TRUE")
    ids = np.array([r[0] for r in con.execute(
        f"SELECT arch_id FROM archs WHERE bench = ? AND {where} ORDER BY arch_id", [bench]).fetchall()],
        dtype=np.int64)
    if pop.kind != "sample":
        return ids
    if pop.size > ids.size:
        raise EvaluationError(f"population {pop.name!r}: N={pop.size} exceeds the {ids.size} {bench} archs")
    return np.sort(np.random.default_rng(pop.seed).choice(ids, pop.size, replace=False))
