"""NB101 networks: parameter counts against the published ``trainable_parameters``, shapes, seeding.

All 20,001 mirrored cells (data-20k.json, joined to their cells through the enumeration by module
hash) are counted analytically from the builder's own modules (stem + 9 cells + classifier, each
cell's ops and projections at the widths NB101's channel split gives); a sample of real networks
checks that this count equals ``sum(p.numel())`` of the built network.
"""
from __future__ import annotations

import functools
import json
import os
import random

import pytest
import torch

from nasdb import sources
from nasdb.errors import NasdbError
from nasdb.nets import n_parameters, nb101 as nets
from nasdb.nets.nb101_split import vertex_channels
from nasdb.spaces import nb101, nb101_enumerate

SAMPLE = int(os.environ.get("NASDB_NETS_SAMPLE", "3"))
DATA1K, DATA20K = "nb101/nasbench_vis/data-1k.json", "nb101/nasbench_vis/data-20k.json"


@functools.cache
def _module(kind: str, *shape) -> int:
    factory = {"op": nets.op, "projection": nets.projection}[kind]
    return n_parameters(factory(*shape))


def _cell(cell: nb101.Cell, c_in: int, c_out: int) -> int:
    m, n = cell.matrix, cell.n_vertices
    ch = vertex_channels(m, c_in, c_out)
    return (sum(_module("op", cell.ops[t], ch[t]) for t in range(1, n - 1))
            + sum(_module("projection", c_in, ch[t]) for t in range(1, n) if m[0][t]))


def analytic_params(cell: nb101.Cell) -> int:
    stem = 3 * 9 * 128 + 2 * 128
    cells = _cell(cell, 128, 128) + 2 * _cell(cell, 128, 128)
    cells += _cell(cell, 128, 256) + 2 * _cell(cell, 256, 256)
    cells += _cell(cell, 256, 512) + 2 * _cell(cell, 512, 512)
    return stem + cells + 512 * 10 + 10


@pytest.fixture(scope="module")
def data1k(cache, mirror) -> dict:
    return json.loads(sources.verified_path(DATA1K, cache, mirror).read_bytes())


def test_real_networks_equal_published_and_analytic_counts(data1k):
    rows = [0] + random.Random(0).sample(range(1, 1000), SAMPLE)
    for i in rows:
        cell = nb101.from_padded(data1k["adjacency"][i], data1k["operations"][i])
        built = n_parameters(nb101.network(cell))
        assert built == analytic_params(cell) == data1k["trainable_parameters"][i], i


def test_two_vertex_cell_is_one_projection():
    cell = nb101.spec([[0, 1], [0, 0]], ["input", "output"])
    net = nb101.network(cell, seed=0)
    assert n_parameters(net) == analytic_params(cell)
    assert net(torch.randn(1, 3, 32, 32)).shape == (1, 10)


@pytest.mark.slow
def test_all_mirrored_cells_equal_published_trainable_parameters(cache, mirror):
    data = json.loads(sources.verified_path(DATA20K, cache, mirror).read_bytes())
    cells = nb101_enumerate.load(cache, progress=False)
    assert list(cells.hashes[:20_001]) == data["key"]  # the mirrored cells are the first 20,001 hashes
    counts = [analytic_params(cells.cell(i)) for i in range(20_001)]
    mismatches = [(data["key"][i], c, p) for i, (c, p) in enumerate(zip(counts, data["trainable_parameters"]))
                  if c != p]
    assert mismatches == []
    assert min(counts) < 300_000 and max(counts) > 40_000_000  # the whole published range is covered


def test_forward_backward_and_truncation():
    # v1 (conv3x3) feeds v2 and the output; the output's 128 channels split 64/64 at every cell, and
    # v1 -> v2 needs no truncation; with three vertices into the output (43/43/42) v1 -> v3 truncates
    m = [[0, 1, 1, 1, 0], [0, 0, 0, 1, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
    cell = nb101.spec(m, ["input", nb101.CONV3X3, nb101.CONV1X1, nb101.MAXPOOL, "output"])
    assert vertex_channels(cell.matrix, 128, 128) == [128, 43, 43, 42, 128]
    net = nb101.network(cell, seed=0)
    out = net(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_seed_and_unknown_dataset():
    cell = nb101.spec([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", nb101.CONV3X3, "output"])
    a, b = nb101.network(cell, seed=3), nb101.network(cell, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    with pytest.raises(NasdbError, match="unknown NB101 dataset 'cifar100'"):
        nb101.network(cell, "cifar100")
