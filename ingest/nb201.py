"""NAS-Bench-201 (Dong & Yang, ICLR 2020): the 15,625 cells and their 200-epoch accuracies.

The mirrored CSVs (published with the NASGraph reference code) hold, per official index, the cell
string and train/valid/test accuracy (%, mean over the official seeds). The "cifar10" CSV is the
official ``cifar10-valid`` setting (trained on half the training set), so it is stored under that name.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from ingest.rows import check_index_range, check_unique, insert, insert_archs, read_csv
from nasdb.errors import ArchStringError, IngestError
from nasdb.spaces import nb201

NAME = "nb201"
CSV = {
    "cifar10-valid": "nb201/nasbench201_cifar10.csv",
    "cifar100": "nb201/nasbench201_cifar100.csv",
    "ImageNet16-120": "nb201/nasbench201_ImageNet16-120.csv",
}
FILES = list(CSV.values())
NEEDS: list[str] = []
OWNS = {"archs": "bench = 'nb201'", "benchmarks": "bench = 'nb201'", "ground_truth": "source = 'nb201'"}
COLUMNS = {"train accuracy": "train", "validation accuracy": "valid", "test accuracy": "test"}


def _arch_rows(df: pl.DataFrame, path: Path) -> tuple[pl.DataFrame, list[dict[str, int]]]:
    rows = []
    cells = []
    for line, (idx, s) in enumerate(zip(df["file id"], df["arch str"]), start=2):
        try:
            cell = nb201.parse(s)
        except ArchStringError as e:
            raise IngestError(f"{path}, line {line}: {e}") from e
        cells.append(cell)
        rows.append((idx, s, nb201.naslib_string(cell), nb201.is_degenerate(cell), nb201.n_conv(cell),
                     nb201.op_counts(cell)))
    exprs = [nb201.canonical_expression(c) for c in cells]
    first: dict[str, int] = {}
    for (idx, *_), e in sorted(zip(rows, exprs)):
        first.setdefault(e, idx)
    table = pl.DataFrame(
        {
            "bench": "nb201",
            "arch_id": [r[0] for r in rows],
            "arch_key": [r[1] for r in rows],
            "naslib_key": [r[2] for r in rows],
            "iso_class": [first[e] for e in exprs],
            "is_degenerate": [r[3] for r in rows],
            "n_conv": [r[4] for r in rows],
        },
        schema_overrides={"arch_id": pl.Int64, "n_conv": pl.Int32},
    )
    return table, [r[5] for r in rows]


def load(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    frames = {}
    for dataset, rel in CSV.items():
        path = files[rel]
        df = read_csv(path, ["file id", "arch str", *COLUMNS], n_rows=nb201.N_ARCHS)
        check_index_range(df["file id"], nb201.N_ARCHS, str(path))
        check_unique(df, ["file id"], str(path))
        if dataset == "cifar10-valid":
            archs = _arch_rows(df, path)  # parse in file order, so errors name the right line
        frames[dataset] = df.sort("file id")
    ref = frames["cifar10-valid"]
    for dataset, df in frames.items():
        differ = (df["arch str"] != ref["arch str"]).arg_true()
        if differ.len():
            i = int(differ[0])
            raise IngestError(f"{files[CSV[dataset]]}: index {df['file id'][i]} has cell {df['arch str'][i]!r} "
                              f"but {CSV['cifar10-valid']} says {ref['arch str'][i]!r}")
    insert_archs(con, *archs)
    for dataset, df in frames.items():
        long = df.select(
            pl.col("file id").cast(pl.Int64).alias("arch_id"),
            *[pl.col(c).cast(pl.Float64).alias(split) for c, split in COLUMNS.items()],
        ).unpivot(index="arch_id", variable_name="split", value_name="value")
        insert(con, "ground_truth", long.with_columns(
            bench=pl.lit("nb201"), dataset=pl.lit(dataset), metric=pl.lit("accuracy"),
            epochs=pl.lit(200, pl.Int32), higher_is_better=pl.lit(True),
            aggregation=pl.lit("mean_over_seeds"), source=pl.lit(NAME),
        ))
    con.execute(
        "INSERT INTO benchmarks VALUES ('nb201', 'NAS-Bench-201 (Dong & Yang, ICLR 2020)', ?, 'Apache-2.0 (mirror files)', ?)",
        [nb201.N_ARCHS, ["https://github.com/D-X-Y/NAS-Bench-201", *FILES]],
    )
