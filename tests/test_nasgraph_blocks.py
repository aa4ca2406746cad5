"""NASGraph on hand-derivable graphs: single blocks, weightless cells, the zero op, probe equivalence."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from nasdb.proxies.nasgraph import fast, reference
from nasdb.surrogate.blocks import Block, Builder
from nasdb.proxies.nasgraph.probe import block_weights, probe_fast, probe_reference
from nasdb.spaces import nb201


@pytest.fixture(autouse=True)
def one_thread():
    """Probing is tiny per call; on the shared 2-core machine extra torch threads only contend."""
    torch.set_num_threads(1)



def _edges(g) -> set[tuple[str, str]]:
    return set(g.edges())


def _in_edges(g, lid: int, channels: int) -> set[tuple[str, str]]:
    nodes = [f"{lid}_{k}" for k in range(channels) if g.has_node(f"{lid}_{k}")]
    return set(g.in_edges(nodes))


def _single(block: Block):
    b = Builder()
    x = b.add(Block("input", "input", block.c_in, block.c_in, block.size))
    b.add(block, [x])
    return b.build()


def test_1x1_conv_edge_iff_weight_positive():
    block = Block("c", "conv", 5, 7, 6)
    w = block_weights(block, seed=3)[0][:, :, 0, 0].numpy()  # (c_out, c_in)
    g = reference.graph(_single(block), seed=3, fresh=False)
    expected = {(f"0_{k}", f"1_{j}") for j in range(7) for k in range(5) if w[j, k] > 0}
    assert 0 < len(expected) < 35  # the seed gives both signs, so the check has teeth
    assert _edges(g) == expected


def _conv3x3_expected(w: np.ndarray) -> np.ndarray:
    """Stride 1, padding 1, constant input: a pixel sees rows/cols {1,2} (top/left border), {0,1,2}
    (inside) or {0,1} (bottom/right border) of the kernel; after the ReLU an edge exists iff one of
    the 9 border/inside combinations sums to > 0."""
    spans = ((1, 2), (0, 1, 2), (0, 1))
    sums = [w[:, :, list(rows)][:, :, :, list(cols)].sum(axis=(2, 3)) for rows in spans for cols in spans]
    return (np.stack(sums).max(axis=0) > 0).T  # (c_in, c_out)


def test_3x3_conv_edges_follow_border_partial_sums():
    block = Block("c", "conv", 6, 8, 9, kernel=3, padding=1)
    w = block_weights(block, seed=1)[0].numpy()
    m = _conv3x3_expected(w)
    assert 0 < m.sum() < m.size
    g = reference.graph(_single(block), seed=1, fresh=False)
    assert _edges(g) == {(f"0_{k}", f"1_{j}") for k, j in zip(*np.nonzero(m))}


def test_zero_op_yields_no_edges_and_null_measures():
    g = reference.graph(_single(Block("z", "zero", 4, 4, 8)), fresh=False)
    assert g.number_of_edges() == 0
    m = reference.graph_measures(g)
    assert np.isnan(m["nasgraph_avg_degree"]) and m["nasgraph_edges"] == 0 and m["nasgraph_nodes"] == 0


@pytest.mark.parametrize("kind", ["identity", "avg_pool", "max_pool", "global_pool"])
def test_weightless_blocks_map_each_channel_to_itself(kind):
    g = reference.graph(_single(Block("p", kind, 5, 5, 7, kernel=3, padding=1)), fresh=False)
    assert _edges(g) == {(f"0_{k}", f"1_{k}") for k in range(5)}


def test_nb201_cell_without_convs_has_channel_to_same_channel_edges_only():
    """skip/pool ops copy channel k to channel k from every parent; none ops receive nothing."""
    cell = nb201.parse("|skip_connect~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|avg_pool_3x3~2|")
    s = nb201.surrogate(cell)
    g = reference.graph(s, seed=0, fresh=False)
    for lid, (block, parents) in enumerate(zip(s.blocks, s.parents)):
        if "/c0/" not in block.position:
            continue
        into = _in_edges(g, lid, block.c_out)
        if block.kind == "zero":
            assert not into
        else:
            assert into == {(f"{p}_{k}", f"{lid}_{k}") for p, _ in parents for k in range(block.c_out)}


def test_all_none_cell_blocks_have_no_in_edges_but_feed_their_children():
    s = nb201.surrogate(nb201.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"))
    g = reference.graph(s, seed=0, fresh=False)
    head = len(s.blocks) - 1
    for lid, block in enumerate(s.blocks):
        if block.kind == "zero":
            assert not _in_edges(g, lid, block.c_out)
    # the identity head copies each channel of the three ops feeding node 3 (all none): 3 x 64 edges
    assert g.in_degree(f"{head}_0") == 3 and sum(g.in_degree(f"{head}_{k}") for k in range(64)) == 192


# Every kind at the sizes the surrogates use: the fast probe (pairwise, reduced image) must give
# exactly the matrix the reference recipe (real batch, full image) gives, with the same weights.
CASES = [
    Block("a", "conv", 3, 8, 224, kernel=3, stride=2, padding=1),
    Block("b", "conv", 6, 6, 56, kernel=3, padding=1),
    Block("c", "conv", 6, 12, 28, kernel=3, stride=2, padding=1),
    Block("d", "conv", 6, 12, 7, kernel=3, stride=2, padding=1),
    Block("e", "conv", 6, 12, 7, stride=2),
    Block("f", "conv", 6, 6, 32),
    Block("g", "deconv", 8, 4, 7, kernel=3),
    Block("h", "deconv", 8, 4, 56, kernel=3),
    Block("i", "pool_conv", 6, 12, 32),
    Block("j", "factorized_reduce", 6, 12, 56, stride=2),
    Block("k", "factorized_reduce", 6, 12, 7, stride=2),
    Block("l", "zero", 6, 12, 28, stride=2),
    Block("m", "avg_pool", 5, 5, 16),
    Block("n", "global_pool", 5, 5, 14),
    Block("o", "max_pool", 5, 5, 16, kernel=3, padding=1),
    Block("p", "max_pool", 5, 5, 16, kernel=2, stride=2),
]


@pytest.mark.parametrize("block", CASES, ids=lambda b: f"{b.kind}-{b.size}")
def test_fast_probe_equals_reference_probe(block):
    for seed in range(3):
        w = block_weights(block, seed=seed)
        assert np.array_equal(probe_fast(block, w), probe_reference(block, w))


def test_deterministic_weights_depend_on_block_identity_only():
    a, b = Block("x", "conv", 4, 4, 8, kernel=3, padding=1), Block("y", "conv", 4, 4, 8, kernel=3, padding=1)
    assert torch.equal(block_weights(a, seed=0)[0], block_weights(a, seed=0)[0])
    assert not torch.equal(block_weights(a, seed=0)[0], block_weights(b, seed=0)[0])
    assert not torch.equal(block_weights(a, seed=0)[0], block_weights(a, seed=1)[0])


def test_concatenated_parent_shift_selects_its_input_rows():
    """NB101-style concat: parent 2's one-hot inputs start after parent 1's channels."""
    b = Builder()
    x = b.add(Block("input", "input", 3, 3, 8))
    p1 = b.add(Block("p1", "identity", 3, 3, 8), [x])
    p2 = b.add(Block("p2", "conv", 3, 2, 8), [x])
    b.add(Block("cat", "conv", 5, 4, 8), [p1, p2], shifts=[0, 3])
    s = b.build()
    w = block_weights(s.blocks[3], seed=0)[0][:, :, 0, 0].numpy()  # (4, 5)
    g = reference.graph(s, seed=0, fresh=False)
    into_cat = {(u, v) for u, v in g.edges() if v.startswith("3_")}
    expected = {(f"1_{k}", f"3_{j}") for k in range(3) for j in range(4) if w[j, k] > 0} | \
               {(f"2_{k}", f"3_{j}") for k in range(2) for j in range(4) if w[j, 3 + k] > 0}
    assert into_cat == expected
    deg = fast.degrees([s], fast.BlockCache(0))[0]
    assert sorted(deg[deg > 0].tolist()) == sorted(d for _, d in g.degree())


def test_every_block_pair_of_nb201_is_an_ordered_parent():
    """Sanity of the NB201 wiring: 1 + 3 x 6 cell ops + 2 x 3 reduction blocks + head, all after their parents."""
    s = nb201.surrogate(nb201.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"))
    assert len(s.blocks) == 1 + 1 + 18 + 6 + 1
    assert all(p < i for i, ps in enumerate(s.parents) for p, _ in ps)
    assert [len(ps) for ps in s.parents[2:8]] == [1, 1, 1, 1, 1, 2]  # node 1, node 2 (x2), node 3 (from 0, 1, 2)
    assert len(s.parents[-1]) == 3
