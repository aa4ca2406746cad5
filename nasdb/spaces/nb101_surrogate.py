"""The NB101 surrogate network NASGraph converts, and its wiring groups for fast scoring.

Wiring as NASGraph's reference ``nasbench101_relation_cfg``: input -> stem conv3x3 (3 -> 16) ->
``stages`` stages of ``cells_per_stage`` cells, a 2x2 max-pool before every stage but the first,
channels doubling per stage (the first cell of a stage goes from c to 2c). In a cell with NB101's
channel split (:func:`nasdb.spaces.nb101.vertex_channels`): a 1x1 conv projection of the cell input
for every input edge, one block per inner vertex (conv3x3/conv1x1 with ReLU, BN off; max-pool) fed
by its projection and its predecessors (a predecessor with one channel more is truncated, as NB101
does), a concatenation block whose parents are shifted by the channels of the parents before them,
and an addition block for the output (concatenation + the output's projection). Max-pooling is the
weightless ``max_pool`` kind (3x3 stride 1 in cells, 2x2 stride 2 between stages).

The 2,494 distinct pruned matrices are the only wirings: :func:`groups` cuts a list of cells into
one :class:`~nasdb.surrogate.groups.SlotGroup` per wiring, whose slots (the inner vertices) take one
of the three op blocks by the cell's op label, so no Surrogate is built per cell.
"""
from __future__ import annotations

import functools
from itertools import accumulate

import numpy as np

from nasdb.spaces import nb101
from nasdb.surrogate.blocks import Block, Builder, Surrogate
from nasdb.surrogate.groups import SlotGroup

SURROGATE_DEFAULTS = {"stages": 3, "cells_per_stage": 1, "stem_channels": 16, "image_size": 32}


@functools.lru_cache(maxsize=None)
def _block(position: str, kind: str, c_in: int, c_out: int, size: int, kernel: int = 1, stride: int = 1,
           padding: int = 0) -> Block:
    """Shared Block instances: 423,624 surrogates reuse a few thousand distinct blocks."""
    return Block(position, kind, c_in, c_out, size, kernel=kernel, stride=stride, padding=padding)


def op_block(op: str, position: str, channels: int, size: int) -> Block:
    if op == nb101.CONV3X3:
        return _block(position, "conv", channels, channels, size, kernel=3, padding=1)
    if op == nb101.CONV1X1:
        return _block(position, "conv", channels, channels, size)
    return _block(position, "max_pool", channels, channels, size, kernel=3, padding=1)


@functools.lru_cache(maxsize=None)
def skeleton(matrix: tuple[tuple[int, ...], ...], stages: int, cells_per_stage: int, stem_channels: int,
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
            prev = b.add(_block(f"s{s}/maxpool2x2", "max_pool", c_in, c_in, size, kernel=2, stride=2), [prev])
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
                node[t] = b.add(op_block(nb101.MAXPOOL, f"{pos}/v{t}", ch[t], size), parents)
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
    wiring, slots = skeleton(cell.matrix, stages, cells_per_stage, stem_channels, image_size)
    blocks = list(wiring.blocks)
    for idx, t, position, channels, size in slots:
        blocks[idx] = op_block(cell.ops[t], position, channels, size)
    return Surrogate(tuple(blocks), wiring.parents)


def groups(cells, **surrogate_kw):
    """One SlotGroup per pruned matrix of ``cells`` (a ``nb101_enumerate.Cells``), rows in its order."""
    kw = {**SURROGATE_DEFAULTS, **surrogate_kw}
    _, group_of = np.unique(cells.matrices.reshape(len(cells), -1), axis=0, return_inverse=True)
    group_of = group_of.reshape(-1)
    order = np.argsort(group_of, kind="stable")
    for rows in np.split(order, np.flatnonzero(np.diff(group_of[order])) + 1):
        n = int(cells.n_vertices[rows[0]])
        matrix = tuple(map(tuple, cells.matrices[rows[0], :n, :n].tolist()))
        wiring, slots = skeleton(matrix, kw["stages"], kw["cells_per_stage"], kw["stem_channels"], kw["image_size"])
        # inner vertices carry hash labels 0..2 = their op's index in OPS
        candidates = tuple((idx, tuple(op_block(op, position, channels, size) for op in nb101.OPS))
                           for idx, t, position, channels, size in slots)
        vertex = [t for _, t, *_ in slots]
        yield SlotGroup(rows, wiring, candidates, cells.labels[rows][:, vertex].astype(np.int64))
