"""WL features (against networkx and isomorphism), `nasdb similar` on a real NB201 database, AutoShrink's
`shrinks` moves of the real spaces, and the landscape summary."""
from __future__ import annotations

import random
import shutil

import networkx as nx
import numpy as np
import pytest

from nasdb import spaces, store
from nasdb.similarity import wl
from nasdb.spaces import computational

CELL = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"  # 0->1 conv is a dead end


def _sample(bench: str, n: int, seed: int = 0) -> list:
    s = spaces.get(bench)
    keys = list(s.enumerate())
    return [s.parse(k) for k in random.Random(seed).sample(keys, n)]


def test_vectorised_reduction_equals_the_protocols_computational():
    s = spaces.get("nb201")
    cells = _sample("nb201", 400)
    graphs = [s.cell_graph(c) for c in cells]
    fast = wl.iterate(*wl.computational(*wl.pack(graphs)), 3)
    slow = wl.iterate(*wl.pack([computational(g) for g in graphs], max_nodes=8), 3)
    for r in range(len(cells)):
        a = sorted(np.concatenate([layer[r] for layer in fast]).tolist())
        b = sorted(np.concatenate([layer[r] for layer in slow]).tolist())
        assert a == b, s.key(cells[r])


@pytest.mark.parametrize("bench", ["nb201", "nb101"])
@pytest.mark.filterwarnings("ignore:The hashes produced for directed graphs")
def test_wl_features_ignore_node_order_and_match_networkx_wl(bench):
    s = spaces.get(bench)
    graphs = [computational(s.cell_graph(c)) for c in _sample(bench, 300)]
    rng = random.Random(1)
    shuffled = []
    for g in graphs:  # the same graph with its nodes inserted in a random order
        nodes = list(g.nodes(data=True))
        rng.shuffle(nodes)
        h = nx.DiGraph()
        h.add_nodes_from(nodes)
        h.add_edges_from(g.edges)
        shuffled.append(h)
    m, vocab = wl.features(*wl.pack(graphs + shuffled), 3)
    dense = m.toarray()
    assert (dense[: len(graphs)] == dense[len(graphs):]).all()
    # networkx (>= 3.5) also tracks in- and out-neighbours: both must split the cells into the same classes
    nx_hash = [nx.weisfeiler_lehman_graph_hash(g, node_attr="op", iterations=3) for g in graphs]
    ours = [row.tobytes() for row in dense[: len(graphs)]]
    assert len(set(ours)) == len(set(nx_hash)) == len(set(zip(ours, nx_hash)))
    assert len(set(ours)) > len(graphs) // 2  # and the sample is not trivially one class


def test_query_vectors_match_the_index_rows():
    s = spaces.get("tnb101_micro")
    cells = _sample("tnb101_micro", 50)
    labels, adj = wl.computational(*wl.pack([s.cell_graph(c) for c in cells]))
    m, vocab = wl.features(labels, adj, 3)
    q, extra = wl.vectorise(*wl.computational(*wl.pack([s.cell_graph(cells[7])])), vocab, 3)
    assert extra[0] == 0
    assert (q.toarray()[0] == m[7].toarray()[0]).all()
    sims = wl.cosine(m, q)
    assert sims[7] == pytest.approx(1.0) and sims.max() <= 1 + 1e-12


def _size(g) -> int:
    """Nodes + edges of the cell graph without its ``none`` ops (a removed edge may also drop nodes)."""
    h = g.subgraph(n for n, op in g.nodes(data="op") if op != "none")
    return h.number_of_nodes() + h.number_of_edges()


@pytest.mark.parametrize("bench", ["nb201", "tnb101_micro", "nb101"])
def test_shrinks_remove_one_edge_and_are_neighbours(bench):
    s = spaces.get(bench)
    for cell in _sample(bench, 40, seed=2):
        size = _size(s.cell_graph(cell))
        nbrs = set(s.neighbours(cell))
        for key in s.shrinks(cell):
            assert key in nbrs
            assert _size(s.cell_graph(s.parse(key))) < size


