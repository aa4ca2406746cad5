"""Random search: architectures drawn uniformly without replacement, the baseline of every NAS benchmark."""
from __future__ import annotations

from nasdb.search.problem import Problem

DEFAULTS: dict = {}


def run(p: Problem) -> None:
    for row in p.rng.permutation(len(p.table)):
        p.query(row)
