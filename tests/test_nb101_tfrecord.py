"""The official NB101 TFRecord format, read without TensorFlow, on small files written here in that format.

The files are written independently of the reader: TFRecord framing per TensorFlow's documentation
(struct + the crc32c package), and the metrics protobuf by the real ``protobuf`` library from the
documented schema (nasbench/lib/model_metrics.proto), not by the hand decoder under test.
"""
from __future__ import annotations

import base64
import hashlib
import json
import struct
from pathlib import Path

import crc32c
import polars as pl
import pytest
from dbkit import cli_killed_before_commit, rows
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from ingest import nb101_tfrecord
from ingest.runner import ingest_files
from nasdb import cli, store
from nasdb.errors import IngestError
from nasdb.readers import nb101_proto
from nasdb.spaces import nb101
from nasdb.readers.tfrecord import RecordError, iter_records, masked_crc32c


def _tf_masked_crc(data: bytes) -> int:
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def write_tfrecord(path: Path, payloads: list[bytes]) -> list[int]:
    """Write records; return each record's byte offset."""
    offsets, pos = [], 0
    with open(path, "wb") as f:
        for p in payloads:
            length = struct.pack("<Q", len(p))
            f.write(length + struct.pack("<I", _tf_masked_crc(length)) + p + struct.pack("<I", _tf_masked_crc(p)))
            offsets.append(pos)
            pos += 16 + len(p)
    return offsets