def test_nb201_shrinks_of_the_dense_cell():
    s = spaces.get("nb201")
    dense = s.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    out = s.shrinks(dense)
    assert len(out) == 6 and all(k.count("none") == 1 for k in out)
    assert s.shrinks(s.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")) == []


@pytest.fixture(scope="module")
def small_db(ingested, tmp_path_factory):
    """A copy of the NB201 database whose ground truth covers 600 cells plus two isomorphism classes, so the
    WL index (cells with ground truth) builds in a second."""
    path = tmp_path_factory.mktemp("similar") / "nasdb.duckdb"
    shutil.copy(ingested("nb201"), path)
    con = store.connect(path)
    key_id = con.execute("SELECT arch_id, iso_class FROM archs WHERE bench = 'nb201' AND arch_key = ?",
                         [CELL]).fetchone()
    con.execute("DELETE FROM ground_truth WHERE bench = 'nb201' AND arch_id >= 600 AND arch_id NOT IN "
                "(SELECT arch_id FROM archs WHERE bench = 'nb201' AND iso_class IN (?, (SELECT iso_class FROM "
                "archs WHERE bench = 'nb201' AND arch_id = 1)))", [key_id[1]])
    con.close()
    return path


def test_similar_lists_the_arch_then_its_isomorphic_variants(small_db, monkeypatch, tmp_path):
    from nasdb.similarity.similar import neighbours_by_wl, with_values

    monkeypatch.setenv("NASDB_CACHE", str(tmp_path))
    con = store.connect(small_db, read_only=True)
    s = spaces.get("nb201")
    me, iso = con.execute("SELECT arch_id, iso_class FROM archs WHERE bench = 'nb201' AND arch_key = ?", [CELL]).fetchone()
    n_iso = con.execute("SELECT count(*) FROM archs WHERE bench = 'nb201' AND iso_class = ?", [iso]).fetchone()[0]
    assert n_iso > 3
    found = neighbours_by_wl(con, s, CELL, k=n_iso + 5)
    assert found["arch_id"][0] == me and found["arch_key"][0] == CELL
    variants = set(found["arch_id"][1:n_iso].to_list())
    expected = {r[0] for r in con.execute("SELECT arch_id FROM archs WHERE bench = 'nb201' AND iso_class = ? "
                                          "AND arch_id <> ?", [iso, me]).fetchall()}
    assert variants == expected
    assert found["same_function"][:n_iso].all() and not found["same_function"][n_iso:].any()
    # variants whose computing part is the same graph (networkx isomorphism, ops matched) have identical
    # WL features; others compute the same function through e.g. chained skips, and are less similar
    mine = computational(s.cell_graph(s.parse(CELL)))
    same_graph = 0
    for key, sim in found.filter(found["same_function"]).select("arch_key", "wl_similarity").iter_rows():
        other = computational(s.cell_graph(s.parse(key)))
        if nx.is_isomorphic(mine, other, node_match=lambda a, b: a["op"] == b["op"]):
            same_graph += 1
            assert sim == pytest.approx(1.0)
        else:
            assert sim < 1.0
    assert same_graph > 1
    # by official index too, with values joined from ground truth
    again = with_values(con, "nb201", neighbours_by_wl(con, s, str(me), k=3), "cifar10-valid", [])
    truth = con.execute("SELECT value FROM ground_truth WHERE bench = 'nb201' AND arch_id = ? AND "
                        "dataset = 'cifar10-valid' AND split = 'valid'", [me]).fetchone()[0]
    assert again["arch_id"][0] == me and again["valid_accuracy"][0] == pytest.approx(truth)
    con.close()


def test_similar_cli_prints_and_errors(small_db, monkeypatch, tmp_path, capsys):
    from nasdb.cli import main

    monkeypatch.setenv("NASDB_CACHE", str(tmp_path))
    assert main(["--db", str(small_db), "similar", "nb201", "1", "-k", "3", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("rank,arch_id,arch_key,wl_similarity,same_function")
    assert lines[1].startswith("1,1,") and len(lines) == 4
    assert main(["--db", str(small_db), "similar", "nb201", "|bogus~0|"]) == 2
    assert "NB201" in capsys.readouterr().err


def test_landscape_on_a_hand_made_space():
    from types import SimpleNamespace

    from nasdb.search.table import Table
    from nasdb.similarity import landscape
    from nasdb.similarity.index import Index

    keys = [format(i, "04b") for i in range(16)]
    value = np.array([k.count("1") * 10.0 for k in keys])  # smooth: a flip changes it by 10

    space = SimpleNamespace(parse=lambda k: k, neighbours=lambda s: [s[:i] + str(1 - int(c)) + s[i + 1:]
                                                                     for i, c in enumerate(s)])
    t = Table("toy", keys, np.arange(16), value, value)
    means, counts = landscape.neighbour_means(t, space)
    assert (counts == 4).all()
    ones = np.array([k.count("1") for k in keys])
    assert np.allclose(means, 10 * (ones * (ones - 1) + (4 - ones) * (ones + 1)) / 4)
    import scipy.sparse as sp
    idx = Index("toy", keys, np.arange(16), sp.csr_matrix(np.eye(16)), np.arange(16))
    rows, summary = landscape.smoothness(t, space, idx, k=2)
    assert summary["spearman_neighbours"] == pytest.approx(1.0)
    assert summary["n"] == 16 and rows.height == 16
