"""NASGraph on NB101: channel split, surrogate wiring, and fast mode against the networkx reference graph."""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from nasdb import sources
from nasdb.errors import ArchStringError
from nasdb.proxies.nasgraph import engine, reference
from nasdb.proxies.nasgraph import nb101 as nasgraph_nb101
from nasdb.spaces import nb101, nb101_enumerate

IN, OUT, C3, C1, MP = nb101.INPUT, nb101.OUTPUT, nb101.CONV3X3, nb101.CONV1X1, nb101.MAXPOOL
SMALL = {"stem_channels": 8, "image_size": 16}  # a smaller surrogate keeps reference-mode tests quick

# in -> v1; v1 -> v2, v1 -> v3; v2 -> out, v3 -> out; in -> out
HAND = nb101.spec([[0, 1, 0, 0, 1],
                   [0, 0, 1, 1, 0],
                   [0, 0, 0, 0, 1],
                   [0, 0, 0, 0, 1],
                   [0, 0, 0, 0, 0]], [IN, C3, C1, MP, OUT])


def test_channel_split_by_hand():
    # two vertices feed the output: 33 = 17 + 16 (the first gets the remainder); v1 takes the max it feeds
    assert nb101.vertex_channels(HAND, 16, 33) == [16, 17, 17, 16, 33]
    assert nb101.vertex_channels(HAND, 16, 32) == [16, 16, 16, 16, 32]
    only_io = nb101.spec([[0, 1], [0, 0]], [IN, OUT])
    assert nb101.vertex_channels(only_io, 16, 32) == [16, 32]


def test_channel_split_invariants_on_published_cells(cache, mirror):
    """NB101's own sanity checks: the output's channels add up, channels never increase along an edge."""
    d = json.loads(sources.verified_path("nb101/nasbench_vis/data-1k.json", cache, mirror).read_bytes())
    for adj, ops in zip(d["adjacency"], d["operations"]):
        cell = nb101.from_padded(adj, ops)
        n, m = cell.n_vertices, cell.matrix
        ch = nb101.vertex_channels(cell, 32, 64)
        if n > 2:
            assert sum(ch[v] for v in range(1, n - 1) if m[v][n - 1]) == 64
        assert all(ch[u] >= ch[v] for u in range(1, n - 1) for v in range(u + 1, n - 1) if m[u][v])


def test_surrogate_wiring_by_hand():
    s = nasgraph_nb101.surrogate(HAND)
    names = [b.position for b in s.blocks]
    # input, stem, then per stage: [maxpool], 2 projections (in->v1, in->out), 3 ops, concat, output
    assert len(s.blocks) == 2 + 3 * 7 + 2
    cell0 = {p: i for i, p in enumerate(names) if p.startswith("s0/")}
    concat = cell0["s0/c0/concat"]
    assert s.parents[concat] == ((cell0["s0/c0/v2"], 0), (cell0["s0/c0/v3"], 8))  # 16 = 8 + 8
    assert s.parents[cell0["s0/c0/output"]] == ((cell0["s0/c0/proj4"], 0), (concat, 0))
    assert s.parents[cell0["s0/c0/v1"]] == ((cell0["s0/c0/proj1"], 0),)
    stage2 = {p: s.blocks[i] for i, p in enumerate(names) if p.startswith("s2/")}
    assert (stage2["s2/c0/proj1"].c_in, stage2["s2/c0/proj1"].c_out, stage2["s2/c0/proj1"].size) == (32, 32, 8)
    assert (stage2["s2/c0/v1"].kind, stage2["s2/c0/v1"].kernel) == ("conv", 3)
    assert (stage2["s2/c0/v3"].kind, stage2["s2/c0/v3"].kernel, stage2["s2/c0/v3"].padding) == ("max_pool", 3, 1)
    assert stage2["s2/c0/output"].c_out == 64
    down = stage2["s2/maxpool2x2"]  # NB101's downsampling between stages: 2x2 max-pool, stride 2
    assert (down.kind, down.kernel, down.stride, down.size) == ("max_pool", 2, 2, 16)


