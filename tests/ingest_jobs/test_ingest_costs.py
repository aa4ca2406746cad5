"""Costs on NB201: HW-NAS-Bench, HELP latency, robustness, and the NASWOT file (test accuracy, params, score)."""
from __future__ import annotations

import csv

import pytest
import torch

ARCH1 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


def test_hwnas_row0_matches_published_example(db):
    # HW-NAS-Bench README: query_by_index(0, "cifar10")
    got = dict(db.execute("SELECT metric, value FROM costs WHERE source = 'hwnas' AND arch_id = 0 "
                          "AND dataset = 'cifar10'").fetchall())
    assert got["edgegpu_latency"] == pytest.approx(5.8074, abs=1e-4)
    assert got["edgegpu_energy"] == pytest.approx(24.2266, abs=1e-4)
    assert got["raspi4_latency"] == pytest.approx(10.4820, abs=1e-4)
    assert got["fpga_energy"] == pytest.approx(18.01072)
    units = dict(db.execute("SELECT DISTINCT metric, unit FROM costs WHERE source = 'hwnas'").fetchall())
    assert units["pixel3_latency"] == "ms" and units["eyeriss_energy"] == "mJ"
    assert units["eyeriss_arithmetic_intensity"] is None
    assert db.execute("SELECT count(*), count(DISTINCT dataset), count(DISTINCT metric) FROM costs "
                      "WHERE source = 'hwnas'").fetchone() == (15625 * 3 * 10, 3, 10)


def test_help_latency_lands_on_the_index_of_helps_own_string_map(db, mirror):
    idx = torch.load(mirror / "hwnas/help_latency/str_arch2idx.pt", weights_only=True)
    lat = torch.load(mirror / "hwnas/help_latency/titanx_32.pt", weights_only=True)
    for arch in (ARCH1, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"):
        got = db.execute("SELECT c.value, c.unit FROM costs c JOIN archs a USING (bench, arch_id) "
                         "WHERE c.source = 'help_latency' AND c.metric = 'latency:titanx_32' AND a.arch_key = ?",
                         [arch]).fetchone()
        assert got == (pytest.approx(lat[idx[arch]]), "ms")
    assert db.execute("SELECT count(DISTINCT metric), count(*) FROM costs WHERE source = 'help_latency'"
                      ).fetchone() == (27, 27 * 15625)


def test_robustness_rows_are_placed_by_tuple_not_row_order(db, mirror):
    with open(mirror / "nb201_robustness/robustness_targets.csv") as f:
        first = next(csv.DictReader(f))
    # row 1's net (4, 0, 3, 1, 4, 3) is NB201 |avg_pool_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|...
    got = dict(db.execute(
        "SELECT c.metric, c.value FROM costs c JOIN archs a USING (bench, arch_id) WHERE c.source = 'robustness' "
        "AND a.arch_key = '|avg_pool_3x3~0|+|skip_connect~0|none~1|+|nor_conv_1x1~0|avg_pool_3x3~1|nor_conv_1x1~2|'"
    ).fetchall())
    assert first["net"] == "(4, 0, 3, 1, 4, 3)"
    assert got["clean_accuracy"] == pytest.approx(float(first["val_accs"]))
    assert got["robust_accuracy:fgsm@Linf_eps-1.0"] == pytest.approx(float(first["fgsm@Linf_eps-1.0"]))
    assert db.execute("SELECT count(DISTINCT arch_id), count(DISTINCT metric) FROM costs "
                      "WHERE source = 'robustness'").fetchone() == (15625, 33)


def test_robustness_clean_accuracy_is_naslibs_validation_accuracy(db):
    """Cross-source: the file's val_accs equal GRAF's NASLib CIFAR-10 val accs for all 9,445 shared cells."""
    n, worst = db.execute("""
        SELECT count(*), max(abs(c.value - g.value)) FROM costs c JOIN ground_truth g USING (bench, arch_id)
        WHERE c.source = 'robustness' AND c.metric = 'clean_accuracy' AND g.source = 'peer:graf'
          AND g.dataset = 'cifar10-valid'""").fetchone()
    assert n == 9445 and worst < 1e-9


def test_naswot_cifar10_test_accuracy(db):
    # NB201 paper (Table 5): the best CIFAR-10 (train+valid) test accuracy in the space is 94.37
    assert db.execute("SELECT round(max(value), 2), count(*) FROM ground_truth WHERE source = 'naswot' "
                      "AND dataset = 'cifar10' AND split = 'test' AND epochs = 200").fetchone() == (94.37, 15625)
    # index 1 was trained on all of the training data: better than its cifar10-valid test accuracy (90.513)
    v = db.execute("SELECT value FROM ground_truth WHERE source = 'naswot' AND arch_id = 1").fetchone()[0]
    assert v == pytest.approx(93.66, abs=5e-3)


def test_naswot_file_repeats_the_cifar10_valid_csv(db, files):
    """valid_test_top1 of the NASWOT file equals the cifar10-valid CSV's test accuracy (90.513 at index 1):
    the file is aligned with the NB201 index, so its test_top1 is too."""
    import pandas as pd

    from ingest import naswot

    df = pd.read_pickle(files(naswot)[naswot.PATH])  # opened after its sha256 check
    ours = dict(db.execute("SELECT arch_id, value FROM ground_truth WHERE source = 'nb201' "
                           "AND dataset = 'cifar10-valid' AND split = 'test'").fetchall())
    assert max(abs(ours[a] - v) for a, v in zip(df["arch"], df["valid_test_top1"])) < 1e-6


def test_naswot_score_nulls_are_the_degenerate_cells(db):
    """NaN scores become NULL with a note, and they are exactly the cells whose output is cut off."""
    rows = db.execute("SELECT p.value IS NULL, a.is_degenerate, count(*) FROM proxies p JOIN archs a "
                      "USING (bench, arch_id) WHERE p.source = 'peer:naswot' GROUP BY ALL").fetchall()
    assert sorted(rows) == [(False, False, 15625 - 341), (True, True, 341)]
    assert db.execute("SELECT bool_and(note LIKE '%jacob_cov%NaN%') FROM proxies WHERE source = 'peer:naswot' "
                      "AND value IS NULL").fetchone() == (True,)
    assert db.execute("SELECT value, unit FROM costs WHERE source = 'naswot' AND arch_id = 1").fetchone() == (
        pytest.approx(0.802426), "M")
