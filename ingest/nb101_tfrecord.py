"""Optional: the official NB101 results from a TFRecord file the user supplies (``nasdb ingest-nb101``).

``nasbench_only108.tfrecord`` / ``nasbench_full.tfrecord`` are not mirrored and not in the manifest, so
this job runs over the user's file (``runner.ingest_files``; parsed read-only, then one short write): the
file is hashed (sha256 recorded in ``sources``), read without TensorFlow, and joined to the enumerated cells
by module hash (run job ``nb101`` first). Written:
- ``nb101_runs`` (this module's table): every run (seed) at every epoch budget, every evaluation
  (start / halfway / end of training), accuracies as fractions as published;
- ``ground_truth``: train/valid/test accuracy (percent) at the end of training, mean over the runs;
- ``costs``: training time (mean over runs) per budget, and the parameter count.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ingest.rows import arch_ids, insert
from nasdb import sources
from nasdb.errors import IngestError, SourceError
from nasdb.readers.nb101_proto import read_runs

NAME = "nb101_tfrecord"
FILES: list[str] = []  # not in the manifest: the user's file, named by `nasdb ingest-nb101 --tfrecord`
NEEDS = ["nb101"]
TFRECORD = "tfrecord"  # its key in ``files``
DATASET = "cifar10"
DDL = """
CREATE TABLE IF NOT EXISTS nb101_runs (
    arch_id             BIGINT  NOT NULL,   -- archs.arch_id (bench 'nb101')
    epochs              INTEGER NOT NULL,   -- training budget of the run: 4, 12, 36 or 108
    run                 INTEGER NOT NULL,   -- 0, 1, 2: the runs (seeds) of this budget, in file order
    eval_index          INTEGER NOT NULL,   -- 0 start, 1 halfway, 2 end of training
    current_epoch       DOUBLE,
    training_time       DOUBLE,             -- seconds of training up to this evaluation
    train_accuracy      DOUBLE,             -- fractions 0..1, as published
    validation_accuracy DOUBLE,
    test_accuracy       DOUBLE
);
"""
OWNS = {"ground_truth": f"source = '{NAME}'", "costs": f"source = '{NAME}'", "nb101_runs": "true",
        "sources": f"ingested_by = '{NAME}'"}
SPLITS = {"train_accuracy": "train", "validation_accuracy": "valid", "test_accuracy": "test"}


def _ground_truth(final: pl.DataFrame) -> pl.DataFrame:
    mean = final.group_by("arch_id", "epochs").agg(*[(pl.col(c).mean() * 100).alias(s) for c, s in SPLITS.items()])
    return mean.unpivot(index=["arch_id", "epochs"], variable_name="split", value_name="value").with_columns(
        bench=pl.lit("nb101"), dataset=pl.lit(DATASET), metric=pl.lit("accuracy"), higher_is_better=pl.lit(True),
        aggregation=pl.lit("mean_over_seeds"), source=pl.lit(NAME))


def _costs(final: pl.DataFrame) -> pl.DataFrame:
    time = final.group_by("arch_id", "epochs").agg(value=pl.col("training_time").mean()).select(
        "arch_id", "value", metric=pl.format("training_time_{}ep", "epochs"), unit=pl.lit("s"))
    params = final.group_by("arch_id").agg(value=pl.col("trainable_parameters").first().cast(pl.Float64)).select(
        "arch_id", "value", metric=pl.lit("params"), unit=pl.lit("count"))
    return pl.concat([time, params]).with_columns(bench=pl.lit("nb101"), dataset=pl.lit(DATASET), source=pl.lit(NAME))


def files(path: Path) -> dict[str, Path]:
    """The job's input: the user's TFRecord file, checked to exist before anything else happens."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: no such file; expected the official nasbench_only108.tfrecord or "
                          f"nasbench_full.tfrecord")
    return {TFRECORD: path}


def load(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    """Read and check the file, then insert its runs, ground truth, costs and its ``sources`` row."""
    path = files[TFRECORD]
    sha256 = sources.sha256_of(path)
    runs = read_runs(path)
    if runs.height == 0:
        raise IngestError(f"{path}: holds no evaluation records")
    hashes = runs["module_hash"].unique(maintain_order=True)
    ids = dict(zip(hashes, arch_ids(con, "nb101", hashes, where=str(path))))
    runs = runs.with_columns(arch_id=pl.col("module_hash").replace_strict(ids, return_dtype=pl.Int64))
    last = pl.col("eval_index") == pl.col("eval_index").max().over("arch_id", "epochs", "run")
    final = runs.filter(last)
    insert(con, "nb101_runs", runs.drop("module_hash", "trainable_parameters"))
    insert(con, "ground_truth", _ground_truth(final))
    insert(con, "costs", _costs(final))
    con.execute("INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, now())",
                [f"user:{path.name}", path.resolve().as_uri(), sha256, path.stat().st_size,
                 "CC BY 4.0 (NAS-Bench-101 data)", "official NAS-Bench-101 TFRecord, supplied by the user", NAME])


def counts(rows: dict[str, pa.Table]) -> dict[str, int]:
    """What an ingest stored: cells, and rows per table."""
    return {"archs": len(pc.unique(rows["nb101_runs"]["arch_id"])),
            **{t: rows[t].num_rows for t in ("nb101_runs", "ground_truth", "costs")}}
