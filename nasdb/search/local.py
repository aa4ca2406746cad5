"""Local search (White et al., UAI 2021): from a random arch, query all its neighbours and move to the
best if it beats the current arch; at a local optimum restart from a random unseen arch. An arch
already queried in this trial is remembered, not trained again.
"""
from __future__ import annotations

from nasdb.search.problem import Problem

DEFAULTS: dict = {}


def run(p: Problem) -> None:
    known: dict[int, float] = {}

    def value(row: int) -> float:
        if row not in known:
            known[row] = p.query(row)
        return known[row]

    unseen = [int(r) for r in p.rng.permutation(len(p.table))]
    while True:
        while unseen and unseen[-1] in known:
            unseen.pop()
        if not unseen:
            return  # every arch of the table is known
        cur = unseen.pop()
        cur_v = value(cur)
        while True:
            best, best_v = None, cur_v
            for row in p.rng.permutation(p.moves.neighbours(cur)):
                v = value(int(row))
                if v > best_v:
                    best, best_v = int(row), v
            if best is None:
                break
            cur, cur_v = best, best_v
