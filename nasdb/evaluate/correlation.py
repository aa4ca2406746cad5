"""Rank correlations (scipy.stats) with seeded bootstrap 95% intervals that are fast enough for every proxy.

A bootstrap resample only changes how often each arch is drawn, never the order of the values. So the
order of x and y is computed once; each resample is a vector of draw counts w, the midranks of the
resample follow from cumulative sums of w over the tie groups, Spearman rho is the w-weighted Pearson
correlation of those midranks, and Kendall tau-b's S statistic is counted with a Fenwick tree over the
y order, weighting every pair by w_i * w_j (copies of one arch are tied in both x and y, as in
scipy.stats.kendalltau on the expanded sample). The kernel is compiled with numba; it reproduces
scipy on the expanded resample exactly (see tests/test_evaluate_correlation.py).
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numba
import numpy as np
from scipy import stats

MIN_N = 3  # below this a rank correlation says nothing


@dataclass(frozen=True)
class Correlation:
    n: int
    spearman: float | None
    spearman_p: float | None
    spearman_lo: float | None
    spearman_hi: float | None
    kendall: float | None
    kendall_p: float | None
    kendall_lo: float | None
    kendall_hi: float | None
    note: str | None


def _tie_groups(v: np.ndarray) -> np.ndarray:
    """Dense rank (0 = smallest) of each value: the index of its tie group."""
    return stats.rankdata(v, method="dense").astype(np.int64) - 1


BLOCK = 64  # resamples processed together: the inner loops run over a block, contiguous in memory


@numba.njit(cache=True)
def _midranks(group, w, weight, rank):
    """Per tie group and resample column: total weight and midrank. (Row views let numba vectorise over b.)"""
    weight[:] = 0
    for i in range(group.size):
        total, add = weight[group[i]], w[i]
        for b in range(add.size):
            total[b] += add[b]
    below = np.zeros(w.shape[1])
    for g in range(weight.shape[0]):
        wg, rg = weight[g], rank[g]
        for b in range(below.size):
            rg[b] = below[b] + (wg[b] + 1.0) / 2.0
            below[b] += wg[b]


@numba.njit(cache=True)
def _centred_sum_squares(weight, rank, mean):
    out = np.zeros(mean.size)
    for g in range(weight.shape[0]):
        wg, rg = weight[g], rank[g]
        for b in range(out.size):
            out[b] += wg[b] * (rg[b] - mean[b]) ** 2
    return out


@numba.njit(cache=True)
def _tie_pairs(weight):
    out = np.zeros(weight.shape[1])
    for g in range(weight.shape[0]):
        wg = weight[g]
        for b in range(out.size):
            out[b] += wg[b] * (wg[b] - 1) / 2.0
    return out


@numba.njit(cache=True)
def _kendall_s(xg, yg, w, tree, at):
    """Kendall's S (concordant - discordant weighted pairs): walk x tie groups upwards (archs are sorted by
    x); a Fenwick tree over y tie groups holds the weights of the archs with a strictly smaller x."""
    n_res = w.shape[1]
    n_yg = at.shape[0]
    tree[:] = 0
    at[:] = 0
    inserted = np.zeros(n_res, np.int32)
    s = np.zeros(n_res, np.int64)
    below = np.zeros(n_res, np.int32)
    start = 0
    while start < xg.size:
        end = start
        while end < xg.size and xg[end] == xg[start]:
            end += 1
        for i in range(start, end):
            below[:] = 0
            j = yg[i]
            while j > 0:
                node = tree[j]
                for b in range(n_res):
                    below[b] += node[b]
                j -= j & -j
            wi, tied = w[i], at[yg[i]]
            for b in range(n_res):
                s[b] += wi[b] * (2 * below[b] + tied[b] - inserted[b])
        for i in range(start, end):
            wi = w[i]
            j = yg[i] + 1
            while j < n_yg + 1:
                node = tree[j]
                for b in range(n_res):
                    node[b] += wi[b]
                j += j & -j
            tied = at[yg[i]]
            for b in range(n_res):
                tied[b] += wi[b]
                inserted[b] += wi[b]
        start = end
    return s


@numba.njit(cache=True)
def weighted_rank_correlations(xg, yg, w, work):
    """Spearman rho and Kendall tau-b of each column b of ``w`` (n archs x B), where arch i appears w[i, b] times.

    ``xg``/``yg``: tie-group index of each arch (dense rank from 0), archs sorted by ``xg``;
    ``work``: arrays from :func:`workspace` (reused: allocating them per block costs more than the maths).
    """
    wx, wy, rx, ry, tree, at = work
    n_res = w.shape[1]
    n = np.zeros(n_res)
    for i in range(w.shape[0]):
        wi = w[i]
        for b in range(n_res):
            n[b] += wi[b]
    _midranks(xg, w, wx, rx)
    _midranks(yg, w, wy, ry)
    mean = (n + 1.0) / 2.0
    sxy = np.zeros(n_res)
    for i in range(w.shape[0]):
        wi, ri, qi = w[i], rx[xg[i]], ry[yg[i]]
        for b in range(n_res):
            sxy[b] += wi[b] * (ri[b] - mean[b]) * (qi[b] - mean[b])
    sxx = _centred_sum_squares(wx, rx, mean)
    syy = _centred_sum_squares(wy, ry, mean)
    s = _kendall_s(xg, yg, w, tree, at)
    n0 = n * (n - 1) / 2.0
    denom = (n0 - _tie_pairs(wx)) * (n0 - _tie_pairs(wy))
    rho = np.full(n_res, np.nan)
    tau = np.full(n_res, np.nan)
    for b in range(n_res):
        if sxx[b] > 0 and syy[b] > 0:
            rho[b] = sxy[b] / np.sqrt(sxx[b] * syy[b])
        if denom[b] > 0:
            tau[b] = s[b] / np.sqrt(denom[b])
    return rho, tau


@numba.njit(cache=True)
def _draw_counts(draws):
    """(B, n) drawn indices -> (n, B) counts: how often each arch is in each resample."""
    w = np.zeros((draws.shape[1], draws.shape[0]), np.int32)
    for b in range(draws.shape[0]):
        for i in draws[b]:
            w[i, b] += 1
    return w


def workspace(xg: np.ndarray, yg: np.ndarray, cols: int) -> tuple[np.ndarray, ...]:
    """Scratch arrays of :func:`weighted_rank_correlations` for ``cols`` resamples at a time."""
    n_xg, n_yg = int(xg.max()) + 1, int(yg.max()) + 1
    return (np.zeros((n_xg, cols), np.int64), np.zeros((n_yg, cols), np.int64), np.zeros((n_xg, cols)),
            np.zeros((n_yg, cols)), np.zeros((n_yg + 1, cols), np.int32), np.zeros((n_yg, cols), np.int32))


@functools.lru_cache(maxsize=8)
def resample_counts(n: int, resamples: int, seed: int) -> tuple[np.ndarray, ...]:
    """Bootstrap draw counts, (n, BLOCK) int32 blocks: row i = how often arch i (in the order given) is drawn.

    Depends only on (n, resamples, seed), so every proxy evaluated on n archs reuses the same resamples
    (common random numbers; and the draws are made once per run instead of once per proxy).
    """
    rng = np.random.default_rng(seed)
    return tuple(_draw_counts(rng.integers(0, n, size=(min(BLOCK, resamples - first), n), dtype=np.int32))
                 for first in range(0, resamples, BLOCK))


def bootstrap(x: np.ndarray, y: np.ndarray, resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Spearman and Kendall tau-b of seeded bootstrap resamples of the pairs (x[i], y[i])."""
    order_x = np.argsort(x, kind="stable")  # work in x order: the kernel then reads memory sequentially
    xg, yg = _tie_groups(x[order_x]), _tie_groups(y[order_x])
    work = workspace(xg, yg, BLOCK)
    rhos, taus = [], []
    for w in resample_counts(x.size, resamples, seed):
        if w.shape[1] != BLOCK:
            work = workspace(xg, yg, w.shape[1])
        rho, tau = weighted_rank_correlations(xg, yg, w[order_x], work)
        rhos.append(rho)
        taus.append(tau)
    return np.concatenate(rhos), np.concatenate(taus)


