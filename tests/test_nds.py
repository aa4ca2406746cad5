"""NDS reader (`nasdb ingest-nds`) on fixtures in the official record format, and the NDS spaces."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from dbkit import cli_killed_before_commit, rows

from ingest import nds as job
from ingest.runner import ingest_files
from nasdb import spaces, store
from nasdb.cli import main
from nasdb.errors import ArchStringError, IngestError
from nasdb.spaces import nds

FIXTURES = Path(__file__).parent / "fixtures" / "nds"


def _records(sweep: str) -> list[dict]:
    data = json.loads((FIXTURES / f"{sweep}.json").read_text())
    return data["top"] + data["mid"] if isinstance(data, dict) else data


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("nds") / "nasdb.duckdb"
    assert main(["--db", str(path), "ingest-nds", "--dir", str(FIXTURES)]) == 0
    return path


def test_every_fixture_sweep_becomes_a_benchmark(db):
    con = store.connect(db, read_only=True)
    got = dict(con.execute("SELECT bench, n_archs FROM benchmarks").fetchall())
    expected = {}
    for path in FIXTURES.glob("*.json"):
        nets = {json.dumps(r["net"], sort_keys=True) for r in _records(path.stem)}
        expected[f"nds_{path.stem.lower()}"] = len(nets)
    assert got == expected
    assert got["nds_darts"] == len(_records("DARTS")) - 1  # one net was trained twice
    sources = dict(con.execute("SELECT path, ingested_by FROM sources").fetchall())
    assert sources["nds/DARTS.json"] == "nds"
    # each benchmark's ground truth is versioned by its own file, so results judged against it go stale with it
    darts = hashlib.sha256((FIXTURES / "DARTS.json").read_bytes()).hexdigest()
    versions = dict(con.execute("SELECT bench, version FROM ground_truth_versions WHERE source = 'nds'").fetchall())
    assert versions.keys() == expected.keys()
    assert versions["nds_darts"] == f"ingest:nds:{hashlib.sha256(darts.encode()).hexdigest()[:12]}"
    con.close()


def test_final_accuracy_is_100_minus_the_last_test_error(db):
    con = store.connect(db, read_only=True)
    for sweep in ("DARTS_fix-w-d", "ResNeXt-A", "DARTS_in"):
        recs = _records(sweep)  # top then mid, so arch_id = position in that order
        bench = nds.bench_of(sweep)
        dataset = "imagenet" if sweep.endswith("_in") else "cifar10"
        for i, rec in enumerate(recs):
            epochs = rec["optim"]["max_ep"]
            final, agg, ds = con.execute(
                "SELECT value, aggregation, dataset FROM ground_truth WHERE bench = ? AND arch_id = ? "
                "AND split = 'test' AND epochs = ?", [bench, i, epochs]).fetchone()
            assert final == pytest.approx(100 - rec["test_ep_top1"][-1]) and agg == "single_run" and ds == dataset
            curve = [v for (v,) in con.execute(
                "SELECT value FROM ground_truth WHERE bench = ? AND arch_id = ? AND split = 'test' ORDER BY epochs",
                [bench, i]).fetchall()]
            assert curve == pytest.approx([100 - e for e in rec["test_ep_top1"]])
            params = con.execute("SELECT value FROM costs WHERE bench = ? AND arch_id = ? AND metric = 'params'",
                                 [bench, i]).fetchone()[0]
            assert params == pytest.approx(rec["params"] / 1e6)
    con.close()


def test_a_net_trained_twice_gets_the_mean_of_its_records(db):
    recs = _records("DARTS")
    same = [i for i, r in enumerate(recs) if r["net"] == recs[1]["net"]]
    assert same == [1, 4]
    con = store.connect(db, read_only=True)
    value, agg = con.execute("SELECT value, aggregation FROM ground_truth WHERE bench = 'nds_darts' AND arch_id = 1 "
                             "AND split = 'test' AND epochs = 4").fetchone()
    assert agg == "mean_over_2_records"
    assert value == pytest.approx(100 - (recs[1]["test_ep_top1"][-1] + recs[4]["test_ep_top1"][-1]) / 2)
    assert con.execute("SELECT count(*) FROM archs WHERE bench = 'nds_darts' AND arch_id = 4").fetchone() == (0,)
    con.close()


def _broken(tmp_path: Path, sweep: str, edit) -> Path:
    recs = json.loads((FIXTURES / f"{sweep}.json").read_text())
    edit(recs)
    (tmp_path / f"{sweep}.json").write_text(json.dumps(recs))
    return tmp_path


@pytest.mark.parametrize("sweep, edit, message", [
    ("ENAS", lambda r: r[2]["net"]["genotype"]["normal"][0].__setitem__(0, "dil_conv_3x3"),
     r"ENAS.json: record 2: .*unknown NDS ENAS op 'dil_conv_3x3'"),
    ("ENAS", lambda r: r[0]["net"]["genotype"].__setitem__("normal_concat", [2, 3, 4, 5, 6]),
     r"record 0: .*normal_concat \[2, 3, 4, 5, 6\] must be"),
    ("DARTS", lambda r: r[1].__setitem__("test_ep_top1", r[1]["test_ep_top1"][:-1]),
     "record 1: test_ep_top1 has 3 epochs but optim.max_ep is 4"),
    ("ResNet", lambda r: r[0]["net"].__setitem__("ws", [16, 32]), "record 0: .*ws has 2 stages, ds has 3"),
    ("DARTS", lambda r: r[3].__setitem__("params", "many"), "record 3: params must be a non-negative number"),
])
def test_bad_records_name_file_record_and_value_and_keep_the_old_rows(tmp_path, db, sweep, edit, message):
    path = tmp_path / "copy.duckdb"
    shutil.copy(db, path)
    directory = _broken(tmp_path, sweep, edit)
    before = _ground_truth(path)
    ((name, file),) = job.sweep_files(directory).items()
    with pytest.raises(IngestError, match=message):
        ingest_files(path, [(job.job(name, file), {name: file})])
    assert main(["--db", str(path), "ingest-nds", "--dir", str(directory)]) == 2
    assert _ground_truth(path) == before


def _ground_truth(db: Path) -> list[tuple]:
    return rows(db, "SELECT count(*), sum(hash(g)::HUGEINT) FROM ground_truth g")


def test_reingesting_replaces_and_changes_nothing(tmp_path, db):
    path = tmp_path / "copy.duckdb"
    shutil.copy(db, path)
    before = _ground_truth(path)
    assert main(["--db", str(path), "ingest-nds", "--dir", str(FIXTURES)]) == 0
    assert _ground_truth(path) == before


def test_a_kill_before_commit_keeps_the_previous_rows(tmp_path, db):
    path = tmp_path / "copy.duckdb"
    shutil.copy(db, path)
    directory = _broken(tmp_path, "DARTS", lambda r: r[0].__setitem__("params", r[0]["params"] + 1))
    before = _ground_truth(path), rows(path, "SELECT value FROM costs WHERE bench = 'nds_darts' AND arch_id = 0")
    assert cli_killed_before_commit(path, ["ingest-nds", "--dir", str(directory)]).returncode == -9
    assert (_ground_truth(path), rows(path, "SELECT value FROM costs WHERE bench = 'nds_darts' AND arch_id = 0")
            ) == before


def test_every_sweep_has_a_space_and_fixture_nets_round_trip():
    assert {s.bench for s in spaces.all_spaces() if s.bench.startswith("nds_")} == {nds.bench_of(s)
                                                                                     for s in nds.SWEEPS}
    for path in sorted(FIXTURES.glob("*.json")):
        space = spaces.get(nds.bench_of(path.stem))
        for rec in _records(path.stem):
            spec = space.parse(rec["net"])
            assert space.parse(space.key(spec)) == spec
            for name, encode in space.encodings.items():
                assert space.parse(encode(spec)) == spec, name
            assert space.dot(spec).startswith("digraph")
    with pytest.raises(ArchStringError, match="expected keys genotype, width, depth"):
        spaces.get("nds_darts").parse({"genotype": {}, "width": 16})


def test_cell_neighbours_stay_in_their_space():
    for sweep in ("ENAS", "NASNet", "DARTS"):
        space = spaces.get(nds.bench_of(sweep))
        spec = space.parse(_records(sweep)[0]["net"])
        nbrs = space.neighbours(spec)
        assert nbrs and space.key(spec) not in nbrs
        for k in nbrs[::7]:
            assert space.key(space.parse(k)) == k  # parses under the space's rules (op set, loose concat)


def test_nasgraph_surrogates_for_cifar_cell_spaces_only():
    from nasdb.proxies.nasgraph import engine

    darts = spaces.get("nds_darts")
    specs = [darts.parse(r["net"]) for r in _records("DARTS")[:2]]
    values = engine.compute([darts.surrogate(s, "cifar10") for s in specs], "fast")["nasgraph_avg_degree"]
    assert all(v > 0 for v in values)
    wide = specs[0]._replace(width=2 * specs[0].width)  # the NDS width rule: more channels, more nodes
    nodes = engine.compute([darts.surrogate(s, "cifar10") for s in (specs[0], wide)], "fast")["nasgraph_nodes"]
    assert nodes[1] > nodes[0]
    assert spaces.get("nds_darts_in").surrogate is None and spaces.get("nds_resnet").surrogate is None


def test_spaces_without_a_surrogate_are_not_scored_and_say_so():
    import nasdb
    from nasdb.errors import NasdbError
    from nasdb.proxies import registry

    names = registry.bench_names()
    assert "nds_darts" in names and "nds_resnet" not in names and "nds_darts_in" not in names
    with pytest.raises(NasdbError, match="nds_resnet has no NASGraph surrogate"):
        nasdb.score("nds_resnet", _records("ResNet")[0]["net"])
