"""NB101 ingest: all cells as archs, data-20k ground truth joined by hash, Suite-Zero peers via the 56-tuple."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from ingest import nb101 as job
from nasdb import sources, store
from nasdb.errors import IngestError
from nasdb.spaces import nb101

DATA20K = "nb101/nasbench_vis/data-20k.json"
SZ = "zc/naslib_nbsuitezero_early/zc_nasbench101.json"


@pytest.fixture(scope="module")
def db(ingested) -> Path:
    """Only the NB101 jobs: all this module needs."""
    return ingested("nb101", "suite_zero_nb101")


@pytest.fixture(scope="module")
def data20k(cache, mirror) -> dict:
    return json.loads(sources.verified_path(DATA20K, cache, mirror).read_bytes())


def test_archs_are_the_whole_space_in_hash_order(db):
    con = store.connect(db, read_only=True)
    n, lo, hi, distinct = con.execute("SELECT count(*), min(arch_id), max(arch_id), count(DISTINCT arch_key) "
                                      "FROM archs WHERE bench = 'nb101'").fetchall()[0]
    assert (n, lo, hi, distinct) == (423_624, 0, 423_623, 423_624)
    keys = store.frame(con, "SELECT arch_key FROM archs WHERE bench = 'nb101' ORDER BY arch_id")["arch_key"]
    assert keys.is_sorted()
    assert con.execute("SELECT n_archs FROM benchmarks WHERE bench = 'nb101'").fetchall()[0][0] == 423_624


def test_naslib_key_decodes_to_the_arch_key(db):
    con = store.connect(db, read_only=True)
    rows = con.execute("SELECT arch_key, naslib_key FROM archs WHERE bench = 'nb101' USING SAMPLE 300 ROWS").fetchall()
    assert all(nb101.from_naslib(k).hash == h for h, k in rows)


def test_op_counts_match_the_published_cells(db, cache, mirror):
    """data-1k.json lists each cell's ops (codes 0 conv3x3, 1 conv1x1, 2 maxpool): an independent count."""
    d = json.loads(sources.verified_path("nb101/nasbench_vis/data-1k.json", cache, mirror).read_bytes())
    con = store.connect(db, read_only=True)
    ours = {k: (n, c) for k, n, c in con.execute(
        "SELECT arch_key, n_conv, op_counts FROM archs WHERE bench = 'nb101' AND arch_id < 1000").fetchall()}
    for key, ops in zip(d["key"], d["operations"]):
        n_conv, counts = ours[key]
        assert n_conv == sum(o in (0, 1) for o in ops)
        assert counts == {nb101.CONV3X3: ops.count(0), nb101.CONV1X1: ops.count(1), nb101.MAXPOOL: ops.count(2)}


def test_ground_truth_joins_every_published_row(db, data20k):
    con = store.connect(db, read_only=True)
    gt = store.frame(con, "SELECT a.arch_key, g.epochs, g.value FROM ground_truth g JOIN archs a USING (bench, arch_id) "
                          "WHERE g.bench = 'nb101' AND g.source = 'nb101' AND g.split = 'valid'")
    assert gt.height == 4 * 20_001
    assert set(con.execute("SELECT DISTINCT aggregation FROM ground_truth WHERE source = 'nb101'").fetchall()) \
        == {("single_run",)}
    pos = {k: i for i, k in enumerate(data20k["key"])}
    for key, epochs, value in gt.sample(2000, seed=1).iter_rows():
        assert value == pytest.approx(100 * data20k[f"{epochs}_final_validation_accuracy"][pos[key]], rel=1e-12)
    costs = dict(con.execute("SELECT metric, count(*) FROM costs WHERE source = 'nb101' GROUP BY metric").fetchall())
    assert costs == {"training_time_108ep": 20_001, "params": 20_001}
    # first published cell, read off the file by hand: 8,555,530 parameters, 93.05% after 108 epochs
    first = con.execute("SELECT value FROM costs WHERE bench = 'nb101' AND arch_id = 0 AND metric = 'params'").fetchall()[0]
    assert first == (8_555_530,)


def test_suite_zero_peers_placed_through_the_56_tuple(db, cache, mirror, data20k):
    con = store.connect(db, read_only=True)
    raw = json.loads(sources.verified_path(SZ, cache, mirror).read_bytes())["nasbench101"]["cifar10"]
    by_hash: dict[str, list[dict]] = {}
    for key, rec in raw.items():
        by_hash.setdefault(nb101.from_naslib(key).hash, []).append(rec)
    proxies = con.execute("SELECT a.arch_key, p.proxy, p.value FROM proxies p JOIN archs a USING (bench, arch_id) "
                          "WHERE p.bench = 'nb101' AND p.source = 'peer:nas-bench-suite-zero'").fetchall()
    assert len(proxies) == 11 * len(by_hash)
    for key, proxy, value in proxies:
        assert value == pytest.approx(np.mean([r[proxy] for r in by_hash[key]]), rel=1e-12)
    # NASLib's validation accuracy agrees with the independent nasbench-vis run where the two overlap
    peer = dict(con.execute("SELECT a.arch_key, g.value FROM ground_truth g JOIN archs a USING (bench, arch_id) "
                            "WHERE g.bench = 'nb101' AND g.source = 'peer:nas-bench-suite-zero'").fetchall())
    pos = {k: i for i, k in enumerate(data20k["key"])}
    both = [(peer[k], 100 * data20k["108_final_validation_accuracy"][pos[k]]) for k in peer if k in pos]
    assert len(both) >= 10
    assert stats.pearsonr(*zip(*both))[0] > 0.95


def test_unknown_hash_is_an_error_naming_the_row_and_leaves_the_db_unchanged(db, data20k, tmp_path):
    bad = dict(data20k)
    bad["key"] = list(data20k["key"])
    bad["key"][7] = "0123456789abcdef0123456789abcdef"
    path = tmp_path / "data-20k.json"
    path.write_text(json.dumps(bad))
    con = store.connect(db)
    before = con.execute("SELECT (SELECT count(*) FROM archs), (SELECT count(*) FROM ground_truth)").fetchall()[0]
    with pytest.raises(IngestError, match=r"data-20k.json: row 8 \(key\[7\]\): unknown nb101 architecture '0123456789abcdef0123456789abcdef'"):
        with store.transaction(con):
            for table, pred in job.OWNS.items():
                con.execute(f"DELETE FROM {table} WHERE {pred}")
            job.load(con, {DATA20K: path})
    assert con.execute("SELECT (SELECT count(*) FROM archs), (SELECT count(*) FROM ground_truth)").fetchall()[0] == before
    con.close()


def test_malformed_file_is_an_error_naming_the_value(data20k, tmp_path):
    bad = {k: list(v) for k, v in data20k.items()}
    bad["108_final_validation_accuracy"][3] = 93.1  # percent where a fraction is expected
    path = tmp_path / "data-20k.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(IngestError, match=r"108_final_validation_accuracy\[3\] .* = 93.1; expected an accuracy in 0..1"):
        job.read_data20k(path)
    del bad["trainable_parameters"]
    path.write_text(json.dumps(bad))
    with pytest.raises(IngestError, match="missing array"):
        job.read_data20k(path)
