"""NASWOT release file (Mellor et al.): a pickled pandas DataFrame over all 15,625 NB201 cells.

It is the one public source here of the NB201 ``cifar10`` *train+valid* setting's 200-epoch test
accuracy (``test_top1``), stored as ground truth for dataset ``cifar10``. Its siblings
``valid_top1``/``valid_test_top1`` repeat the cifar10-valid CSV values (the tests check this), which
also shows the file took the mean over seeds; they are not stored twice. ``params`` (millions) go to
costs. ``score`` is the NASWOT *v1* score, which is the Jacobian-covariance formula (what
NAS-Bench-Suite-Zero calls jacov, not its later ``nwot``): a peer proxy ``naswot_v1``; its NaN
scores (the cells whose output is cut off from the input) become NULL with a note.

The file is a pickle, so it is opened only through ``verified_path`` (sha256 checked first).
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import polars as pl

from ingest.peers import insert_proxies
from ingest.rows import check_index_range, check_unique, insert
from nasdb import store
from nasdb.errors import IngestError
from nasdb.spaces import nb201

NAME = "naswot"
PATH = "zc/naswot/arch_score_acc.pd"
FILES = [PATH]
NEEDS = ["nb201"]
OWNS = {"ground_truth": "source = 'naswot'", "costs": "source = 'naswot'", "peer_proxies": "source = 'peer:naswot'"}
COLUMNS = ("arch", "cellstr", "params", "score", "test_top1", "valid_top1", "valid_test_top1")
NOTE = "NASWOT v1 score = Jacobian-covariance formula (jacob_cov)"


def read(path: Path) -> pl.DataFrame:
    try:
        df = pd.read_pickle(path)
    except Exception as e:  # unpickling errors come in many types
        raise IngestError(f"{path}: cannot unpickle as a pandas DataFrame: {e}") from e
    if not isinstance(df, pd.DataFrame):
        raise IngestError(f"{path}: expected a pickled pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise IngestError(f"{path}: missing column(s) {missing}; found {list(df.columns)}")
    if len(df) != nb201.N_ARCHS:
        raise IngestError(f"{path}: expected {nb201.N_ARCHS} rows, found {len(df)}")
    out = pl.from_pandas(df[list(COLUMNS)].reset_index(drop=True), nan_to_null=False)
    for c in ("arch", "cellstr", "params", "test_top1"):
        nulls = out[c].is_null()
        if out[c].dtype.is_float():
            nulls = nulls | out[c].is_nan()
        if nulls.any():
            raise IngestError(f"{path}, row {int(nulls.arg_true()[0])}: empty value in required column {c!r}")
    return out


def check_cells(con: duckdb.DuckDBPyConnection, df: pl.DataFrame, path: Path) -> None:
    """Each row's cell string must be nasdb's NB201 string at that row's index."""
    ours = store.frame(con, "SELECT arch_id AS arch, arch_key FROM archs WHERE bench = 'nb201'")
    joined = df.select(pl.col("arch").cast(pl.Int64), "cellstr").with_row_index("row").join(ours, on="arch", how="left")
    bad = joined.filter(pl.col("arch_key").is_null() | (pl.col("arch_key") != pl.col("cellstr"))).sort("row")
    if bad.height:
        r = bad.row(0, named=True)
        raise IngestError(f"{path}, row {r['row']}: index {r['arch']} has cell {r['cellstr']!r}, but nasdb's NB201 "
                          f"string at that index is {r['arch_key']!r}")


def load(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    path = files[PATH]
    df = read(path)
    check_index_range(df["arch"], nb201.N_ARCHS, str(path))
    check_unique(df, ["arch"], str(path))
    check_cells(con, df, path)
    rows = df.select(pl.lit("nb201").alias("bench"), pl.col("arch").cast(pl.Int64).alias("arch_id"),
                     pl.lit("cifar10").alias("dataset"))
    insert(con, "ground_truth", rows.with_columns(
        value=df["test_top1"].cast(pl.Float64), split=pl.lit("test"), metric=pl.lit("accuracy"),
        epochs=pl.lit(200, pl.Int32), higher_is_better=pl.lit(True), aggregation=pl.lit("mean_over_seeds"),
        source=pl.lit(NAME)))
    insert(con, "costs", rows.with_columns(value=df["params"].cast(pl.Float64), metric=pl.lit("params"),
                                           unit=pl.lit("M"), source=pl.lit(NAME)))
    insert_proxies(con, rows.with_columns(proxy=pl.lit("naswot_v1"), score=df["score"].cast(pl.Float64)),
                   "peer:naswot", str(path), note=NOTE)
