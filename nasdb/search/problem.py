"""What an algorithm sees during a replay: queries against the table, counted, and the space's moves.

An algorithm only calls :meth:`Problem.query` (costs one query and, where the table has it, the
architecture's training time), :meth:`Problem.score` (a free proxy lookup, counted separately),
and the move sets. When the budget is spent, ``query`` raises :class:`BudgetSpent`, which the runner
catches: algorithms need no budget bookkeeping of their own. Moves are the space's
(``neighbours``/``shrinks`` of the Space protocol) restricted to architectures in the table, since a
replay can only look up what the benchmark measured.
"""
from __future__ import annotations

import numpy as np

from nasdb.search.table import SearchError, Table


class BudgetSpent(Exception):
    """The query or time budget is used up; the runner ends the trial here."""


class Moves:
    """The space's move sets as table rows, cached (shared by every seed of a run)."""

    def __init__(self, space, table: Table) -> None:
        self.space, self.table = space, table
        self._cache: dict[tuple[str, int], np.ndarray] = {}
        self._densest: np.ndarray | None = None

    def _rows(self, kind: str, row: int) -> np.ndarray:
        hit = self._cache.get((kind, row))
        if hit is None:
            fn = getattr(self.space, kind, None)
            if fn is None:
                raise SearchError(f"the {self.table.bench} space has no {kind!r} moves")
            keys = fn(self.space.parse(self.table.keys[row]))
            hit = np.array(sorted({self.table.row[k] for k in keys if k in self.table.row}), dtype=np.int64)
            self._cache[(kind, row)] = hit
        return hit

    def neighbours(self, row: int) -> np.ndarray:
        """Rows one mutation away (sorted, so a seeded choice is reproducible)."""
        return self._rows("neighbours", row)

    def shrinks(self, row: int) -> np.ndarray:
        """Rows with one edge of the cell removed."""
        return self._rows("shrinks", row)

    def densest(self) -> np.ndarray:
        """Rows with the most removable edges (AutoShrink's dense starts)."""
        if self._densest is None:
            counts = np.array([len(self.shrinks(r)) for r in range(len(self.table))])
            if counts.max(initial=0) == 0:
                raise SearchError(f"no architecture of the {self.table.bench} table has a removable edge")
            self._densest = np.flatnonzero(counts == counts.max())
        return self._densest


class Problem:
    """One trial: the table, the moves, a seeded generator, and the budget."""

    def __init__(self, table: Table, moves: Moves, rng: np.random.Generator, budget: int,
                 time_budget: float | None = None) -> None:
        if budget < 1:
            raise SearchError(f"--budget must be at least 1 query, got {budget}")
        if time_budget is not None and table.seconds is None:
            raise SearchError(f"{table.bench} has no training time in the database; use a query budget")
        self.table, self.moves, self.rng = table, moves, rng
        self.budget, self.time_budget = budget, time_budget
        self.history: list[int] = []
        self.seconds = 0.0
        self.proxy_evals = 0

    @property
    def spent(self) -> bool:
        return len(self.history) >= self.budget or (
            self.time_budget is not None and self.seconds >= self.time_budget)

    def query(self, row: int) -> float:
        """Train-and-validate ``row`` (a lookup): its validation value, larger = better."""
        if self.spent:
            raise BudgetSpent
        self.history.append(int(row))
        if self.table.seconds is not None:
            s = self.table.seconds[row]
            self.seconds += float(s) if np.isfinite(s) else 0.0
        return float(self.table.goodness[row])

    def score(self, row: int) -> float:
        """The proxy's value of ``row`` (free of training; NaN where missing)."""
        if self.table.proxy is None:
            raise SearchError("this algorithm needs a proxy: pass --proxy NAME")
        self.proxy_evals += 1
        return float(self.table.proxy[row])

    def random_row(self) -> int:
        return int(self.rng.integers(len(self.table)))