def _metrics_class():
    fdp = descriptor_pb2.FileDescriptorProto(name="nb101_test_metrics.proto", package="nasbench_test", syntax="proto2")
    ev = fdp.message_type.add(name="EvaluationData")
    F = descriptor_pb2.FieldDescriptorProto
    for number, name in enumerate(["current_epoch", "training_time", "train_accuracy", "validation_accuracy",
                                   "test_accuracy"], start=1):
        ev.field.add(name=name, number=number, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    ev.field.add(name="checkpoint_path", number=6, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    mm = fdp.message_type.add(name="ModelMetrics")
    mm.field.add(name="evaluation_data", number=1, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED,
                 type_name=".nasbench_test.EvaluationData")
    mm.field.add(name="trainable_parameters", number=2, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    mm.field.add(name="total_time", number=3, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("nasbench_test.ModelMetrics"))


ModelMetrics = _metrics_class()
# the first published NB101 cell (data-1k.json row 0), pruned matrix and ops as the official file stores them
ADJ = "0100110001000000010010000010000001000000010000000"
OPS = "input,conv3x3-bn-relu,maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,output"
HASH = "00005c142e6f48ac74fdcf73e3439874"


def payload(module_hash: str, epochs: int, seed: int, params: int = 8555530) -> tuple[bytes, list[tuple]]:
    """One official-format record; returns it and the evaluation values it holds."""
    m = ModelMetrics(trainable_parameters=params, total_time=1234.5)
    evals = []
    for i, at in enumerate((0.0, epochs / 2, float(epochs))):
        vals = (at, 10.0 * i + seed, 0.1 + 0.3 * i + 0.01 * seed, 0.1 + 0.25 * i + 0.01 * seed,
                0.1 + 0.24 * i + 0.01 * seed)
        m.evaluation_data.add(current_epoch=vals[0], training_time=vals[1], train_accuracy=vals[2],
                                  validation_accuracy=vals[3], test_accuracy=vals[4],
                                  checkpoint_path=f"/ckpt/model.ckpt-{i}")
        evals.append(vals)
    raw = [module_hash, epochs, ADJ, OPS, base64.b64encode(m.SerializeToString()).decode()]
    return json.dumps(raw).encode(), evals


@pytest.fixture
def small_file(tmp_path) -> tuple[Path, list[int], dict]:
    records, expected = [], {}
    for epochs in (4, 108):
        for seed in range(3):
            p, evals = payload(HASH, epochs, seed)
            records.append(p)
            expected[(epochs, seed)] = evals
    path = tmp_path / "nasbench_only108.tfrecord"
    return path, write_tfrecord(path, records), expected


def test_masked_crc_matches_the_crc32c_check_value():
    assert crc32c.crc32c(b"123456789") == 0xE3069283  # RFC 3720 check value
    assert masked_crc32c(b"123456789") == _tf_masked_crc(b"123456789")


def test_reads_every_seed_at_every_budget(small_file):
    path, offsets, expected = small_file
    assert [o for o, _ in iter_records(path)] == offsets
    runs = nb101_proto.read_runs(path, progress=False)
    assert runs.height == 6 * 3
    for row in runs.iter_rows(named=True):
        assert row["module_hash"] == HASH and row["trainable_parameters"] == 8555530
        want = expected[(row["epochs"], row["run"])][row["eval_index"]]
        got = tuple(row[k] for k in ("current_epoch", "training_time", "train_accuracy", "validation_accuracy",
                                     "test_accuracy"))
        assert got == want


def test_record_fields_are_decoded(small_file):
    path, _, _ = small_file
    _, data = next(iter_records(path))
    rec = nb101_proto.parse_record(data)
    assert rec.operations == OPS.split(",") and len(rec.adjacency) == 7 and rec.adjacency[0] == [0, 1, 0, 0, 1, 1, 0]
    assert rec.evaluations[2]["current_epoch"] == 4.0
    assert nb101.spec(rec.adjacency, rec.operations).hash == rec.module_hash == HASH


def test_negative_int32_and_unknown_fields():
    m = ModelMetrics(trainable_parameters=-5)
    params, evals = nb101_proto.parse_model_metrics(m.SerializeToString() + b"\x25\x00\x00\x80\x3f")  # field 4, fixed32
    assert params == -5 and evals == []


def test_bad_data_crc_names_the_file_and_record_offset(small_file):
    path, offsets, _ = small_file
    raw = bytearray(path.read_bytes())
    raw[offsets[2] + 12 + 5] ^= 0x01  # flip one bit inside record 2's payload
    path.write_bytes(bytes(raw))
    with pytest.raises(RecordError, match=rf"{path}: bad data CRC in record at byte offset {offsets[2]}"):
        list(iter_records(path))


def test_bad_length_crc_is_reported(small_file):
    path, offsets, _ = small_file
    raw = bytearray(path.read_bytes())
    raw[offsets[1]] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(RecordError, match=rf"bad length CRC in record at byte offset {offsets[1]}"):
        list(iter_records(path))


@pytest.mark.parametrize("cut", [3, 20, -2])
def test_truncated_record_names_the_file_and_record_offset(small_file, cut):
    path, offsets, _ = small_file
    raw = path.read_bytes()
    end = offsets[-1] + cut if cut > 0 else len(raw) + cut
    path.write_bytes(raw[:end])
    with pytest.raises(RecordError, match=rf"{path}: truncated record at byte offset {offsets[-1]}"):
        list(iter_records(path))


def test_payload_that_is_not_an_nb101_record_is_named(tmp_path):
    path = tmp_path / "other.tfrecord"
    offsets = write_tfrecord(path, [payload(HASH, 108, 0)[0], b'{"not": "a list"}'])
    with pytest.raises(RecordError, match=rf"record at byte offset {offsets[1]} is not an NB101 evaluation record"):
        nb101_proto.read_runs(path, progress=False)


# --- ingest into a database ------------------------------------------------------------------------------

OTHER = "0000718c96730a92ea6d5242f8ce77e2"  # the second published cell


@pytest.fixture
def small_db(tmp_path) -> Path:
    """A database whose nb101 archs are just the two published cells the test file uses (arch_id 0 and 1)."""
    path = tmp_path / "db.duckdb"
    con = store.connect(path)
    con.execute("INSERT INTO archs (bench, arch_id, arch_key) VALUES ('nb101', 0, ?), ('nb101', 1, ?)", [HASH, OTHER])
    con.close()
    return path


def _runs_file(tmp_path: Path, hashes: list[str]) -> tuple[Path, dict]:
    records, expected = [], {}
    for h in hashes:
        for epochs in (12, 108):
            for seed in range(3):
                p, evals = payload(h, epochs, seed, params=1000 + len(h))
                records.append(p)
                expected[(h, epochs, seed)] = evals
    path = tmp_path / "nasbench_full.tfrecord"
    write_tfrecord(path, records)
    return path, expected


def _ingest(db: Path, path: Path) -> dict[str, int]:
    """What `nasdb ingest-nb101 --tfrecord PATH` runs: parsed read-only, stored in one transaction."""
    (rows,) = ingest_files(db, [(nb101_tfrecord, nb101_tfrecord.files(path))])
    return nb101_tfrecord.counts(rows)


def test_ingest_writes_mean_over_seeds_every_run_and_provenance(small_db, tmp_path):
    path, expected = _runs_file(tmp_path, [HASH, OTHER])
    counts = _ingest(small_db, path)
    assert counts == {"archs": 2, "nb101_runs": 2 * 2 * 3 * 3, "ground_truth": 2 * 2 * 3, "costs": 2 * 2 + 2}
    con = store.connect(small_db, read_only=True)
    gt = store.frame(con, "SELECT arch_id, epochs, split, value FROM ground_truth WHERE source = 'nb101_tfrecord'")
    assert gt.height == 2 * 2 * 3
    # hand derivation: the end-of-training validation accuracy of seed s is 0.1 + 0.5 + 0.01 s -> mean 0.61 = 61 %
    valid = gt.filter((pl.col("split") == "valid") & (pl.col("arch_id") == 1) & (pl.col("epochs") == 108))
    assert valid["value"].item() == pytest.approx(100 * sum(expected[(OTHER, 108, s)][2][3] for s in range(3)) / 3)
    assert valid["value"].item() == pytest.approx(61.0)
    time = con.sql("SELECT value FROM costs WHERE source = 'nb101_tfrecord' AND arch_id = 0 "
                   "AND metric = 'training_time_12ep'").fetchall()
    assert time == [(pytest.approx(21.0),)]  # 20 + seed, mean over seeds 0..2
    src = con.sql("SELECT sha256, bytes, ingested_by FROM sources WHERE path = 'user:nasbench_full.tfrecord'").fetchall()
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert src == [(sha, path.stat().st_size, "nb101_tfrecord")]
    # the ground truth's version names the file, so results judged against it go stale when it changes
    version = f"ingest:nb101_tfrecord:{hashlib.sha256(sha.encode()).hexdigest()[:12]}"
    assert con.sql("SELECT bench, source, version FROM ground_truth_versions WHERE ingested_by = 'nb101_tfrecord'"
                   ).fetchall() == [("nb101", "nb101_tfrecord", version)]
    con.close()
    again = _ingest(small_db, path)  # idempotent: replaces its own rows
    assert again == counts
    con = store.connect(small_db, read_only=True)
    assert con.sql("SELECT count(*) FROM nb101_runs").fetchall() == [(36,)]
    assert con.sql("SELECT count(*) FROM ground_truth_versions").fetchall() == [(1,)]
    con.close()


def _stored(db: Path) -> list[tuple]:
    return rows(db, "SELECT (SELECT count(*) FROM ground_truth), (SELECT count(*) FROM nb101_runs), "
                    "(SELECT list(path) FROM sources), (SELECT list(version) FROM ground_truth_versions)")


def test_unknown_cell_or_corrupt_file_leaves_the_database_unchanged(small_db, tmp_path, capsys):
    good, _ = _runs_file(tmp_path, [HASH])
    _ingest(small_db, good)
    before = _stored(small_db)
    unknown_dir = tmp_path / "u"
    unknown_dir.mkdir()
    bad, _ = _runs_file(unknown_dir, [HASH, "ffffffffffffffffffffffffffffffff"])
    with pytest.raises(IngestError, match="unknown nb101 architecture 'ffffffffffffffffffffffffffffffff'"):
        _ingest(small_db, bad)
    raw = bytearray(good.read_bytes())
    raw[-3] ^= 0xFF
    good.write_bytes(bytes(raw))
    with pytest.raises(RecordError, match="bad data CRC"):
        _ingest(small_db, good)
    capsys.readouterr()
    assert cli.main(["--db", str(small_db), "ingest-nb101", "--tfrecord", str(good)]) == 2
    err = capsys.readouterr().err
    assert "bad data CRC" in err.strip().splitlines()[-1] and "Traceback" not in err  # after the progress bar
    assert _stored(small_db) == before


def test_a_kill_before_commit_keeps_the_previous_rows_and_a_rerun_stores_the_new_ones(small_db, tmp_path):
    first, _ = _runs_file(tmp_path, [HASH])
    _ingest(small_db, first)
    before = _stored(small_db)
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    second, _ = _runs_file(second_dir, [HASH, OTHER])
    argv = ["ingest-nb101", "--tfrecord", str(second)]
    assert cli_killed_before_commit(small_db, argv).returncode == -9
    assert _stored(small_db) == before
    assert cli.main(["--db", str(small_db), *argv]) == 0
    assert _stored(small_db)[0][:2] == (2 * 2 * 3, 2 * 2 * 3 * 3)


def test_before_the_cells_are_ingested_it_says_so(tmp_path, capsys):
    path, _ = _runs_file(tmp_path, [HASH])
    db = tmp_path / "empty.duckdb"
    store.connect(db).close()
    assert cli.main(["--db", str(db), "ingest-nb101", "--tfrecord", str(path)]) == 2
    err = capsys.readouterr().err
    assert "needs job 'nb101' to have run first" in err and "Traceback" not in err


def test_cli_reports_errors_without_traceback(small_db, tmp_path, capsys):
    assert cli.main(["--db", str(small_db), "ingest-nb101", "--tfrecord", str(tmp_path / "missing.tfrecord")]) == 2
    assert "missing.tfrecord: no such file" in capsys.readouterr().err
    path, _ = _runs_file(tmp_path, [HASH])
    assert cli.main(["--db", str(small_db), "ingest-nb101", "--tfrecord", str(path)]) == 0
    assert "ingested 1 archs, 18 nb101_runs" in capsys.readouterr().out


def test_absent_optional_fields_are_null(tmp_path):
    m = ModelMetrics()
    m.evaluation_data.add(current_epoch=1.0)  # no accuracies, no parameter count
    raw = [HASH, 108, ADJ, OPS, base64.b64encode(m.SerializeToString()).decode()]
    path = tmp_path / "sparse.tfrecord"
    write_tfrecord(path, [json.dumps(raw).encode()])
    row = nb101_proto.read_runs(path, progress=False).row(0, named=True)
    assert row["current_epoch"] == 1.0 and row["test_accuracy"] is None and row["trainable_parameters"] is None
