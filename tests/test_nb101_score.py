"""`nasdb score nasgraph --bench nb101` on a real database: rows, provenance, chunking by wiring, values.

The whole-space run (423,624 cells) is timed in bench/bench_nb101.py; here a sample goes through the
same code (bulk block ids per wiring) and is checked against the per-cell paths it replaces: one
Surrogate per cell through the generic fast assembly, and the networkx graph of the reference recipe.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nasdb import store
from nasdb.proxies import registry
from nasdb.proxies.nasgraph import fast, measures, reference
from nasdb.proxies.nasgraph import nb101 as nasgraph_nb101
from nasdb.proxies import harness
from nasdb.proxies.harness.run import select_archs
from nasdb.proxies.nasgraph import family
from nasdb.spaces import nb101_enumerate

SAMPLE = 600


@pytest.fixture(scope="module")
def nb101_db(ingested) -> Path:
    """All 423,624 cells as archs and the data-20k ground truth (shared with test_nb101_ingest; copy to write)."""
    return ingested("nb101", "suite_zero_nb101")


@pytest.fixture(scope="module")
def scored(nb101_db, tmp_path_factory) -> Path:
    """A sample scored in small chunks, so that chunks split and join wirings."""
    path = tmp_path_factory.mktemp("nb101score") / "scored.duckdb"
    shutil.copy(nb101_db, path)
    r = harness.score(family.job("nb101", sample=SAMPLE, chunk_size=97), path, progress=False)
    assert r.n_archs == SAMPLE
    return path


def _stored(path: Path) -> dict[int, dict[str, float | None]]:
    con = store.connect(path, read_only=True)
    out: dict[int, dict[str, float | None]] = {}
    for aid, proxy, value in con.execute("SELECT arch_id, proxy, value FROM proxies WHERE bench = 'nb101' AND source = 'nasdb'").fetchall():
        out.setdefault(aid, {})[proxy] = value
    return out


def test_rows_and_provenance(scored):
    con = store.connect(scored, read_only=True)
    n, distinct, datasets = con.execute(
        "SELECT count(*), count(DISTINCT (arch_id, dataset, proxy)), list(DISTINCT dataset) FROM proxies "
        "WHERE bench = 'nb101' AND source = 'nasdb'").fetchall()[0]
    assert n == distinct == SAMPLE * len(registry.PROXIES) and datasets == ["cifar10"]
    assert con.execute("SELECT count(*) FROM proxies WHERE source = 'nasdb' AND value IS NULL").fetchall() == [(0,)]
    (status, n_archs, settings), = con.execute(
        "SELECT status, n_archs, settings FROM proxy_runs WHERE bench = 'nb101'").fetchall()
    assert (status, n_archs) == ("complete", SAMPLE)
    assert '"stem_channels": 16' in settings and '"sample": 600' in settings
    # every sampled cell among the 20,001 with published accuracy joins its ground truth row
    sampled = [aid for (aid,) in con.execute("SELECT DISTINCT arch_id FROM proxies WHERE source = 'nasdb'").fetchall()]
    joined = con.execute("SELECT count(*) FROM proxies p JOIN ground_truth g USING (bench, arch_id, dataset) "
                         "WHERE p.proxy = 'nasgraph_avg_degree' AND g.epochs = 108 AND g.source = 'nb101'"
                         ).fetchall()[0][0]
    assert joined == sum(aid < 20_001 for aid in sampled) > 0


def test_values_equal_one_surrogate_per_cell(scored, nb101_db):
    """The bulk path (block ids from op labels, per wiring) against the generic one (a Surrogate per
    cell, grouped by its signature) on every sampled cell."""
    stored = _stored(scored)
    keys = dict(store.connect(nb101_db, read_only=True).execute(
        "SELECT arch_id, arch_key FROM archs WHERE bench = 'nb101'").fetchall())
    ids = sorted(stored)
    generic = fast.measures_of([nasgraph_nb101.surrogate_of_key(keys[a]) for a in ids], fast.BlockCache(0))
    for name in measures.NAMES:  # floats may differ in the last bits (sums over differently padded rows)
        np.testing.assert_allclose([stored[a][name] for a in ids], generic[name], rtol=1e-12, err_msg=name)


def test_values_equal_the_networkx_graph(scored, nb101_db):
    """Independent of the degree assembly: the reference recipe's graph with the same block weights."""
    stored = _stored(scored)
    keys = dict(store.connect(nb101_db, read_only=True).execute(
        "SELECT arch_id, arch_key FROM archs WHERE bench = 'nb101'").fetchall())
    for aid in sorted(stored)[:: SAMPLE // 2]:  # full-size probing costs ~2 s per cell
        g = reference.graph(nasgraph_nb101.surrogate_of_key(keys[aid]), seed=0, fresh=False)
        for name, value in reference.graph_measures(g).items():
            assert stored[aid][name] == pytest.approx(value, rel=1e-12), (aid, name)


def test_chunks_follow_wirings(nb101_db):
    """Chunks are cut in the family's order: each of the 2,494 pruned matrices must be one contiguous run."""
    con = store.connect(nb101_db, read_only=True)
    archs = select_archs(con, family.job("nb101"))
    assert sorted(aid for aid, _ in archs) == list(range(423_624))
    cells = nb101_enumerate.load(progress=False)
    rows = np.searchsorted(cells.hashes, np.array([k for _, k in archs], dtype=cells.hashes.dtype))
    bits = np.packbits(cells.matrices[rows].reshape(len(rows), -1).astype(bool), axis=1)  # 49 bits -> 7 bytes
    wiring = np.pad(bits, ((0, 0), (0, 1))).view(np.uint64).ravel()  # one integer per pruned matrix
    runs = 1 + np.count_nonzero(np.diff(wiring.astype(np.int64)))
    assert runs == len(np.unique(wiring)) == 2494


def test_cli_scores_a_sample_and_names_the_bench(nb101_db, tmp_path):
    path = tmp_path / "db.duckdb"
    shutil.copy(nb101_db, path)
    out = subprocess.run([sys.executable, "-m", "nasdb.cli", "--db", str(path), "score", "nasgraph", "--bench",
                          "nb101", "--sample", "40", "--quiet"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("nb101: 40 archs, 320 proxy rows")
