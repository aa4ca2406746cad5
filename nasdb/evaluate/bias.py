"""Bias diagnostics: does a proxy measure size rather than quality?

Two views (GRAF, Kadlecova et al. 2024, argue the second): the proxy's rank correlation with size
references (n_conv, params, FLOPs), and its correlation with the ground truth *within* archs of equal
conv count. A proxy that only counts convolutions scores high overall but near zero within strata.
Strata smaller than ``MIN_STRATUM`` archs are skipped; ``strata_mean`` is the n-weighted mean of the
within-stratum Spearman (and Kendall) values.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

MIN_STRATUM = 10


@dataclass(frozen=True)
class BiasRow:
    kind: str            # cost / stratum / strata_mean
    against: str
    stratum: int | None
    n: int
    spearman: float | None
    kendall: float | None
    note: str | None = None


@dataclass(frozen=True)
class Reference:
    """A size column to compare a proxy with: values per arch and where they come from."""

    arch_id: np.ndarray
    values: np.ndarray
    origin: str


def _rank_corr(a: np.ndarray, b: np.ndarray) -> tuple[float | None, float | None]:
    if a.size < 3 or np.all(a == a[0]) or np.all(b == b[0]):
        return None, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rho = stats.spearmanr(a, b)[0]
        tau = stats.kendalltau(a, b)[0]
    return (float(rho) if np.isfinite(rho) else None), (float(tau) if np.isfinite(tau) else None)


def against_references(arch_id: np.ndarray, x: np.ndarray, references: dict[str, Reference]) -> list[BiasRow]:
    """Proxy vs each reference on the archs both have finite values for; the note names the reference's origin."""
    rows = []
    for name, ref in references.items():
        ok = np.isfinite(ref.values)
        common, i_x, i_r = np.intersect1d(arch_id, ref.arch_id[ok], return_indices=True)
        rho, tau = _rank_corr(x[i_x], ref.values[ok][i_r])
        note = f"reference: {ref.origin}" + ("" if rho is not None else "; too few archs or a constant column")
        rows.append(BiasRow("cost", name, None, int(common.size), rho, tau, note))
    return rows


def within_strata(x: np.ndarray, goodness: np.ndarray, strata: np.ndarray, metric: str) -> list[BiasRow]:
    """Proxy vs ground truth inside each conv-count stratum, plus their n-weighted mean."""
    rows = []
    for s in np.unique(strata[strata >= 0]):
        m = strata == s
        if m.sum() < MIN_STRATUM:
            continue
        rho, tau = _rank_corr(x[m], goodness[m])
        rows.append(BiasRow("stratum", metric, int(s), int(m.sum()), rho, tau,
                            None if rho is not None else "constant proxy or ground truth in this stratum"))
    usable = [r for r in rows if r.spearman is not None]
    if usable:
        w = np.array([r.n for r in usable], float)
        rows.append(BiasRow("strata_mean", metric, None, int(w.sum()),
                            float(np.average([r.spearman for r in usable], weights=w)),
                            float(np.average([r.kendall for r in usable], weights=w))))
    return rows
