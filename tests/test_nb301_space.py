"""NB301 (DARTS cells): encodings both ways against the published Suite-Zero records, exact membership,
canonical forms, graph and neighbours, the training network's parameter count."""
from __future__ import annotations

import json

import pytest

from nasdb import spaces
from nasdb.errors import ArchStringError
from nasdb.spaces import nb301

FILE = "zc/naslib_nbsuitezero_early/zc_nasbench301.json"
# DARTS_V2 as published in the DARTS repository (quark0/darts, cnn/genotypes.py)
DARTS_V2 = ("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
            "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], "
            "normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), "
            "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), "
            "('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])")


@pytest.fixture(scope="module")
def records(mirror) -> dict:
    return json.loads((mirror / FILE).read_text())["cifar10"]


def test_naslib_code_round_trips_for_every_published_record(records):
    assert len(records) == 725
    for code, rec in records.items():
        g = nb301.from_naslib(code)
        assert nb301.naslib_string(g) == code == rec["arch"]
        # through the genotype string and back, pair order kept
        assert nb301.parse_genotype(str(g)) == g


def test_naslib_op_ids_follow_naslib_order():
    # NASLib conversions.py: OPS = [max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5,
    # dil_conv_3x3, dil_conv_5x5]; a compact pair is (input, op index)
    g = nb301.from_naslib("[[(0, 0), (1, 6), (0, 1), (2, 5), (1, 2), (3, 4), (0, 3), (4, 2)], "
                          "[(1, 0), (0, 6), (0, 1), (2, 5), (1, 2), (3, 4), (0, 3), (4, 2)]]")
    assert g.normal[:2] == (("max_pool_3x3", 0), ("dil_conv_5x5", 1))
    assert g.normal[3] == ("dil_conv_3x3", 2) and g.normal[5] == ("sep_conv_5x5", 3)
    assert g.reduce[6] == ("sep_conv_3x3", 0)


def test_darts_v2_is_in_the_space_and_keys_are_canonical():
    g = nb301.parse(DARTS_V2)
    assert nb301.key(g) == nb301.key(nb301.parse(nb301.key(g)))
    # listing each node's two pairs the other way round gives the same key
    swapped = nb301.parse_genotype(DARTS_V2)
    swapped = swapped._replace(normal=tuple(p for k in range(0, 8, 2) for p in swapped.normal[k:k + 2][::-1]))
    assert nb301.key(nb301.canonical(swapped)) == nb301.key(g)
    assert nb301.parse(nb301.naslib_string(g)) == g
    assert nb301.op_counts(g)["sep_conv_3x3"] == 5 and nb301.n_conv(g) == 6
    assert not nb301.is_degenerate(g)


def test_range_concat_and_positional_genotypes_are_accepted():
    g = nb301.parse(DARTS_V2)
    pos = str(g).replace("normal=", "").replace("normal_concat=", "").replace("reduce=", "") \
        .replace("reduce_concat=[2, 3, 4, 5]", "range(2, 6)")
    assert nb301.parse(pos) == g


