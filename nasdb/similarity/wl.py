"""Weisfeiler-Lehman features of cell graphs, vectorised over many graphs at once.

Each node starts with its op as label; each iteration relabels a node by a 64-bit hash of (its
label, the sorted labels of its in-neighbours, the sorted labels of its out-neighbours), as the WL
subtree kernel does on directed graphs. A graph's feature vector counts every label of iterations
0..h. Hashing (instead of a per-batch label dictionary) keeps labels identical across batches and
processes, so one query graph can be compared with a stored index.

Graphs are packed as padded arrays: ``labels`` (G, N) uint64 (``PAD`` = no node) and ``adj`` (G, N, N)
bool. Every step is a numpy operation over all G graphs, so the 15,625 NB201 cells take well under a
second; building the networkx graphs (the Space protocol's ``cell_graph``) costs more than WL itself.
"""
from __future__ import annotations

import hashlib

import numpy as np
import scipy.sparse as sp

PAD = np.uint64(0)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MULT = np.uint64(0xBF58476D1CE4E5B9)


def op_label(op: str) -> np.uint64:
    """A stable 64-bit label of an op name (never PAD)."""
    v = int.from_bytes(hashlib.blake2b(op.encode(), digest_size=8).digest(), "little")
    return np.uint64(v or 1)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads bits so that sums of mixed values rarely collide."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _MULT
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def pack(graphs: list, max_nodes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """networkx DiGraphs (node attribute ``op``) -> padded (labels, adjacency)."""
    n = max_nodes or max((g.number_of_nodes() for g in graphs), default=1)
    labels = np.full((len(graphs), n), PAD, dtype=np.uint64)
    adj = np.zeros((len(graphs), n, n), dtype=bool)
    cache: dict[str, np.uint64] = {}
    for k, g in enumerate(graphs):
        index = {v: i for i, v in enumerate(g.nodes)}
        for v, op in g.nodes(data="op"):
            labels[k, index[v]] = cache.setdefault(op, op_label(op))
        for a, b in g.edges:
            adj[k, index[a], index[b]] = True
    return labels, adj


def computational(labels: np.ndarray, adj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The packed graphs reduced as ``nasdb.spaces.computational`` reduces one networkx graph (no
    ``none`` nodes, only nodes on an input->output path), for all graphs at once: calling the
    networkx version per cell costs ~2 ms, which is most of an NB201 index build."""
    keep = (labels != PAD) & (labels != op_label("none"))
    a = adj & keep[:, :, None] & keep[:, None, :]
    down = keep & (labels == op_label("input"))     # reached from an input
    up = keep & (labels == op_label("output"))      # reaching an output
    a8 = a.astype(np.uint8)
    for _ in range(labels.shape[1]):
        down = down | (np.einsum("gi,gij->gj", down.astype(np.uint8), a8) > 0)
        up = up | (np.einsum("gj,gij->gi", up.astype(np.uint8), a8) > 0)
    on_path = down & up
    return np.where(on_path, labels, PAD), a & on_path[:, :, None] & on_path[:, None, :]


def _neighbour_hash(labels: np.ndarray, adj: np.ndarray) -> np.ndarray:
    """Order-independent hash of the multiset of neighbour labels (adj[g, i, j]: j is a neighbour of i).

    Sorting then position-weighting would also work; a sum of mixed labels is a multiset hash that
    needs no sort and stays one array expression."""
    with np.errstate(over="ignore"):
        return np.where(adj, _mix(labels[:, None, :]), np.uint64(0)).sum(axis=2, dtype=np.uint64)


def iterate(labels: np.ndarray, adj: np.ndarray, h: int) -> list[np.ndarray]:
    """Labels of iterations 0..h, each (G, N), PAD where there is no node."""
    out = [labels]
    present = labels != PAD
    for _ in range(h):
        cur = out[-1]
        ins = _neighbour_hash(cur, np.swapaxes(adj, 1, 2))   # in-neighbours of each node
        outs = _neighbour_hash(cur, adj)                       # out-neighbours
        with np.errstate(over="ignore"):
            new = _mix(_mix(cur ^ _MIX) + _mix(ins + np.uint64(1)) * np.uint64(3) + _mix(outs + np.uint64(2)))
        new[new == PAD] = np.uint64(1)
        out.append(np.where(present, new, PAD))
    return out


def features(labels: np.ndarray, adj: np.ndarray, h: int = 3) -> tuple[sp.csr_matrix, np.ndarray]:
    """(G, V) sparse count matrix over the vocabulary ``vocab`` (sorted uint64 labels) of iterations 0..h."""
    layers = iterate(labels, adj, h)
    allv = np.stack(layers, axis=1).reshape(len(labels), (h + 1) * labels.shape[1])
    rows = np.repeat(np.arange(len(labels)), allv.shape[1])
    flat = allv.ravel()
    keep = flat != PAD
    vocab, cols = np.unique(flat[keep], return_inverse=True)
    m = sp.csr_matrix((np.ones(keep.sum(), dtype=np.float64), (rows[keep], cols)), shape=(len(labels), len(vocab)))
    m.sum_duplicates()
    return m, vocab


def vectorise(labels: np.ndarray, adj: np.ndarray, vocab: np.ndarray, h: int = 3) -> tuple[sp.csr_matrix, float]:
    """Feature rows of new graphs over an existing ``vocab`` (labels outside it only add to the norm)."""
    layers = iterate(labels, adj, h)
    allv = np.stack(layers, axis=1).reshape(len(labels), (h + 1) * labels.shape[1])
    rows, data, cols, extra = [], [], [], np.zeros(len(labels))
    for g, row in enumerate(allv):
        vals, counts = np.unique(row[row != PAD], return_counts=True)
        pos = np.searchsorted(vocab, vals)
        hit = (pos < len(vocab)) & (vocab[np.minimum(pos, len(vocab) - 1)] == vals)
        rows += [g] * int(hit.sum())
        cols += pos[hit].tolist()
        data += counts[hit].astype(float).tolist()
        extra[g] = float((counts[~hit] ** 2).sum())
    m = sp.csr_matrix((data, (rows, cols)), shape=(len(labels), len(vocab)))
    return m, extra


def cosine(index: sp.csr_matrix, query: sp.csr_matrix, query_extra: float = 0.0) -> np.ndarray:
    """Normalised WL kernel (cosine of count vectors) between one query row and every index row.
    Two empty graphs (nothing computes) count as identical."""
    dots = (index @ query.T).toarray().ravel()
    n_index = np.sqrt(np.asarray(index.multiply(index).sum(axis=1)).ravel())
    n_query = np.sqrt(float(query.multiply(query).sum()) + query_extra)
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = dots / (n_index * n_query)
    both_empty = (n_index == 0) & (n_query == 0)
    sim[both_empty] = 1.0
    return np.nan_to_num(sim, nan=0.0)
