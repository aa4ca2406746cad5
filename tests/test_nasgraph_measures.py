"""Graph measures: the degree-histogram formulas against networkx and textbook definitions."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch
from scipy.stats import entropy

from nasdb.proxies.nasgraph import fast, measures, reference
from nasdb.spaces import nb201, tnb101


@pytest.fixture(autouse=True)
def one_thread():
    """Probing is tiny per call; on the shared 2-core machine extra torch threads only contend."""
    torch.set_num_threads(1)



def _independent(g: nx.DiGraph) -> dict[str, float]:
    """Each measure by its definition, via networkx where it has one."""
    d = np.array([k for _, k in g.degree()], dtype=float)  # in + out degree
    n, e = g.number_of_nodes(), g.number_of_edges()
    mean_abs_diff = np.abs(d[:, None] - d[None, :]).mean()
    return {
        "nasgraph_avg_degree": d.mean(),
        "nasgraph_edges": e,
        "nasgraph_nodes": n,
        "nasgraph_density": nx.density(g),
        "nasgraph_degree_entropy": entropy(d) / n,  # scipy normalises d to probabilities
        "nasgraph_gini": mean_abs_diff / (2 * d.mean()),  # Gini as half the relative mean absolute difference
        "nasgraph_resilience": np.mean(d ** 2) / d.mean(),
        "nasgraph_wedges": sum(k * (k - 1) / 2 for k in d),
    }


def _check(g: nx.DiGraph) -> None:
    ours = reference.graph_measures(g)
    theirs = _independent(g)
    for name in measures.NAMES:
        assert ours[name] == pytest.approx(theirs[name], rel=1e-9), name


def test_measures_match_definitions_on_random_digraphs():
    for seed in range(5):
        g = nx.gnm_random_graph(60, 300, seed=seed, directed=True)
        g.remove_nodes_from([v for v in list(g) if g.degree(v) == 0])
        _check(g)


def test_measures_match_definitions_on_nasgraph_graphs():
    for arch in ("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
                 "|none~0|+|skip_connect~0|none~1|+|none~0|nor_conv_1x1~1|none~2|"):
        _check(reference.graph(nb201.surrogate(nb201.parse(arch)), seed=0, fresh=False))
    _check(reference.graph(tnb101.surrogate("64-41414-1_02_123", "class_object", image_size=64), seed=0, fresh=False))


def test_star_graph_by_hand():
    """A star with 4 leaves: degrees 4,1,1,1,1; E=4, N=5."""
    m = measures.from_degrees(np.array([[4, 1, 1, 1, 1, 0, 0]]))
    assert m["nasgraph_avg_degree"][0] == pytest.approx(8 / 5)
    assert m["nasgraph_density"][0] == pytest.approx(4 / 20)
    assert m["nasgraph_wedges"][0] == pytest.approx(6)
    assert m["nasgraph_resilience"][0] == pytest.approx(20 / 8)
    # Gini: sum_i i*d_(i) = 1+2+3+4+5*4 = 30; 30/(4*5) - 6/5 = 0.3
    assert m["nasgraph_gini"][0] == pytest.approx(0.3)


def test_degree_matrix_padding_does_not_change_measures():
    deg = np.array([[3, 1, 2, 2, 0], [1, 1, 0, 0, 0]])
    padded = np.concatenate([deg, np.zeros((2, 7), dtype=int)], axis=1)[:, ::-1]
    a, b = measures.from_degrees(deg), measures.from_degrees(padded)
    for name in measures.NAMES:
        assert np.allclose(a[name], b[name]), name


def test_empty_graph_measures_are_null_with_a_reason():
    m = measures.from_degrees(np.zeros((1, 4), dtype=int))
    for name in measures.NAMES:
        if name in measures.COUNTS:
            assert m[name][0] == 0
        else:
            assert np.isnan(m[name][0])
            assert "no edges" in measures.null_reason(name, 0.0)


def test_fast_degrees_equal_reference_degrees():
    s = nb201.surrogate(nb201.parse("|nor_conv_1x1~0|+|avg_pool_3x3~0|none~1|+|nor_conv_3x3~0|skip_connect~1|nor_conv_1x1~2|"))
    g = reference.graph(s, seed=5, fresh=False)
    deg = fast.degrees([s], fast.BlockCache(5))[0]
    assert sorted(deg[deg > 0].tolist()) == sorted(d for _, d in g.degree())
