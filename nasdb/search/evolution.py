"""Regularized evolution (Real et al., AAAI 2019), as NAS-Bench-201 runs it (REA), and its zero-cost
warm start (Abdelfattah et al., ICLR 2021).

A population of ``population`` archs ages out oldest-first; each cycle samples ``sample`` members,
mutates the best (one random neighbour in the space) and queries the child. Like NB201's REA, a
child that was seen before is trained (queried) again. The warm start ranks ``warm_start`` randomly
drawn archs by a proxy (free: no training) and seeds the population with the proxy's top archs.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from nasdb.search.problem import Problem

DEFAULTS = {"population": 10, "sample": 3, "warm_start": 0}


def mutate(p: Problem, parent: int) -> int:
    """A uniformly random neighbour of ``parent`` in the table (a random arch if it has none)."""
    nb = p.moves.neighbours(parent)
    return int(nb[p.rng.integers(len(nb))]) if len(nb) else p.random_row()


def proxy_top(p: Problem, pool: int, k: int) -> list[int]:
    """The ``k`` best of ``pool`` random archs by the proxy (NaN last; ties by draw order)."""
    drawn = p.rng.choice(len(p.table), size=min(pool, len(p.table)), replace=False)
    scores = np.array([p.score(r) for r in drawn])
    scores[np.isnan(scores)] = -np.inf
    return [int(r) for r in drawn[np.argsort(-scores, kind="stable")[:k]]]


def run(p: Problem, population: int = 10, sample: int = 3, warm_start: int = 0) -> None:
    first = (proxy_top(p, warm_start, population) if warm_start
             else [p.random_row() for _ in range(population)])
    pop = deque((row, p.query(row)) for row in first)
    while True:
        picked = p.rng.choice(len(pop), size=min(sample, len(pop)), replace=False)
        parent = max((pop[i] for i in picked), key=lambda m: m[1])[0]
        child = mutate(p, parent)
        pop.append((child, p.query(child)))
        pop.popleft()


def run_warm(p: Problem, population: int = 10, sample: int = 3, warm_start: int = 3000) -> None:
    run(p, population, sample, warm_start)
