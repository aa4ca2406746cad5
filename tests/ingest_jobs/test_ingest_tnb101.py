"""TransNAS-Bench-101 ingest: the official index rule, op counts, and every CSV column as ground truth."""
from __future__ import annotations

import csv

import pytest

TASK_COLUMNS = {  # the official API's metrics_dict (README of yawen-d/TransNASBench), minus time_elapsed
    "class_scene": 9, "class_object": 9, "jigsaw": 9, "segmentsemantic": 9,
    "room_layout": 6, "normal": 6, "autoencoder": 6,
}


def test_index_rule_reproduces_official_names(db):
    # README of the official API: api.index2arch(1) == '64-2311-basic'; macro ids 0..3255, micro after
    assert db.execute("SELECT bench, arch_key FROM archs WHERE bench LIKE 'tnb101%' AND arch_id = 1").fetchone() == (
        "tnb101_macro", "64-2311-basic")
    assert db.execute("SELECT bench, count(*), min(arch_id), max(arch_id) FROM archs WHERE bench LIKE 'tnb101%' "
                      "GROUP BY 1 ORDER BY 1").fetchall() == [("tnb101_macro", 3256, 0, 3255),
                                                             ("tnb101_micro", 4096, 3256, 7351)]
    # micro digits read in base 4, by hand: 1_02_333 -> 1*1024 + 0*256 + 2*64 + 3*16 + 3*4 + 3 = 1215
    assert db.execute("SELECT arch_id, naslib_key FROM archs WHERE arch_key = '64-41414-1_02_333'").fetchone() == (
        3256 + 1215, "(1, 0, 2, 3, 3, 3)")
    assert db.execute("SELECT arch_id FROM archs WHERE arch_key = '64-41414-3_33_333'").fetchone() == (7351,)
    # NASLib macro key: the skeleton digits padded with zeros to six
    assert db.execute("SELECT naslib_key FROM archs WHERE bench = 'tnb101_macro' AND arch_id = 1").fetchone() == (
        "(2, 3, 1, 1, 0, 0)",)


def test_op_counts(db):
    # README example 64-41414-1_02_333: skip, none, conv1x1, conv3x3 x3
    row = db.execute("SELECT op_counts, n_conv, is_degenerate FROM archs WHERE arch_key = '64-41414-1_02_333'"
                     ).fetchone()
    assert row == ({"none": 1, "skip_connect": 1, "conv1x1": 1, "conv3x3": 3}, 4, False)
    # 64-2311-basic: one channel-doubling module, one downsampling, two normal
    assert db.execute("SELECT op_counts FROM archs WHERE arch_key = '64-2311-basic'").fetchone()[0] == {
        "normal": 2, "channel_x2": 1, "downsample": 1, "channel_x2_downsample": 0}
    # all-none cell: the output is cut off from the input
    assert db.execute("SELECT is_degenerate FROM archs WHERE arch_key = '64-41414-0_00_000'").fetchone() == (True,)


def test_micro_isomorphism_merges_only_equivalent_cells(db):
    # by hand: in 1_01_001 node1 = skip(in) = in, node2 = skip(node1) = in; in 1_10_001 node2 = skip(in) = in;
    # node3 = skip(node2) in both, so they compute the same function. A conv1x1 is not a conv3x3.
    iso = dict(db.execute("SELECT arch_key, iso_class FROM archs WHERE arch_key IN "
                          "('64-41414-1_01_001', '64-41414-1_10_001', '64-41414-3_33_333', '64-41414-2_33_333')"
                          ).fetchall())
    assert iso["64-41414-1_01_001"] == iso["64-41414-1_10_001"]
    assert iso["64-41414-3_33_333"] != iso["64-41414-2_33_333"]


def test_every_csv_column_is_stored(db, mirror):
    for task, n_metrics in TASK_COLUMNS.items():
        rows = db.execute("SELECT split, metric, count(*), count(value), any_value(epochs), "
                          "bool_and(aggregation = 'max_over_epochs') FROM ground_truth "
                          "WHERE source = 'tnb101' AND dataset = ? GROUP BY ALL", [task]).fetchall()
        assert len(rows) == n_metrics, task
        assert all(n == nv == 7352 and agg for _, _, n, nv, _, agg in rows), task
    with open(mirror / "tnb101/transbench101_room_layout.csv") as f:
        for row in csv.DictReader(f):
            if row["file_id"] == "4471":
                break
    got = dict(db.execute("SELECT split || '_' || metric, value FROM ground_truth WHERE source = 'tnb101' "
                          "AND dataset = 'room_layout' AND arch_id = 4471").fetchall())
    assert got["test_neg_loss"] == pytest.approx(float(row["test_neg_loss"]))
    assert got["valid_loss_worst_epoch"] == pytest.approx(float(row["valid_loss"]))
    assert db.execute("SELECT value, unit FROM costs WHERE source = 'tnb101' AND dataset = 'room_layout' "
                      "AND arch_id = 4471 AND metric = 'time_elapsed'").fetchone() == (float(row["time_elapsed"]), "s")


def test_directions_and_budgets(db):
    rows = dict(db.execute("SELECT DISTINCT metric, higher_is_better FROM ground_truth WHERE source = 'tnb101'"
                           ).fetchall())
    assert rows == {"top1": True, "top5": True, "loss_worst_epoch": False, "neg_loss": True, "acc": True,
                    "mIoU": True, "ssim": True, "l1_loss_worst_epoch": False}
    # num_epochs in the official configs/train_from_scratch/<task>/config.py
    budgets = dict(db.execute("SELECT DISTINCT dataset, epochs FROM ground_truth WHERE source = 'tnb101'").fetchall())
    assert budgets == {"class_scene": 25, "class_object": 25, "room_layout": 25, "jigsaw": 10,
                       "segmentsemantic": 30, "normal": 30, "autoencoder": 30}


def test_loss_columns_are_worst_epoch_values(db):
    """A worst-epoch (max) training loss lies above the loss at the best epoch: room_layout's best
    loss is -max(neg_loss), so loss_worst_epoch >= -neg_loss must hold for every arch and split."""
    bad = db.execute("""
        SELECT count(*) FROM ground_truth l JOIN ground_truth n USING (bench, arch_id, dataset, split, source)
        WHERE l.source = 'tnb101' AND l.dataset = 'room_layout' AND l.metric = 'loss_worst_epoch'
          AND n.metric = 'neg_loss' AND l.value < -n.value - 1e-9""").fetchone()[0]
    assert bad == 0
