"""TransNAS-Bench-101 (Duan et al., CVPR 2021): 3,256 macro + 4,096 micro archs on 7 tasks.

Archs come from the official index rule (nasdb.spaces.tnb101), not from the files: the mirrored
CSVs are keyed only by ``file_id`` = official API index. Every CSV column is stored as ground truth
(train/valid/test). The CSVs hold the official API's ``mode='best'`` values, i.e. each column's
*maximum over epochs*: for accuracy/ssim/mIoU/neg_loss that is the best epoch, but for the
lower-is-better loss columns it is the *worst* epoch. So all rows have
``aggregation='max_over_epochs'`` and the loss metrics are named ``<loss>_worst_epoch`` so that
nobody mistakes them for a best-epoch loss. ``time_elapsed`` (cumulative training wall-clock, the
official trainer's HH:MM:SS timer converted to seconds; its max is the last epoch's) goes to costs.

Micro cells are the NB201 cell DAG with ops none/skip_connect/conv1x1/conv3x3, so nasdb's NB201
isomorphism rule (same ``none``/``skip_connect`` semantics) gives their ``iso_class`` and
``is_degenerate`` as well.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import polars as pl

from ingest.rows import check_index_range, check_unique, insert, insert_archs, read_csv
from nasdb.spaces import nb201, tnb101

NAME = "tnb101"
CSV = {task: f"tnb101/transbench101_{task}.csv" for task in tnb101.TASKS}
FILES = list(CSV.values())
NEEDS: list[str] = []
BENCHES = ("tnb101_macro", "tnb101_micro")
OWNS = {
    "archs": "bench IN ('tnb101_macro', 'tnb101_micro')",
    "benchmarks": "bench IN ('tnb101_macro', 'tnb101_micro')",
    "ground_truth": "source = 'tnb101'",
    "costs": "source = 'tnb101'",
}
N_ARCHS = tnb101.N_MACRO + tnb101.N_MICRO
SPLITS = ("train", "valid", "test")
# metric columns per task (each present as <split>_<metric>), as the official API's metrics_dict lists them
METRICS = {
    "class_scene": ("top1", "top5", "loss"),
    "class_object": ("top1", "top5", "loss"),
    "jigsaw": ("top1", "top5", "loss"),
    "room_layout": ("loss", "neg_loss"),
    "segmentsemantic": ("loss", "acc", "mIoU"),
    "normal": ("ssim", "l1_loss"),
    "autoencoder": ("ssim", "l1_loss"),
}
LOWER_IS_BETTER = frozenset({"loss", "l1_loss"})
# training budget per task: `num_epochs` in the official configs/train_from_scratch/<task>/config.py
# (github.com/yawen-d/TransNASBench, commit fcd4e9cc)
EPOCHS = {"class_scene": 25, "class_object": 25, "room_layout": 25, "jigsaw": 10,
          "segmentsemantic": 30, "normal": 30, "autoencoder": 30}
MACRO_MODULES = {1: "normal", 2: "channel_x2", 3: "downsample", 4: "channel_x2_downsample"}
MICRO_CONVS = frozenset({"conv1x1", "conv3x3"})
assert tnb101.MICRO_EDGES == nb201.EDGES  # the micro cell is NB201's DAG: its iso rule applies


def stored_metric(metric: str) -> str:
    """Name under which a CSV metric is stored: worst-epoch losses say so."""
    return f"{metric}_worst_epoch" if metric in LOWER_IS_BETTER else metric


def _macro_rows() -> tuple[pl.DataFrame, list[dict[str, int]]]:
    archs = tnb101.macro_archs()
    counts = []
    for a in archs:
        c = Counter(tnb101.macro_digits(a))
        counts.append({name: c.get(d, 0) for d, name in MACRO_MODULES.items()})
    table = pl.DataFrame({
        "bench": "tnb101_macro",
        "arch_id": range(len(archs)),
        "arch_key": archs,
        "naslib_key": [str(tnb101.naslib_macro(a)) for a in archs],
    }, schema_overrides={"arch_id": pl.Int64})
    return table, counts


def _micro_rows() -> tuple[pl.DataFrame, list[dict[str, int]]]:
    archs = tnb101.micro_archs()
    ids = [tnb101.micro_index(a) for a in archs]
    assert ids == list(range(tnb101.MICRO_OFFSET, N_ARCHS)), "micro_archs() is not in official index order"
    cells = [tuple(tnb101.micro_ops(a)[e] for e in tnb101.MICRO_EDGES) for a in archs]
    first: dict[str, int] = {}
    exprs = [nb201.canonical_expression(c) for c in cells]
    for i, e in zip(ids, exprs):
        first.setdefault(e, i)
    table = pl.DataFrame({
        "bench": "tnb101_micro",
        "arch_id": ids,
        "arch_key": archs,
        "naslib_key": [str(tnb101.naslib_micro(a)) for a in archs],
        "iso_class": [first[e] for e in exprs],
        "is_degenerate": [nb201.is_degenerate(c) for c in cells],
        "n_conv": [sum(op in MICRO_CONVS for op in c) for c in cells],
    }, schema_overrides={"arch_id": pl.Int64, "iso_class": pl.Int64, "n_conv": pl.Int32})
    counts = [{op: Counter(c).get(op, 0) for op in tnb101.MICRO_OPS} for c in cells]
    return table, counts


def _task_frame(task: str, path: Path) -> pl.DataFrame:
    cols = [f"{s}_{m}" for s in SPLITS for m in METRICS[task]]
    df = read_csv(path, ["file_id", *cols, "time_elapsed"], n_rows=N_ARCHS)
    check_index_range(df["file_id"], N_ARCHS, str(path))
    check_unique(df, ["file_id"], str(path))
    return df.with_columns(
        pl.col("file_id").cast(pl.Int64).alias("arch_id"),
        pl.when(pl.col("file_id") < tnb101.N_MACRO).then(pl.lit("tnb101_macro"))
        .otherwise(pl.lit("tnb101_micro")).alias("bench"),
    )


def _ground_truth(task: str, df: pl.DataFrame) -> pl.DataFrame:
    parts = [
        df.select("bench", "arch_id", pl.col(f"{split}_{metric}").cast(pl.Float64).alias("value")).with_columns(
            split=pl.lit(split), metric=pl.lit(stored_metric(metric)),
            higher_is_better=pl.lit(metric not in LOWER_IS_BETTER))
        for split in SPLITS for metric in METRICS[task]
    ]
    return pl.concat(parts).with_columns(
        dataset=pl.lit(task), epochs=pl.lit(EPOCHS[task], pl.Int32),
        aggregation=pl.lit("max_over_epochs"), source=pl.lit(NAME))


def load(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    frames = {task: _task_frame(task, files[rel]) for task, rel in CSV.items()}  # check every file first
    insert_archs(con, *_macro_rows())
    insert_archs(con, *_micro_rows())
    for task, df in frames.items():
        insert(con, "ground_truth", _ground_truth(task, df))
        insert(con, "costs", df.select("bench", "arch_id", pl.col("time_elapsed").cast(pl.Float64).alias("value"))
               .with_columns(dataset=pl.lit(task), metric=pl.lit("time_elapsed"), unit=pl.lit("s"),
                             source=pl.lit(NAME)))
    urls = ["https://github.com/yawen-d/TransNASBench", *FILES]
    for bench, space, n in (("tnb101_macro", "macro", tnb101.N_MACRO), ("tnb101_micro", "micro", tnb101.N_MICRO)):
        con.execute("INSERT INTO benchmarks VALUES (?, ?, ?, 'Apache-2.0 (mirror files)', ?)",
                    [bench, f"TransNAS-Bench-101 {space} space (Duan et al., CVPR 2021)", n, urls])
