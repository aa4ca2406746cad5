"""NASGraph on DARTS cells (NB301 and the NDS cell spaces): the authors' NDS surrogate, fast vs reference
mode, and `nasdb score` writing one row per measure for nb301 archs."""
from __future__ import annotations

import json
import shutil

import networkx as nx
import numpy as np
import pytest
from scipy.stats import spearmanr

from nasdb import store
from nasdb.cli import main
from nasdb.proxies.nasgraph import engine, reference
from nasdb.spaces import nb301

FILE = "zc/naslib_nbsuitezero_early/zc_nasbench301.json"


@pytest.fixture(scope="module")
def genotypes(mirror) -> list[nb301.Genotype]:
    codes = list(json.loads((mirror / FILE).read_text())["cifar10"])
    return [nb301.parse(c) for c in codes[::60]]  # 13 archs across the file


def _expected_nodes(c: int) -> int:
    """Nodes of the NDS surrogate with C = c: input, stem 3C, 3 cells (normal at C, reductions at 2C and 4C;
    each: two preprocessing convs, 8 ops, 4 sum nodes, all C channels wide), head = concat of 4 nodes."""
    return 3 + 3 * c + sum(14 * k for k in (c, 2 * c, 4 * c)) + 4 * 4 * c


def test_surrogate_follows_the_nds_recipe(genotypes):
    """3 cells (normal, reduction, reduction), stem 3C with C = width // (32 // 16), channels doubling at each
    reduction: every block channel is a node, so the node count follows from the channel arithmetic alone."""
    s = nb301.surrogate(genotypes[0])  # NB301's width 32: C = 16
    assert s.blocks[1].kind == "conv" and s.blocks[1].c_out == 48 and s.blocks[1].kernel == 3
    assert sum(b.c_out for b in s.blocks) == _expected_nodes(16)
    # cell 1 reduces: its ops reading the cell inputs have stride 2 and see 32x32 inputs
    strided = [b for b in s.blocks if b.position.startswith("c1/n") and b.stride == 2]
    assert strided and all(b.size == 32 for b in strided)
    assert any(b.kind == "factorized_reduce" and b.position == "c2/pre0" for b in s.blocks)
    small = nb301.surrogate(genotypes[0], width=8)  # C = 4: the same recipe, cheap to probe
    g = reference.graph(small, fresh=False)
    assert g.number_of_nodes() == _expected_nodes(4) and nx.is_directed_acyclic_graph(g)


def test_fast_mode_equals_the_networkx_graph_with_the_same_weights(genotypes):
    surrogates = [nb301.surrogate(g, width=8) for g in genotypes[:4]]
    fast = engine.compute(surrogates, "fast")
    for i, s in enumerate(surrogates):
        want = reference.graph_measures(reference.graph(s, fresh=False))
        for name, value in want.items():
            assert fast[name][i] == pytest.approx(value, rel=1e-12), name


def test_fast_and_reference_modes_rank_alike(genotypes):
    """Fresh weights per arch (reference) vs one deterministic draw per block (fast); the >= 100-arch figure
    at NB301's width is in docs/benchmarks.md (bench/bench_nb301.py)."""
    surrogates = [nb301.surrogate(g, width=8) for g in genotypes]
    fast = engine.compute(surrogates, "fast")["nasgraph_avg_degree"]
    ref = engine.compute(surrogates, "reference", seed=1, keys=[(i,) for i in range(len(surrogates))])
    assert np.ptp(fast) > 0
    assert spearmanr(fast, ref["nasgraph_avg_degree"])[0] > 0.9


def test_the_width_rule_scales_channels():
    g = nb301.parse("[[(0, 3), (1, 3), (0, 4), (1, 2), (0, 3), (1, 3), (2, 5), (3, 5)], "
                    "[(0, 0), (1, 0), (0, 2), (2, 0), (0, 0), (2, 2), (2, 2), (1, 0)]]")
    narrow, wide = nb301.surrogate(g, width=16), nb301.surrogate(g, width=64)
    assert sum(b.c_out for b in wide.blocks) - 3 == 4 * (sum(b.c_out for b in narrow.blocks) - 3)


@pytest.mark.slow
def test_score_writes_every_measure_for_every_sampled_arch(tmp_path, ingested):
    path = tmp_path / "nasdb.duckdb"
    shutil.copy(ingested("nb301"), path)
    assert main(["--db", str(path), "score", "nasgraph", "--bench", "nb301", "--sample", "20", "--quiet"]) == 0
    con = store.connect(path, read_only=True)
    n, archs, datasets, proxies = con.execute(
        "SELECT count(*), count(DISTINCT arch_id), list(DISTINCT dataset), count(DISTINCT proxy) FROM proxies "
        "WHERE bench = 'nb301' AND source = 'nasdb'").fetchone()
    assert (n, archs, datasets, proxies) == (20 * 8, 20, ["cifar10"], 8)
    settings = json.loads(con.execute("SELECT settings FROM proxy_runs WHERE bench = 'nb301'").fetchone()[0])
    assert settings["surrogate"] == {"cells": 3, "stem_channels": 16, "image_size": 32, "width": 32}
    con.close()