@pytest.mark.parametrize("bad, why", [
    ("[[(0, 0), (1, 7), (0, 1), (2, 5), (1, 2), (3, 4), (0, 3), (4, 2)], "
     "[(1, 0), (0, 6), (0, 1), (2, 5), (1, 2), (3, 4), (0, 3), (4, 2)]]", "op_id 0..6"),
    ("[[(0, 0), (2, 1), (0, 1), (2, 5), (1, 2), (3, 4), (0, 3), (4, 2)], "
     "[(1, 0), (0, 6), (0, 1), (2, 5), (1, 2), (3, 4), (0, 3), (4, 2)]]", "node 2 takes input 2, allowed 0..1"),
    ("[[(0, 0), (0, 1), (0, 1), (2, 5), (1, 2), (3, 4), (0, 3), (4, 2)], "
     "[(1, 0), (0, 6), (0, 1), (2, 5), (1, 2), (3, 4), (0, 3), (4, 2)]]", "takes input 0 twice"),
    ("[[(0, 0), (1, 1)], [(1, 0), (0, 6)]]", "has 1 nodes"),
    (DARTS_V2.replace("sep_conv_3x3", "sep_conv_7x7", 1), "unknown NB301 op 'sep_conv_7x7'"),
    (DARTS_V2.replace("'skip_connect', 0", "'none', 0", 1), "unknown NB301 op 'none'"),
    (DARTS_V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=[3, 4, 5]"), r"must be \[2, 3, 4, 5\]"),
    ("Genotype(normal=[1, 2])", "missing"),
    ("Genotype(normal=__import__('os'))", "not a literal"),
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|", "NASLib"),
    (42, "NB301"),
])
def test_outside_the_space_is_a_named_error(bad, why):
    with pytest.raises(ArchStringError, match=why):
        nb301.parse(bad)


def test_iso_key_merges_node_relabellings_only():
    g = nb301.parse(DARTS_V2)
    # nodes 2 and 3 of this normal cell both read only inputs 0/1: swapping them is the same network
    a = nb301.from_naslib("[[(0, 3), (1, 3), (0, 4), (1, 2), (0, 3), (1, 3), (2, 5), (3, 5)], "
                          "[(0, 0), (1, 0), (0, 2), (2, 0), (0, 0), (2, 2), (2, 2), (1, 0)]]")
    b = nb301.from_naslib("[[(0, 4), (1, 2), (0, 3), (1, 3), (0, 3), (1, 3), (2, 5), (3, 5)], "
                          "[(0, 0), (1, 0), (0, 2), (2, 0), (0, 0), (2, 2), (2, 2), (1, 0)]]")
    assert nb301.key(a) != nb301.key(b) and nb301.iso_key(a) == nb301.iso_key(b)
    assert nb301.iso_key(a) != nb301.iso_key(g)


def test_cell_graph_holds_both_cells_with_ops_on_nodes():
    import networkx as nx

    g = nb301.parse(DARTS_V2)
    graph = nb301.cell_graph(g)
    assert nx.is_directed_acyclic_graph(graph) and sorted(graph) == list(range(18))
    assert graph.nodes[0]["op"] == "input" and graph.nodes[17]["op"] == "output"
    for cell in nb301.CELLS:
        ops = sorted(op for n, op in graph.nodes(data="op") if graph.nodes[n]["cell"] == cell)
        assert ops == sorted(o for o, _ in getattr(g, cell))
    # DARTS_V2's normal node 5 = skip_connect(0) + dil_conv_3x3(2): the dil conv (node 8) is fed by node 2's
    # two ops (nodes 1, 2); the skip (node 7) by the input
    assert graph.nodes[8]["op"] == "dil_conv_3x3" and set(graph.predecessors(8)) == {1, 2}
    assert list(graph.predecessors(7)) == [0]
    # reduction ops reading input 1 (the normal cell) are fed by all 8 normal ops (every node is concatenated)
    reads_prev = [n for n in range(9, 17) if graph.in_degree(n) == 8]
    assert len(reads_prev) == sum(inp == 1 for _, inp in g.reduce)
    assert graph.in_degree(17) == 8 and spaces.computational(graph).number_of_nodes() == 18


def test_neighbours_are_one_edit_away_and_in_the_space():
    g = nb301.parse(DARTS_V2)
    out = nb301.neighbours(g)
    assert len(out) == len(set(out)) and nb301.key(g) not in out
    for k in out:
        h = nb301.parse(k)
        diffs = sum(a != b for c in nb301.CELLS for a, b in zip(getattr(nb301.canonical(g), c), getattr(h, c)))
        assert 1 <= diffs <= 2  # one pair changed (re-sorting inside its node may move its partner)
        assert sum(nb301.op_counts(h).values()) == 16
    # 16 pairs x 6 other ops, plus input moves: node k (k = 0..3) has k + 2 inputs, its partner's and
    # its own excluded, so 2k moves per node, 12 per cell; no two edits give the same cell
    assert len(out) == 16 * 6 + 2 * 12


def test_training_network_parameters_equal_suite_zero_params(records):
    """NASLib builds NB301's network with BN-without-affine cell ops; its params then match exactly."""
    import torch

    from nasdb.nets.darts import NetworkCIFAR

    n = 0
    for code, rec in list(records.items())[::29]:  # 25 records across the file
        g = nb301.from_naslib(code)
        net = NetworkCIFAR(g, width=32, layers=8, op_affine=False)
        assert sum(p.numel() for p in net.parameters()) == round(rec["params"]["score"] * 1e6)
        full = NetworkCIFAR(g, width=32, layers=8)
        bn = sum(m.num_features for c in full.cells for m in c.ops.modules() if isinstance(m, torch.nn.BatchNorm2d))
        assert sum(p.numel() for p in full.parameters()) == round(rec["params"]["score"] * 1e6) + 2 * bn
        n += 1
    assert n == 25
    assert NetworkCIFAR(g)(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_space_protocol_encodings_and_conversions(records):
    space = spaces.get("nb301")
    assert space.datasets == ("cifar10",) and space.n_archs == 725 and space.enumerate is None
    code = next(iter(records))
    g = space.parse(code)
    for name, encode in space.encodings.items():
        value = encode(g)
        assert space.parse(value) == g, name
        if isinstance(value, dict):
            assert space.parse(json.dumps(value)) == g
    assert spaces.convert("nb301", code, "official") == nb301.key(g)
    # the canonical NASLib code sorts each node's two (input, op) pairs
    assert spaces.convert("nb301", str(nb301.from_naslib(code)), "naslib") == nb301.naslib_string(g)
    with pytest.raises(ArchStringError, match="NB301"):
        space.parse({"normal": [["sep_conv_3x3", 0]], "normal_concat": [2], "reduce": [], "reduce_concat": []})
    net = space.network(g, seed=0)
    assert sum(p.numel() for p in net.parameters()) > round(records[code]["params"]["score"] * 1e6)
    assert "cluster_normal" in space.dot(g) and "cluster_reduce" in space.dot(g)


def test_the_app_lookup_draws_both_cells_through_the_space():
    from app import cells

    drawing = cells.dot("nb301", nb301.key(nb301.parse(DARTS_V2)), None)
    assert "cluster_normal" in drawing and "cluster_reduce" in drawing and "dil_conv_3x3" in drawing
    assert cells.dot("no_such_bench", "x", None) is None
