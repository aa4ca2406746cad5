"""NB101 cell space: the module hash against published hashes, pruning, encodings, named errors."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest

from nasdb import sources
from nasdb.spaces import nb101
from nasdb.spaces.nb101_hash_numba import hex_strings, module_hashes

IN, OUT, C3, C1, MP = nb101.INPUT, nb101.OUTPUT, nb101.CONV3X3, nb101.CONV1X1, nb101.MAXPOOL


@pytest.fixture(scope="module")
def data1k(cache, mirror) -> dict:
    return json.loads(sources.verified_path("nb101/nasbench_vis/data-1k.json", cache, mirror).read_bytes())


@pytest.fixture(scope="module")
def suite_zero_keys(cache, mirror) -> list[str]:
    path = sources.verified_path("zc/naslib_nbsuitezero_early/zc_nasbench101.json", cache, mirror)
    return list(json.loads(path.read_bytes())["nasbench101"]["cifar10"])


def test_all_1000_published_cells_reproduce_their_hash(data1k):
    cells = [nb101.from_padded(a, o) for a, o in zip(data1k["adjacency"], data1k["operations"])]
    assert [c.hash for c in cells] == data1k["key"]


def test_numba_hash_equals_published_hashes(data1k):
    cells = [nb101.from_padded(a, o) for a, o in zip(data1k["adjacency"], data1k["operations"])]
    matrices = np.zeros((len(cells), 7, 7), dtype=np.int8)
    labels = np.full((len(cells), 7), -3, dtype=np.int8)
    for i, c in enumerate(cells):
        matrices[i, :c.n_vertices, :c.n_vertices] = c.array()
        labels[i, :c.n_vertices] = c.labels()
    n = np.array([c.n_vertices for c in cells], dtype=np.int8)
    assert hex_strings(module_hashes(matrices, labels, n)).tolist() == data1k["key"]


def test_padded_encoding_round_trips_to_the_file(data1k):
    for adj, ops in zip(data1k["adjacency"][:200], data1k["operations"][:200]):
        m, codes = nb101.to_padded(nb101.from_padded(adj, ops))
        assert m == np.asarray(adj, dtype=int).tolist() and codes == ops


def test_naslib_tuple_round_trips_and_keeps_the_hash(data1k):
    for adj, ops, key in zip(data1k["adjacency"], data1k["operations"], data1k["key"]):
        t = nb101.to_naslib(nb101.from_padded(adj, ops))
        assert len(t) == 56 and t[49] == 0 and t[55] == 1
        assert nb101.from_naslib(str(t)).hash == key


def test_suite_zero_keys_are_valid_cells_after_pruning(suite_zero_keys):
    cells = [nb101.from_naslib(k) for k in suite_zero_keys]
    assert len(cells) == 500
    assert all(c.n_vertices <= 7 and c.n_edges <= 9 for c in cells)
    # several NASLib specs are the same cell once dangling vertices are pruned (checked by hand on one)
    assert len({c.hash for c in cells}) < 500


def test_pruning_removes_vertices_off_the_input_output_path():
    # 0->1->3 is the path; vertex 2 is fed by the input but feeds nothing (dangling)
    m = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]
    cell = nb101.spec(m, [IN, C3, MP, OUT])
    assert cell.matrix == ((0, 1, 0), (0, 0, 1), (0, 0, 0))
    assert cell.ops == (IN, C3, OUT)
    assert cell.hash == nb101.spec([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [IN, C3, OUT]).hash


def test_edge_limit_is_checked_after_pruning():
    # 9 edges among vertices 0-4 and 6, plus 2 into vertex 5, which feeds nothing (pruned with its edges)
    m = np.zeros((7, 7), dtype=int)
    for i, j in [(0, 1), (1, 2), (2, 3), (3, 4), (4, 6), (0, 2), (0, 3), (1, 3), (1, 4), (0, 5), (1, 5)]:
        m[i, j] = 1
    cell = nb101.spec(m, [IN, C3, C3, C1, MP, C3, OUT])
    assert m.sum() == 11 and cell.n_vertices == 6 and cell.n_edges == 9
    m[3, 6] = m[2, 4] = 1  # now 11 edges survive pruning
    with pytest.raises(nb101.InvalidCellError, match="edges after pruning; at most 9"):
        nb101.spec(m, [IN, C3, C3, C1, MP, C3, OUT])


def test_hash_is_invariant_to_vertex_order_and_sensitive_to_ops(data1k):
    rng = random.Random(0)
    for adj, ops in zip(data1k["adjacency"][:50], data1k["operations"][:50]):
        cell = nb101.from_padded(adj, ops)
        n = cell.n_vertices
        inner = list(range(1, n - 1))
        rng.shuffle(inner)
        perm = [0, *inner, n - 1]
        m = cell.array()[np.ix_(perm, perm)]
        assert nb101.module_hash(m, [cell.labels()[p] for p in perm]) == cell.hash
        if n > 2:
            changed = list(cell.ops)
            changed[1] = C1 if changed[1] != C1 else C3
            assert nb101.spec(cell.matrix, changed).hash != cell.hash


@pytest.mark.parametrize("matrix, ops, message", [
    ([[0, 1], [0, 0], [0, 0]], [IN, OUT], "square"),
    ([[0, 1], [0, 0]], [IN, C3, OUT], "2 vertices in its matrix but 3 ops"),
    ([[0, 1], [1, 0]], [IN, OUT], "upper triangular; edge 1->0"),
    ([[0, 2], [0, 0]], [IN, OUT], "0 or 1"),
    ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [IN, "conv5x5", OUT], "unknown NB101 op 'conv5x5' at vertex 1"),
    ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [C3, C3, OUT], "must start with 'input'"),
    ([[0, 1, 0], [0, 0, 0], [0, 0, 0]], [IN, C3, OUT], "disconnected"),
    (np.triu(np.ones((8, 8), dtype=int), 1) * np.eye(8, k=1, dtype=int), [IN, *[C3] * 6, OUT],
     "8 vertices after pruning; at most 7"),
])
def test_invalid_cells_get_named_errors(matrix, ops, message):
    with pytest.raises(nb101.InvalidCellError, match=message):
        nb101.spec(matrix, ops)


def test_malformed_keys_name_the_problem():
    with pytest.raises(nb101.InvalidCellError, match="56 entries"):
        nb101.from_naslib("(0, 1, 2)")
    with pytest.raises(nb101.InvalidCellError, match="op code 7"):
        nb101.from_naslib(str(tuple([0] * 49 + [0, 7, 2, 2, 2, 2, 1])))
    with pytest.raises(nb101.InvalidCellError, match="comma-separated integers"):
        nb101.from_naslib("(0, x)")
    with pytest.raises(nb101.InvalidCellError, match="padding vertex 2 has edges"):
        nb101.from_padded([[0, 1, 1], [0, 0, 0], [0, 0, 0]], [-1, -2, -3])


def test_counts():
    cell = nb101.spec([[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], [IN, C3, MP, OUT])
    assert nb101.op_counts(cell) == {C3: 1, C1: 0, MP: 1}
    assert nb101.n_conv(cell) == 1
