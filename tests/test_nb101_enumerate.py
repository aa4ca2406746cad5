"""Enumeration of the NB101 space: exact on a reduced space by brute force, and the full count (slow)."""
from __future__ import annotations

import itertools
import json
from collections import defaultdict

import networkx as nx
import numpy as np
import pytest

from nasdb import sources
from nasdb.spaces import nb101, nb101_enumerate
from nasdb.errors import ArchStringError

MAX_V = 5


def _brute_force_classes(max_vertices: int) -> list[list[nb101.Cell]]:
    """Every raw labelled upper-triangular graph up to max_vertices, pruned by ``spec`` and grouped into
    isomorphism classes by networkx (no shared code with the enumeration beyond ``spec``)."""
    cells = set()
    for n in range(2, max_vertices + 1):
        pairs = [(i, j) for j in range(n) for i in range(j)]
        for edges in itertools.product((0, 1), repeat=len(pairs)):
            m = np.zeros((n, n), dtype=int)
            for (i, j), e in zip(pairs, edges):
                m[i, j] = e
            for inner in itertools.product(nb101.OPS, repeat=n - 2):
                try:
                    cells.add(nb101.spec(m, [nb101.INPUT, *inner, nb101.OUTPUT]))
                except ArchStringError:
                    pass
    buckets = defaultdict(list)
    for c in cells:
        g = nx.DiGraph()
        g.add_nodes_from((v, {"op": op}) for v, op in enumerate(c.ops))
        g.add_edges_from((i, j) for i in range(c.n_vertices) for j in range(c.n_vertices) if c.matrix[i][j])
        invariant = sorted((g.in_degree(v), g.out_degree(v), op) for v, op in enumerate(c.ops))
        buckets[str(invariant)].append((g, c))
    classes = []
    match = nx.algorithms.isomorphism.categorical_node_match("op", None)
    for members in buckets.values():
        reps: list[tuple[nx.DiGraph, list]] = []
        for g, c in members:
            for rg, cls in reps:
                if nx.is_isomorphic(g, rg, node_match=match):
                    cls.append(c)
                    break
            else:
                reps.append((g, [c]))
        classes.extend(cls for _, cls in reps)
    return classes


def test_reduced_space_matches_brute_force_isomorphism_classes():
    classes = _brute_force_classes(MAX_V)
    cells = nb101_enumerate.enumerate_cells(max_vertices=MAX_V, progress=False)
    # one hash per class, distinct across classes, and exactly the enumerated set
    class_hashes = [{c.hash for c in cls} for cls in classes]
    assert all(len(h) == 1 for h in class_hashes)
    assert len(set().union(*class_hashes)) == len(classes)
    assert set(cells.hashes.tolist()) == set().union(*class_hashes)
    assert len(cells) == len(classes)
    assert list(cells.hashes) == sorted(cells.hashes)
    for i in range(0, len(cells), 97):  # each stored representative hashes to its row's hash
        assert cells.cell(i).hash == cells.hashes[i]


@pytest.mark.slow
def test_full_space_has_423624_cells_and_holds_all_published_hashes(cache, mirror):
    cells = nb101_enumerate.load(progress=False)
    assert len(cells) == len(set(cells.hashes.tolist())) == 423_624
    keys = json.loads(sources.verified_path("nb101/nasbench_vis/data-20k.json", cache, mirror).read_bytes())["key"]
    # the mirrored file holds the first 20,001 hashes in sorted order: exactly our arch_ids 0..20000
    assert cells.hashes[:len(keys)].tolist() == keys
    rng = np.random.default_rng(0)
    for i in rng.choice(len(cells), 300, replace=False):
        assert cells.cell(int(i)).hash == cells.hashes[i]


def test_a_planted_cache_is_recomputed_not_used(tmp_path, capfd):
    """A valid file with other values (the 7-cell enumeration of 3-vertex cells) in the cache's place has no
    checksum record of the enumeration: it is reported and the complete space is computed instead."""
    path = nb101_enumerate.cache_path(tmp_path)
    path.parent.mkdir(parents=True)
    small = nb101_enumerate.enumerate_cells(max_vertices=3, progress=False)
    assert len(small) == 7
    np.savez(path, hashes=small.hashes, n_vertices=small.n_vertices, matrices=small.matrices, labels=small.labels)
    cells = nb101_enumerate.load(tmp_path, progress=False)
    assert len(cells) == nb101.N_ARCHS
    assert "is not trusted" in capfd.readouterr().err
