"""Optional: the official NB101 results from a TFRecord file the user supplies (``nasdb ingest-nb101``).

``nasbench_only108.tfrecord`` / ``nasbench_full.tfrecord`` are not mirrored and not in the manifest, so
this is not a manifest job: the file is hashed (sha256 recorded in ``sources``), read without
TensorFlow, and joined to the enumerated cells by module hash (run job ``nb101`` first). Written:
- ``nb101_runs`` (this module's table): every run (seed) at every epoch budget, every evaluation
  (start / halfway / end of training), accuracies as fractions as published;
- ``ground_truth``: train/valid/test accuracy (percent) at the end of training, mean over the runs;
- ``costs``: training time (mean over runs) per budget, and the parameter count.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from ingest.rows import arch_ids, insert
from nasdb import sources, store
from nasdb.errors import IngestError, SourceError
from nasdb.readers.nb101_proto import read_runs

NAME = "nb101_tfrecord"
DATASET = "cifar10"
RUNS_DDL = """
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


def ingest(con: duckdb.DuckDBPyConnection, path: Path, progress: bool = True) -> dict[str, int]:
    """Read, check and store one official NB101 TFRecord file in one transaction; return row counts."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: no such file; expected the official nasbench_only108.tfrecord or "
                          f"nasbench_full.tfrecord")
    if not con.sql("SELECT count(*) FROM archs WHERE bench = 'nb101'").fetchall()[0][0]:
        raise IngestError("no nb101 archs in the database yet; run `nasdb ingest nb101` first")
    sha256 = sources.sha256_of(path)
    runs = read_runs(path, progress)  # all parsing and CRC checks happen before the database is touched
    if runs.height == 0:
        raise IngestError(f"{path}: holds no evaluation records")
    hashes = runs["module_hash"].unique(maintain_order=True)
    ids = dict(zip(hashes, arch_ids(con, "nb101", hashes, where=str(path))))
    runs = runs.with_columns(arch_id=pl.col("module_hash").replace_strict(ids, return_dtype=pl.Int64))
    last = pl.col("eval_index") == pl.col("eval_index").max().over("arch_id", "epochs", "run")
    final = runs.filter(last)
    with store.transaction(con):
        con.execute(RUNS_DDL)
        for table, pred in OWNS.items():
            con.execute(f"DELETE FROM {table} WHERE {pred}")
        n_runs = insert(con, "nb101_runs", runs.drop("module_hash", "trainable_parameters"))
        n_gt = insert(con, "ground_truth", _ground_truth(final))
        n_costs = insert(con, "costs", _costs(final))
        con.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, now())",
                    [f"user:{path.name}", path.resolve().as_uri(), sha256, path.stat().st_size,
                     "CC BY 4.0 (NAS-Bench-101 data)", "official NAS-Bench-101 TFRecord, supplied by the user", NAME])
    return {"archs": len(ids), "nb101_runs": n_runs, "ground_truth": n_gt, "costs": n_costs}
