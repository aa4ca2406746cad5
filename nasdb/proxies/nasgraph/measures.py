"""Graph measures of a NASGraph graph, all functions of its node degrees.

The graph is directed; a node's degree is its in-degree plus its out-degree (unweighted), and only
nodes touching at least one edge count (NASGRAPH.md section 3). With ``d_i`` the degrees of those
``N`` nodes and ``E`` the number of edges (so ``sum d_i = 2E``):

* ``nasgraph_avg_degree``    = 2E / N                                     (THE NASGraph proxy)
* ``nasgraph_edges``         = E
* ``nasgraph_nodes``         = N
* ``nasgraph_density``       = E / (N (N - 1))        (directed density, as ``networkx.density``)
* ``nasgraph_degree_entropy`` = -sum p_i ln p_i / N,  p_i = d_i / 2E  (the reference code divides by N)
* ``nasgraph_gini``          = sum_i i d_(i) / (E N) - (N + 1) / N, degrees sorted ascending, i = 1..N
                               (the usual Gini coefficient of the degrees: 0 = all equal)
* ``nasgraph_resilience``    = <d^2> / <d> = sum d_i^2 / 2E  (Molloy-Reed ratio)
* ``nasgraph_wedges``        = sum_i d_i (d_i - 1) / 2  (pairs of edges sharing a node, directions ignored)

:func:`from_degrees` computes them for many graphs at once from a zero-padded degree matrix
(one row per graph; zeros are absent nodes). A measure that is undefined for a graph (no edges;
density of a single node) is NaN there, and :func:`null_reason` says why.
"""
from __future__ import annotations

import numpy as np

NAMES = (
    "nasgraph_avg_degree", "nasgraph_edges", "nasgraph_nodes", "nasgraph_density",
    "nasgraph_degree_entropy", "nasgraph_gini", "nasgraph_resilience", "nasgraph_wedges",
)
COUNTS = frozenset({"nasgraph_edges", "nasgraph_nodes", "nasgraph_wedges"})  # defined (0) on an empty graph


def histogram(deg: np.ndarray) -> np.ndarray:
    """Per-row degree histogram: ``h[g, v]`` = number of nodes of graph g with degree v."""
    codes = np.array(deg, dtype=np.int64)
    width = int(codes.max(initial=0)) + 1
    codes += (np.arange(codes.shape[0], dtype=np.int64) * width)[:, None]
    return np.bincount(codes.ravel(), minlength=codes.shape[0] * width).reshape(codes.shape[0], width)


def from_degrees(deg: np.ndarray) -> dict[str, np.ndarray]:
    """Every measure for each row of ``deg`` (graphs x padded nodes, non-negative ints); NaN = undefined.

    Works on the degree histogram (degrees are small integers), so sorting for the Gini
    coefficient is a cumulative sum over degree values.
    """
    h = histogram(deg)[:, 1:].astype(np.float64)  # degree 0 = not a node
    v = np.arange(1, h.shape[1] + 1, dtype=np.float64)
    n = h.sum(axis=1)
    two_e = h @ v
    e = two_e / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        avg = two_e / n
        density = np.where(n > 1, e / (n * (n - 1)), np.nan)
        entropy = (np.log(two_e) - (h @ (v * np.log(v))) / two_e) / n
        below = np.cumsum(h, axis=1) - h  # nodes with a smaller degree: the rank before this value's run
        rank_sum = ((below * h + h * (h + 1) / 2) * v).sum(axis=1)
        gini = rank_sum / (e * n) - (n + 1) / n
        resilience = (h @ (v * v)) / two_e
    wedges = h @ (v * (v - 1) / 2)
    empty = n == 0
    out = {
        "nasgraph_avg_degree": avg, "nasgraph_edges": e, "nasgraph_nodes": n, "nasgraph_density": density,
        "nasgraph_degree_entropy": entropy, "nasgraph_gini": gini, "nasgraph_resilience": resilience,
        "nasgraph_wedges": wedges,
    }
    return {k: (x if k in COUNTS else np.where(empty, np.nan, x)) for k, x in out.items()}


def null_reason(name: str, n_nodes: float) -> str | None:
    """Why measure ``name`` is NULL for a graph with ``n_nodes`` nodes (None if it is defined)."""
    if name in COUNTS:
        return None
    if n_nodes == 0:
        return "graph has no edges: every block output is zero"
    if name == "nasgraph_density" and n_nodes < 2:
        return "density undefined for a single node"
    return None