def _interval(samples: np.ndarray) -> tuple[float | None, float | None]:
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return None, None
    lo, hi = np.percentile(finite, [2.5, 97.5])
    return float(lo), float(hi)


def _num(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def correlate(x: np.ndarray, goodness: np.ndarray, resamples: int = 1000, seed: int = 0) -> Correlation:
    """Spearman rho and Kendall tau-b of proxy vs goodness, with percentile 95% bootstrap intervals."""
    n = int(x.size)
    if n < MIN_N:
        return Correlation(n, *[None] * 8, note=f"fewer than {MIN_N} archs with finite values")
    if np.all(x == x[0]) or np.all(goodness == goodness[0]):
        return Correlation(n, *[None] * 8, note="constant proxy or ground truth: rank correlation undefined")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rho, rho_p = stats.spearmanr(x, goodness)
        tau, tau_p = stats.kendalltau(x, goodness)
    lo_hi = (None, None, None, None)
    if resamples > 0:
        rhos, taus = bootstrap(x, goodness, resamples, seed)
        lo_hi = (*_interval(rhos), *_interval(taus))
    return Correlation(n, _num(rho), _num(rho_p), lo_hi[0], lo_hi[1], _num(tau), _num(tau_p), lo_hi[2], lo_hi[3],
                       note=None)
