"""NB201 robustness (Jung et al., ICLR 2023): CIFAR-10 accuracy under FGSM/PGD/APGD/Square attacks.

Stored in ``costs``, not ``ground_truth``: ``ground_truth`` holds the benchmark's own training
outcomes that proxies are ranked against, while these are extra per-network properties of the
trained NB201 weights measured by a third party, like latency and energy (the issue's contract also
lists them under costs). Metrics are ``robust_accuracy:<attack>@Linf_eps-<eps>`` exactly as the
file names its columns (eps as published), plus the file's clean ``val_accs`` as ``clean_accuracy``
(it equals NASLib's CIFAR-10 validation accuracy, see tests). Unit: percent.

The file is NOT in NB201 index order; each row is placed through its NASLib tuple (``net``), and a
row whose tuple is unknown or repeated stops the ingest.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from ingest.peers import place
from ingest.rows import check_unique, insert, read_csv
from nasdb.spaces import nb201

NAME = "robustness"
PATH = "nb201_robustness/robustness_targets.csv"
FILES = [PATH]
NEEDS = ["nb201"]
OWNS = {"costs": "source = 'robustness'"}
CLEAN = "val_accs"
_EPS = ("0.1", "0.5", "1.0", "2.0", "3.0", "4.0", "8.0")
_FGSM_EPS = ("0.1", "0.5", "1.0", "2.0", "3.0", "4.0", "5.0", "6.0", "7.0", "8.0", "255.0")
ATTACKS = ([f"aa_apgd-ce@Linf_eps-{e}" for e in _EPS] + [f"aa_square@Linf_eps-{e}" for e in _EPS]
           + [f"fgsm@Linf_eps-{e}" for e in _FGSM_EPS] + [f"pgd@Linf_eps-{e}" for e in _EPS])


def load(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    path = files[PATH]
    df = read_csv(path, ["net", CLEAN, *ATTACKS], n_rows=nb201.N_ARCHS)
    df = df.with_columns(arch_id=place(con, "nb201", df["net"], str(path)))
    check_unique(df, ["arch_id"], f"{path} (column net)")
    long = df.select(
        "arch_id", pl.col(CLEAN).cast(pl.Float64).alias("clean_accuracy"),
        *[pl.col(a).cast(pl.Float64).alias(f"robust_accuracy:{a}") for a in ATTACKS],
    ).unpivot(index="arch_id", variable_name="metric", value_name="value")
    insert(con, "costs", long.with_columns(bench=pl.lit("nb201"), dataset=pl.lit("cifar10"), unit=pl.lit("%"),
                                           source=pl.lit(NAME)))
