"""Search simulation, as the zero-cost-proxy literature runs it: draw N random archs, keep the proxy's
argmax, look up its true value; repeat over seeded trials.

Trials draw nested samples (the first 10 of the first 100 of the first 200 archs of a random order), so
one random order per trial serves every N, and every proxy with the same population size sees the
same draws (common random numbers make proxies directly comparable). A tie for the proxy's maximum
is broken by the random sample order, i.e. uniformly.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

SAMPLE_SIZES = (10, 100, 200)
TRIALS = 500


@dataclass(frozen=True)
class SearchResult:
    n_sample: int
    trials: int
    n: int
    mean_true: float | None
    std_true: float | None
    mean_regret: float | None
    std_regret: float | None
    p_best: float | None
    mean_oracle: float | None
    note: str | None


@functools.lru_cache(maxsize=16)
def draws(n: int, largest: int, trials: int, seed: int) -> np.ndarray:
    """(trials, min(largest, n)) arch positions: the first ``largest`` of a seeded random order per trial."""
    keys = np.random.default_rng(seed).random((trials, n))
    m = min(largest, n)
    first = np.argpartition(keys, m - 1, axis=1)[:, :m] if m < n else np.tile(np.arange(n), (trials, 1))
    order = np.argsort(np.take_along_axis(keys, first, axis=1), axis=1)
    out = np.take_along_axis(first, order, axis=1)
    out.setflags(write=False)  # cached and shared by every proxy of the run
    return out


def simulate(x: np.ndarray, goodness: np.ndarray, higher_is_better: bool,
             sample_sizes: tuple[int, ...] = SAMPLE_SIZES, trials: int = TRIALS, seed: int = 0) -> list[SearchResult]:
    """One result per N; values in metric units, regret >= 0 (how far the pick is from the sample's best)."""
    n = int(x.size)
    drawn = draws(n, max(sample_sizes), trials, seed)
    sign = 1.0 if higher_is_better else -1.0
    out = []
    for size in sample_sizes:
        if size > n:
            out.append(SearchResult(size, trials, n, *[None] * 6, note=f"N={size} exceeds the {n} ranked archs"))
            continue
        sample = drawn[:, :size]
        pick = np.take_along_axis(sample, np.argmax(x[sample], axis=1)[:, None], axis=1)[:, 0]
        picked = goodness[pick]
        oracle = goodness[sample].max(axis=1)
        regret = oracle - picked
        out.append(SearchResult(size, trials, n, float(sign * picked.mean()), float(picked.std(ddof=1)),
                                float(regret.mean()), float(regret.std(ddof=1)), float((regret == 0).mean()),
                                float(sign * oracle.mean()), None))
    return out
