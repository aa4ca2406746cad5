"""Fast mode: NASGraph measures for many architectures at once, with array arithmetic.

A block's edge matrix depends only on the block (position, op, shapes) and its weights; with
weights seeded per block (``probe.block_weights``) every distinct block is probed once
(:class:`BlockCache`) and each architecture's graph is a union of those matrices placed along its
wiring. Degrees are all the measures need (``measures.py``), and a node's degree is

    deg(L_j) = sum over parents P of L:  #{k : M_L[k + shift_P, j]}        (in-edges)
             + sum over children C of L: #{i : M_C[j + shift_L, i]}         (out-edges)

so for surrogates that share a wiring (:meth:`Surrogate.signature`) the degree matrix is built
slot by slot with table look-ups, no per-architecture graph. Slots are padded to the widest block
seen in that slot; padding columns stay zero and so are not nodes.

Reusable beyond NB201/TNB101 (e.g. NB101): describe each architecture as a ``Surrogate`` and call
:func:`measures_of` (or :func:`degrees` per wiring group).
"""
from __future__ import annotations

from collections import defaultdict
from itertools import chain

import numpy as np

from nasdb.proxies.nasgraph import measures
from nasdb.proxies.nasgraph.blocks import Block, Surrogate
from nasdb.proxies.nasgraph.probe import block_weights, probe_fast


class BlockCache:
    """Edge matrices of distinct blocks under deterministic weights, each probed once."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.index: dict[Block, int] = {}
        self.blocks: list[Block] = []
        self.matrices: list[np.ndarray] = []

    def id(self, block: Block) -> int:
        i = self.index.get(block)
        if i is None:
            i = self.index[block] = len(self.blocks)
            self.blocks.append(block)
            if block.kind == "input":
                self.matrices.append(np.zeros((0, block.c_out), dtype=bool))
            else:
                self.matrices.append(probe_fast(block, block_weights(block, seed=self.seed)))
        return i

    def matrix(self, i: int) -> np.ndarray:
        return self.matrices[i]


def _pair_tables(cache: BlockCache, parent_ids: np.ndarray, child_ids: np.ndarray, shift: int,
                 width_parent: int, width_child: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Out-degree rows of the parent and in-degree rows of the child, per distinct (parent, child) pair."""
    n_blocks = len(cache.blocks)
    pairs, inverse = np.unique(parent_ids.astype(np.int64) * n_blocks + child_ids, return_inverse=True)
    out_tab = np.zeros((len(pairs), width_parent), dtype=np.int32)
    in_tab = np.zeros((len(pairs), width_child), dtype=np.int32)
    for u, code in enumerate(pairs.tolist()):
        parent, child = cache.blocks[code // n_blocks], code % n_blocks
        m = cache.matrix(child)
        n_in = min(parent.c_out, m.shape[0] - shift)
        sub = m[shift:shift + n_in]
        out_tab[u, :n_in] = sub.sum(axis=1)
        in_tab[u, :sub.shape[1]] = sub.sum(axis=0)
    return out_tab, in_tab, inverse.reshape(-1)


def degrees(group: list[Surrogate], cache: BlockCache) -> np.ndarray:
    """Padded degree matrix (len(group) x nodes) of surrogates that share one wiring."""
    parents = group[0].parents
    all_blocks = list(chain.from_iterable(s.blocks for s in group))
    for b in set(all_blocks):
        cache.id(b)
    keys = np.fromiter(map(cache.index.__getitem__, all_blocks), dtype=np.int64,
                       count=len(all_blocks)).reshape(len(group), len(parents))
    c_out = np.array([b.c_out for b in cache.blocks])
    widths = c_out[keys].max(axis=0)
    offsets = np.concatenate([[0], np.cumsum(widths)])
    deg = np.zeros((len(group), int(offsets[-1])), dtype=np.int32)
    for child, plist in enumerate(parents):
        for parent, shift in plist:
            out_tab, in_tab, inv = _pair_tables(cache, keys[:, parent], keys[:, child], shift,
                                                int(widths[parent]), int(widths[child]))
            deg[:, offsets[parent]:offsets[parent + 1]] += out_tab[inv]
            deg[:, offsets[child]:offsets[child + 1]] += in_tab[inv]
    return deg


def measures_of(surrogates: list[Surrogate], cache: BlockCache) -> dict[str, np.ndarray]:
    """Every graph measure for each surrogate (in input order), grouping equal wirings."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, s in enumerate(surrogates):
        groups[s.signature()].append(i)
    out = {name: np.empty(len(surrogates)) for name in measures.NAMES}
    for idx in groups.values():
        vals = measures.from_degrees(degrees([surrogates[i] for i in idx], cache))
        for name in measures.NAMES:
            out[name][idx] = vals[name]
    return out
