"""The NB101 surrogate network for NASGraph, and fast scoring of the whole NB101 space.

Surrogate (NASGRAPH.md section 1, wiring as NASGraph's reference ``nasbench101_relation_cfg``):
input -> stem conv3x3 (3 -> 16) -> ``stages`` stages of ``cells_per_stage`` cells, a 2x2 max-pool
before every stage but the first, channels doubling per stage (the first cell of a stage goes
from c to 2c). In a cell with NB101's channel split (:func:`nasdb.spaces.nb101.vertex_channels`):
a 1x1 conv projection of the cell input for every input edge, one block per inner vertex
(conv3x3/conv1x1 with ReLU, BN off; max-pool) fed by its projection and its predecessors (a
predecessor with one channel more is truncated, as NB101 does), a concatenation block whose
parents are shifted by the channels of the parents before them, and an addition block for the
output (concatenation + the output's projection). Max-pooling maps each channel onto itself, so its
edge set is the diagonal: it is described as the engine's weightless per-channel pooling kind
(``avg_pool``), which has exactly that edge set.

Scoring all 423,624 cells: the 2,494 distinct pruned matrices are the only wirings; the skeleton of
each is built once (cached) and a cell only fills in its op blocks. :func:`fast_measures` assembles
each wiring group at once with ``fast.degrees``.
"""
from __future__ import annotations

import functools
from itertools import accumulate

import numpy as np

from nasdb.proxies.nasgraph import fast, measures
from nasdb.proxies.nasgraph.blocks import Block, Builder, Surrogate
from nasdb.spaces import nb101

SURROGATE_DEFAULTS = {"stages": 3, "cells_per_stage": 1, "stem_channels": 16, "image_size": 32}
POOL = "avg_pool"  # per-channel pooling: diagonal edge set, like max-pooling


@functools.lru_cache(maxsize=None)
def _block(position: str, kind: str, c_in: int, c_out: int, size: int, kernel: int = 1, padding: int = 0) -> Block:
    """Shared Block instances: 423,624 surrogates reuse a few thousand distinct blocks."""
    return Block(position, kind, c_in, c_out, size, kernel=kernel, padding=padding)


def _op_block(op: str, position: str, channels: int, size: int) -> Block:
    if op == nb101.CONV3X3:
        return _block(position, "conv", channels, channels, size, kernel=3, padding=1)
    if op == nb101.CONV1X1:
        return _block(position, "conv", channels, channels, size)
    return _block(position, POOL, channels, channels, size)


@functools.lru_cache(maxsize=None)
def _skeleton(matrix: tuple[tuple[int, ...], ...], stages: int, cells_per_stage: int, stem_channels: int,
              image_size: int) -> tuple[Surrogate, tuple[tuple[int, int, str, int, int], ...]]:
    """Wiring and fixed blocks of every cell with this pruned matrix, plus the op slots
    (block index, vertex, position, channels, size) that :func:`surrogate` fills with the cell's ops."""
    m, n = matrix, len(matrix)
    shape = nb101.Cell(matrix, (nb101.INPUT, *[nb101.MAXPOOL] * (n - 2), nb101.OUTPUT))  # ops do not matter here
    b = Builder()
    slots = []
    size = image_size
    prev = b.add(_block("stem", "conv", 3, stem_channels, size, kernel=3, padding=1),
                 [b.add(_block("input", "input", 3, 3, size))])
    c_in = c_out = stem_channels
    for s in range(stages):
        if s > 0:
            prev = b.add(_block(f"s{s}/maxpool2x2", POOL, c_in, c_in, size), [prev])
            size, c_out = size // 2, 2 * c_out
        for c in range(cells_per_stage):
            pos = f"s{s}/c{c}"
            ch = nb101.vertex_channels(shape, c_in, c_out)
            proj = {t: b.add(_block(f"{pos}/proj{t}", "conv", c_in, ch[t], size), [prev])
                    for t in range(1, n) if m[0][t]}
            node: dict[int, int] = {}
            for t in range(1, n - 1):
                parents = [proj[t]] if t in proj else []
                parents += [node[u] for u in range(1, t) if m[u][t]]
                node[t] = b.add(_op_block(nb101.MAXPOOL, f"{pos}/v{t}", ch[t], size), parents)
                slots.append((node[t], t, f"{pos}/v{t}", ch[t], size))
            feeding = [t for t in range(1, n - 1) if m[t][n - 1]]
            shifts = list(accumulate([ch[t] for t in feeding], initial=0))[:-1]
            concat = b.add(_block(f"{pos}/concat", "identity", c_out, c_out, size), [node[t] for t in feeding], shifts)
            prev = b.add(_block(f"{pos}/output", "identity", c_out, c_out, size),
                         ([proj[n - 1]] if n - 1 in proj else []) + [concat])
            c_in = c_out
    return b.build(), tuple(slots)


def surrogate(cell: nb101.Cell, stages: int = 3, cells_per_stage: int = 1, stem_channels: int = 16,
              image_size: int = 32) -> Surrogate:
    """The NB101 network NASGraph converts (see the module docstring)."""
    skeleton, slots = _skeleton(cell.matrix, stages, cells_per_stage, stem_channels, image_size)
    blocks = list(skeleton.blocks)
    for idx, t, position, channels, size in slots:
        blocks[idx] = _op_block(cell.ops[t], position, channels, size)
    return Surrogate(tuple(blocks), skeleton.parents)


def fast_measures(cells, seed: int = 0, progress: bool = True, **surrogate_kw) -> dict[str, np.ndarray]:
    """Every NASGraph measure of every cell of ``cells`` (a ``nb101_enumerate.Cells``), fast mode.

    Cells are grouped by pruned matrix (= wiring); each group's degree matrix is assembled at once.
    """
    from tqdm import tqdm

    flat = cells.matrices.reshape(len(cells), -1)
    _, group_of = np.unique(flat, axis=0, return_inverse=True)
    group_of = group_of.reshape(-1)
    order = np.argsort(group_of, kind="stable")
    bounds = np.flatnonzero(np.diff(group_of[order])) + 1
    cache = fast.BlockCache(seed)
    out = {name: np.empty(len(cells)) for name in measures.NAMES}
    with tqdm(total=len(cells), desc="nasgraph nb101 (fast)", unit="cell", disable=not progress,
              mininterval=1) as bar:
        for idx in np.split(order, bounds):
            group = [surrogate(cells.cell(int(i)), **surrogate_kw) for i in idx]
            vals = measures.from_degrees(fast.degrees(group, cache))
            for name in measures.NAMES:
                out[name][idx] = vals[name]
            bar.update(len(idx))
    return out


def surrogate_of_key(arch_key: str, dataset: str = "") -> Surrogate:
    """Surrogate of the cell with module hash ``arch_key`` (the registry's callable; data-free, so
    ``dataset`` is ignored)."""
    from nasdb.spaces import nb101_enumerate

    cells = _cells()
    i = int(np.searchsorted(cells.hashes, arch_key))
    if i >= len(cells) or cells.hashes[i] != arch_key:
        raise nb101.InvalidCellError(f"{arch_key!r} is not the module hash of any NB101 cell "
                                     f"({len(cells):,} enumerated in {nb101_enumerate.cache_path()})")
    return surrogate(cells.cell(i))


@functools.lru_cache(maxsize=1)
def _cells():
    from nasdb.spaces import nb101_enumerate

    return nb101_enumerate.load()
