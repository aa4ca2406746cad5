"""Run an algorithm once per seed and turn the query histories into best-so-far curves.

A trial is reproducible from its seed alone (``numpy.random.default_rng(seed)`` drives every random
choice). Curves: after q queries, the incumbent is the queried arch with the best validation value
(first found on ties); its validation and test values are averaged over seeds, with a 95% t-interval
of the mean and the standard deviation (published NAS results quote mean +- std over runs).
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from nasdb.search import ALGORITHMS
from nasdb.search.problem import BudgetSpent, Moves, Problem
from nasdb.search.table import SearchError, Table


@dataclass
class Trial:
    seed: int
    history: np.ndarray       # rows queried, in order
    incumbent: np.ndarray     # incumbent row after each query
    seconds: np.ndarray       # cumulative simulated training time after each query (NaN if unknown)
    proxy_evals: int


@dataclass
class Replay:
    algo: str
    settings: dict            # the algorithm's settings (defaults filled in)
    table: Table
    budget: int
    time_budget: float | None
    trials: list[Trial]
    wall_seconds: float

    @property
    def queries(self) -> int:
        return sum(len(t.history) for t in self.trials)


def algorithm_settings(algo: str, given: dict | None = None, has_proxy: bool = False) -> dict:
    if algo not in ALGORITHMS:
        raise SearchError(f"unknown search algorithm {algo!r}; expected one of {', '.join(ALGORITHMS)}")
    _, defaults, needs_proxy = ALGORITHMS[algo]
    if needs_proxy and not has_proxy:
        raise SearchError(f"--algo {algo} needs --proxy NAME")
    unknown = set(given or {}) - set(defaults)
    if unknown:
        raise SearchError(f"unknown setting(s) {sorted(unknown)} for --algo {algo}; it takes {sorted(defaults)}")
    return {**defaults, **(given or {})}


def run_trial(table: Table, moves: Moves, algo: str, settings: dict, seed: int, budget: int,
              time_budget: float | None = None) -> Trial:
    p = Problem(table, moves, np.random.default_rng(seed), budget, time_budget)
    try:
        ALGORITHMS[algo][0](p, **settings)
    except BudgetSpent:
        pass
    hist = np.array(p.history, dtype=np.int64)
    good = table.goodness[hist]
    # the incumbent changes only on a strict improvement, so ties keep the arch found first
    improved = np.ones(len(good), dtype=bool)
    improved[1:] = good[1:] > np.maximum.accumulate(good)[:-1]
    first = np.maximum.accumulate(np.where(improved, np.arange(len(good)), 0))
    secs = (np.cumsum(np.nan_to_num(table.seconds[hist])) if table.seconds is not None
            else np.full(len(hist), np.nan))
    return Trial(seed, hist, hist[first] if len(hist) else hist, secs, p.proxy_evals)


def replay(table: Table, space, algo: str, budget: int, seeds: list[int], settings: dict | None = None,
           time_budget: float | None = None, progress: bool = False) -> Replay:
    """Run ``algo`` once per seed against ``table``; ``space`` supplies the moves (Space protocol)."""
    settings = algorithm_settings(algo, settings, table.proxy is not None)
    if len(table) == 0:
        raise SearchError(f"the {table.bench} table is empty: no architecture has a validation value")
    moves = Moves(space, table)
    start = time.perf_counter()
    seq = seeds
    if progress:
        from tqdm import tqdm
        seq = tqdm(seeds, desc=f"search {algo} {table.bench}", unit="seed")
    trials = [run_trial(table, moves, algo, settings, s, budget, time_budget) for s in seq]
    return Replay(algo, settings, table, budget, time_budget, trials, time.perf_counter() - start)


def _padded(rows: list[np.ndarray], length: int) -> np.ndarray:
    """Stack per-seed series, carrying each one's last value forward (a trial that stopped early keeps
    its incumbent)."""
    out = np.full((len(rows), length), np.nan)
    for i, r in enumerate(rows):
        if len(r):
            out[i, : len(r)] = r[:length]
            out[i, len(r):] = r[-1]
    return out


def _summary(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per column: mean, std, and the 95% t-interval of the mean (NaN columns stay NaN)."""
    with warnings.catch_warnings():  # all-NaN columns (no test split) are expected
        warnings.simplefilter("ignore", RuntimeWarning)
        n = np.sum(np.isfinite(x), axis=0)
        mean = np.nanmean(x, axis=0)
        std = np.nanstd(x, axis=0, ddof=1) if x.shape[0] > 1 else np.full(x.shape[1], np.nan)
        half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * std / np.sqrt(np.maximum(n, 1))
    return mean, std, mean - half, mean + half


def curves(r: Replay) -> dict[str, np.ndarray]:
    """Best-so-far curves over queries 1..L (L = the longest trial)."""
    length = max((len(t.history) for t in r.trials), default=0)
    inc = [t.incumbent for t in r.trials]
    valid = _padded([r.table.valid[i] for i in inc], length)
    test = _padded([r.table.test[i] for i in inc], length)
    secs = _padded([t.seconds for t in r.trials], length)
    out = {"queries": np.arange(1, length + 1)}
    for name, x in (("valid", valid), ("test", test)):
        mean, std, lo, hi = _summary(x)
        out.update({f"{name}_mean": mean, f"{name}_std": std, f"{name}_lo": lo, f"{name}_hi": hi,
                    f"{name}_n": np.sum(np.isfinite(x), axis=0)})
    out["sim_seconds_mean"] = _summary(secs)[0]
    return out


def finals(r: Replay) -> list[dict]:
    """One row per trial: the final incumbent and what it cost."""
    out = []
    for t in r.trials:
        best = int(t.incumbent[-1]) if len(t.incumbent) else None
        out.append({"seed": t.seed, "arch_id": None if best is None else int(r.table.arch_ids[best]),
                    "arch_key": None if best is None else r.table.keys[best],
                    "valid": None if best is None else float(r.table.valid[best]),
                    "test": None if best is None or not np.isfinite(r.table.test[best]) else float(r.table.test[best]),
                    "queries": len(t.history), "unique_queries": len(set(t.history.tolist())),
                    "sim_seconds": float(t.seconds[-1]) if len(t.seconds) and np.isfinite(t.seconds[-1]) else None,
                    "proxy_evals": t.proxy_evals})
    return out
