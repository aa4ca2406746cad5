"""Top-k retrieval: how much of the truly best architectures a proxy's top-k contains.

Ties are common in proxies (many archs share a conv count or a graph measure), so a "top-k" cut can
fall inside a tie group. Instead of an arbitrary tie-break, every quantity is the exact expectation
over uniformly random tie-breaking: an arch strictly above the cut is in the top-k with probability 1,
an arch in the tie group at the cut with probability (places left) / (group size). The same applies
to the true top-k. Percentiles: 100 * (archs with goodness <= v) / n, so the population's best is 100.

nDCG@k (normalised discounted cumulative gain, the top-heavy ranking measure of recent proxy papers):
the gain of an architecture is its ground-truth percentile in the population (average rank / n, so
0 < gain <= 1, the best = 1; scale-free across metrics and directions), discounted by 1 / log2(position + 1)
along the proxy's order and divided by the same sum along the true order. Proxy ties take the tie
group's mean gain over the group's positions (the expectation over random tie-breaks; equal to
sklearn.metrics.ndcg_score with ignore_ties=False).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.special import gammaln

K_COUNTS = (10, 50, 100)
K_PERCENTS = (1, 5, 10)


@dataclass(frozen=True)
class TopK:
    k_spec: str
    k: int
    n: int
    precision_at_k: float | None
    best_true: float | None
    mean_true: float | None
    best_percentile: float | None
    ndcg_at_k: float | None
    note: str | None


def k_specs(n: int) -> list[tuple[str, int]]:
    """('10', 10), ..., ('1%', round(n/100) at least 1), ... for a population of n archs."""
    return [(str(k), k) for k in K_COUNTS] + [(f"{p}%", max(1, round(n * p / 100))) for p in K_PERCENTS]


def membership(v: np.ndarray, k: int, v_sorted: np.ndarray | None = None) -> np.ndarray:
    """Probability that each arch is among the k largest values under random tie-breaking."""
    cut = (np.sort(v) if v_sorted is None else v_sorted)[v.size - k]
    above = v > cut
    at = v == cut
    p = above.astype(float)
    p[at] = (k - above.sum()) / at.sum()
    return p


def _expected_best(x: np.ndarray, g: np.ndarray, k: int, cut: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Distribution of the best goodness among the proxy's top-k: (fixed part max, values, probabilities).

    Archs strictly above the cut are always chosen; from the tie group at the cut (size m) a uniformly
    random subset of r archs joins. Sorting that group best-first, the subset's best is the j-th
    (1-based) with probability C(m-j, r-1) / C(m, r).
    """
    fixed = g[x > cut]
    group = np.sort(g[x == cut])[::-1]
    r = k - fixed.size
    m = group.size
    j = np.arange(1, m - r + 2)
    logp = (gammaln(m - j + 1) - gammaln(r) - gammaln(m - j - r + 2)) - (gammaln(m + 1) - gammaln(r + 1)
                                                                         - gammaln(m - r + 1))
    best_fixed = fixed.max() if fixed.size else -np.inf
    return best_fixed, group[: j.size], np.exp(logp)


def retrieval(x: np.ndarray, goodness: np.ndarray, k_spec: str, k: int, higher_is_better: bool,
              x_sorted: np.ndarray | None = None, sorted_good: np.ndarray | None = None,
              ndcg_at_k: float | None = None) -> TopK:
    """Top-k scores of proxy ``x`` against ``goodness`` (ground truth oriented so larger = better).

    ``best_true`` and ``mean_true`` are reported in metric units (a loss stays a loss). ``x_sorted`` and
    ``sorted_good`` (ascending) and ``ndcg_at_k`` (from :func:`ndcgs`) may be passed to share the work
    between several k.
    """
    n = int(x.size)
    if k > n:
        return TopK(k_spec, k, n, None, None, None, None, None, f"k={k} exceeds the {n} ranked archs")
    x_sorted = np.sort(x) if x_sorted is None else x_sorted
    sorted_good = np.sort(goodness) if sorted_good is None else sorted_good
    p_proxy = membership(x, k, x_sorted)
    p_true = membership(goodness, k, sorted_good)
    precision = float(p_proxy @ p_true) / k
    mean_good = float(p_proxy @ goodness) / k
    best_fixed, values, probs = _expected_best(x, goodness, k, x_sorted[n - k])
    best = np.maximum(best_fixed, values)
    best_good = float(probs @ best)
    percentile = 100.0 * np.searchsorted(sorted_good, best, side="right") / n
    sign = 1.0 if higher_is_better else -1.0
    return TopK(k_spec, k, n, precision, sign * best_good, sign * mean_good, float(probs @ percentile),
                ndcg(x, goodness, k) if ndcg_at_k is None else ndcg_at_k, None)


def ndcgs(x: np.ndarray, goodness: np.ndarray, ks: list[int]) -> list[float]:
    """nDCG@k of proxy ``x`` for each k, with the ground-truth percentile as gain (see the module
    docstring); the ranks, sorts and tie groups are computed once for all k."""
    n = x.size
    gain = stats.rankdata(goodness) / n
    cum = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(2, n + 2)))])  # cum[i]: first i discounts
    ideal_order = np.sort(gain)[::-1]
    order = np.argsort(-x, kind="stable")
    xs, gs = x[order], gain[order]
    starts = np.flatnonzero(np.concatenate([[True], xs[1:] != xs[:-1]]))
    ends = np.append(starts[1:], n)
    means = np.add.reduceat(gs, starts) / (ends - starts)
    out = []
    for k in ks:
        ideal = ideal_order[:k] @ np.diff(cum[: k + 1])
        weights = cum[np.minimum(ends, k)] - cum[np.minimum(starts, k)]
        out.append(float(means @ weights / ideal))
    return out


def ndcg(x: np.ndarray, goodness: np.ndarray, k: int) -> float:
    """nDCG@k of proxy ``x`` (one k; :func:`ndcgs` for several)."""
    return ndcgs(x, goodness, [k])[0]


def all_retrievals(x: np.ndarray, goodness: np.ndarray, higher_is_better: bool) -> list[TopK]:
    x_sorted, sorted_good = np.sort(x), np.sort(goodness)
    specs = k_specs(x.size)
    shown = [k for _, k in specs if k <= x.size]
    by_k = dict(zip(shown, ndcgs(x, goodness, shown))) if shown else {}
    return [retrieval(x, goodness, spec, k, higher_is_better, x_sorted, sorted_good, by_k.get(k))
            for spec, k in specs]
