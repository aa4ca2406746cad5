"""Reference mode: build the NASGraph graph of one surrogate as a networkx DiGraph, as the spec reads.

Every block gets its weights (fresh from ``generator`` — the published recipe — or deterministic
per block, which makes the result comparable edge-for-edge with fast mode), and for every
(parent P, block L) connection L alone is probed with P's one-hot channel inputs at L's recorded
input size. Edge ``"P_k" -> "L_j"`` iff output j summed over pixels is non-zero; only nodes that
touch an edge enter the graph.
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import torch

from nasdb.proxies.nasgraph import measures
from nasdb.surrogate.blocks import Surrogate, check
from nasdb.proxies.nasgraph.probe import block_weights, probe_reference


def graph(surrogate: Surrogate, seed: int = 0, fresh: bool = True,
          generator: torch.Generator | None = None) -> nx.DiGraph:
    """The directed NASGraph graph. ``fresh``: draw all weights from one generator seeded by ``seed``
    (or the given ``generator``); otherwise use the deterministic per-block weights of fast mode."""
    check(surrogate)
    if fresh and generator is None:
        generator = torch.Generator().manual_seed(seed)
    g = nx.DiGraph()
    for lid, (block, parents) in enumerate(zip(surrogate.blocks, surrogate.parents)):
        if not parents:
            continue
        weights = block_weights(block, seed=seed, generator=generator if fresh else None)
        for pid, shift in parents:
            m = probe_reference(block, weights, n_inputs=surrogate.blocks[pid].c_out, shift=shift)
            ks, js = np.nonzero(m)
            g.add_edges_from((f"{pid}_{k}", f"{lid}_{j}") for k, j in zip(ks.tolist(), js.tolist()))
    return g


def graph_measures(g: nx.DiGraph) -> dict[str, float]:
    """The measures of ``measures.NAMES`` for one graph (NaN where undefined)."""
    deg = np.array([d for _, d in g.degree()], dtype=np.int64)[None, :]
    if deg.size == 0:
        deg = np.zeros((1, 1), dtype=np.int64)
    return {k: float(v[0]) for k, v in measures.from_degrees(deg).items()}