def test_concatenation_and_truncation_edges_in_the_reference_graph():
    """Structure fixed by the spec, whatever the weights: the concat block maps parent t's channel k to
    shift_t + k; a predecessor with one channel more than its successor loses its last channel there."""
    g = reference.graph(nasgraph_nb101.surrogate(HAND, stem_channels=17, stages=1), seed=3)
    idx = {b.position: i for i, b in enumerate(nasgraph_nb101.surrogate(HAND, stem_channels=17, stages=1).blocks)}
    concat, v1, v2, v3 = idx["s0/c0/concat"], idx["s0/c0/v1"], idx["s0/c0/v2"], idx["s0/c0/v3"]
    into_concat = {(u, v) for u, v in g.in_edges(f"{concat}_{k}" for k in range(17))}
    # 17 output channels split 9 + 8; v3 (max-pool) passes channel k to k, so all its edges are known
    assert into_concat == {(f"{v2}_{k}", f"{concat}_{k}") for k in range(9)} | \
                          {(f"{v3}_{k}", f"{concat}_{9 + k}") for k in range(8)}
    assert nb101.vertex_channels(HAND, 17, 17) == [17, 9, 9, 8, 17]
    # v3 (8 channels) is fed by v1 (9 channels): v1's channel 8 has no edge into v3
    assert not any(u == f"{v1}_8" for u, _ in g.in_edges(f"{v3}_{k}" for k in range(8)))
    assert {u for u, _ in g.in_edges(f"{v3}_{k}" for k in range(8))} == {f"{v1}_{k}" for k in range(8)}


@pytest.fixture(scope="module")
def small_space() -> nb101_enumerate.Cells:
    return nb101_enumerate.enumerate_cells(max_vertices=5, progress=False)


def test_fast_mode_equals_the_networkx_graph_with_the_same_weights(small_space):
    picked = np.random.default_rng(0).choice(len(small_space), 6, replace=False)
    sub = nb101_enumerate.Cells(small_space.hashes[picked], small_space.n_vertices[picked],
                                small_space.matrices[picked], small_space.labels[picked])
    fast = nasgraph_nb101.fast_measures(sub, seed=5, progress=False, **SMALL)
    for j in range(len(sub)):
        g = reference.graph(nasgraph_nb101.surrogate(sub.cell(j), **SMALL), seed=5, fresh=False)
        for name, value in reference.graph_measures(g).items():
            assert fast[name][j] == pytest.approx(value, rel=1e-12), (name, sub.cell(j))


def test_fast_ranks_like_fresh_weight_reference_mode(small_space):
    """The published recipe draws fresh weights per network; fast mode fixes them per block. On a
    small sample the ranking must agree closely (the benchmark checks >= 0.99 on 300 full-space cells)."""
    picked = np.random.default_rng(1).choice(len(small_space), 24, replace=False)
    sub = nb101_enumerate.Cells(small_space.hashes[picked], small_space.n_vertices[picked],
                                small_space.matrices[picked], small_space.labels[picked])
    fast = nasgraph_nb101.fast_measures(sub, seed=0, progress=False, **SMALL)["nasgraph_avg_degree"]
    ref = engine.compute([nasgraph_nb101.surrogate(sub.cell(j), **SMALL) for j in range(len(sub))], "reference", seed=0,
                         keys=[(int(i),) for i in picked])["nasgraph_avg_degree"]
    assert stats.spearmanr(fast, ref).statistic >= 0.95


def test_surrogate_of_a_module_hash(cache, mirror):
    """The registry's entry point: arch_key (module hash) -> surrogate, through the enumerated space."""
    d = json.loads(sources.verified_path("nb101/nasbench_vis/data-1k.json", cache, mirror).read_bytes())
    for adj, ops, key in list(zip(d["adjacency"], d["operations"], d["key"]))[:20]:
        assert nasgraph_nb101.surrogate_of_key(key, "cifar10") == nasgraph_nb101.surrogate(nb101.from_padded(adj, ops))
    with pytest.raises(ArchStringError, match="not the module hash of any of the 423,624 NB101 cells"):
        nasgraph_nb101.surrogate_of_key("0" * 32)
