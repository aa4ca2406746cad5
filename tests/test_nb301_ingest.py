"""Ingest job nb301: the Suite-Zero NB301 sample becomes a benchmark (archs, surrogate ground truth, peer rows)."""
from __future__ import annotations

import json
import shutil

import pytest

import ingest.nb301 as job
from nasdb import sources, store
from nasdb.errors import IngestError


@pytest.fixture(scope="module")
def db(ingested):
    con = store.connect(ingested("nb301"), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def published(mirror) -> dict:
    return json.loads((mirror / job.FILE).read_text())["cifar10"]


def test_every_record_is_an_arch_with_its_published_values(db, published):
    assert db.execute("SELECT n_archs FROM benchmarks WHERE bench = 'nb301'").fetchone() == (725,)
    rows = {r[0]: r[1:] for r in db.execute(
        "SELECT a.arch_id, a.naslib_key, g.value, g.aggregation, g.epochs, g.source FROM archs a "
        "JOIN ground_truth g USING (bench, arch_id) WHERE bench = 'nb301'").fetchall()}
    assert len(rows) == 725
    for code, rec in published.items():
        naslib_key, value, aggregation, epochs, source = rows[int(rec["idx"])]
        assert value == rec["val_accuracy"]
        assert (aggregation, epochs, source) == ("nb301_surrogate_prediction", 100, "nb301")
        # the stored code is the published one with each node's two pairs in (input, op) order
        pub, ours = (eval(code), eval(naslib_key))  # noqa: S307 - literals from the mirror / our own rows
        for cell_pub, cell_ours in zip(pub, ours):
            for k in range(0, 8, 2):
                assert sorted(cell_pub[k:k + 2]) == list(cell_ours[k:k + 2])


def test_peer_proxies_and_costs_are_the_published_scores(db, published):
    got = {(r[0], r[1]): r[2] for r in db.execute(
        "SELECT arch_id, proxy, value FROM proxies WHERE bench = 'nb301' AND source = 'peer:nas-bench-suite-zero'"
    ).fetchall()}
    assert len(got) == 725 * 12
    for rec in published.values():
        for proxy, v in rec.items():
            if isinstance(v, dict):
                assert got[(int(rec["idx"]), proxy)] == v["score"]
    params = dict(db.execute("SELECT arch_id, value FROM costs WHERE bench = 'nb301' AND metric = 'params' "
                             "AND unit = 'M'").fetchall())
    assert {int(r["idx"]): r["params"]["score"] for r in published.values()} == params


def test_archs_columns(db):
    n, classes, degenerate, convs = db.execute(
        "SELECT count(*), count(DISTINCT iso_class), count(*) FILTER (is_degenerate), min(n_conv) FROM archs "
        "WHERE bench = 'nb301'").fetchone()
    assert (n, degenerate) == (725, 0) and classes <= n and convs >= 0
    total = db.execute("SELECT min(s), max(s) FROM (SELECT list_sum(map_values(op_counts)) s FROM archs "
                       "WHERE bench = 'nb301')").fetchone()
    assert total == (16, 16)


def _rewrite(tmp_path, mirror, edit) -> dict:
    data = json.loads((mirror / job.FILE).read_text())
    edit(data["cifar10"])
    path = tmp_path / "zc_nasbench301.json"
    path.write_text(json.dumps(data))
    return {job.FILE: path}


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update({"[[(0, 0), (0, 1), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], "
                         "[(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6)]]": d.pop(next(iter(d)))}),
     "zc_nasbench301.json: cifar10 .*node 2 takes input 0 twice"),
    (lambda d: next(iter(d.values())).update(idx="725"), "out of range"),
    (lambda d: d.pop(next(iter(d))), "724 records; expected 725"),
])
def test_bad_records_stop_the_job_and_keep_the_previous_rows(tmp_path, ingested, mirror, edit, message):
    path = tmp_path / "db.duckdb"
    shutil.copy(ingested("nb301"), path)
    con = store.connect(path)
    with pytest.raises(IngestError, match=message):
        with store.transaction(con):
            for table, pred in job.OWNS.items():
                con.execute(f"DELETE FROM {table} WHERE {pred}")
            job.load(con, _rewrite(tmp_path, mirror, edit))
    assert con.execute("SELECT count(*) FROM archs WHERE bench = 'nb301'").fetchone() == (725,)
    con.close()


def test_the_job_is_idempotent(tmp_path, ingested, cache, mirror):
    from ingest.runner import run_job

    path = tmp_path / "db.duckdb"
    shutil.copy(ingested("nb301"), path)
    con = store.connect(path)
    before = con.execute("SELECT count(*), sum(hash(g)::HUGEINT) FROM ground_truth g").fetchone()
    run_job(con, "nb301", cache, mirror)
    assert con.execute("SELECT count(*), sum(hash(g)::HUGEINT) FROM ground_truth g").fetchone() == before
    assert sources.manifest()[job.FILE].sha256 == con.execute(
        "SELECT sha256 FROM sources WHERE ingested_by = 'nb301'").fetchone()[0]
    con.close()
