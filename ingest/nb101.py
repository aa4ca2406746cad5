"""NAS-Bench-101 (Ying et al., ICML 2019): all 423,624 cells, and the mirrored 20,001-cell subset's results.

The cells come from enumerating the space (nasdb.spaces.nb101_enumerate, cached); arch_key = module
hash, arch_id = position in sorted-hash order, naslib_key = NASLib's 56-tuple (padding vertices
isolated, before the output). ``data-20k.json`` (nasbench-vis) holds, per module hash, the CIFAR-10
validation accuracy after 4/12/36/108 epochs of ONE training run (stored in percent, like every other
accuracy in nasdb, aggregation ``single_run``), the 108-epoch training time and the parameter count.
Every row must find its cell: a hash that is not in the enumeration stops the ingest.
"""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from ingest.rows import check_unique, insert, insert_archs
from nasdb.errors import IngestError
from nasdb.spaces import nb101, nb101_enumerate

NAME = "nb101"
DATA = "nb101/nasbench_vis/data-20k.json"
FILES = [DATA]
NEEDS: list[str] = []
OWNS = {"archs": "bench = 'nb101'", "benchmarks": "bench = 'nb101'", "ground_truth": "source = 'nb101'",
        "costs": "source = 'nb101'"}
EPOCHS = (4, 12, 36, 108)
DATASET = "cifar10"


def tuple_strings(t: np.ndarray) -> list[str]:
    """Rows of single-digit ints -> their Python tuple strings '(0, 1, ...)', built as bytes in one go
    (str() on 423,624 tuples of 56 ints takes longer than the whole rest of the ingest)."""
    n, k = t.shape
    if t.min() < 0 or t.max() > 9:
        raise ValueError("tuple_strings handles single-digit entries only")
    buf = np.full((n, 3 * k), ord(" "), dtype=np.uint8)
    buf[:, 0] = ord("(")
    buf[:, 1::3] = t + ord("0")
    buf[:, 2::3] = ord(",")
    buf[:, -1] = ord(")")
    return np.ascontiguousarray(buf).view(f"S{3 * k}").ravel().astype(f"U{3 * k}").tolist()


def arch_table(cells: nb101_enumerate.Cells) -> tuple[pl.DataFrame, list[dict[str, int]]]:
    """archs rows (and op_counts) for the enumerated cells, arch_id = row = sorted-hash position."""
    tuples = nb101.naslib_tuples(cells.matrices, cells.labels, cells.n_vertices)
    counts = {op: (cells.labels == nb101.HASH_LABELS[op]).sum(axis=1).tolist() for op in nb101.OPS}
    table = pl.DataFrame({
        "bench": "nb101",
        "arch_id": range(len(cells)),
        "arch_key": cells.hashes.tolist(),
        "naslib_key": tuple_strings(tuples),
        "n_conv": [sum(c) for c in zip(*(counts[op] for op in nb101.CONV_OPS))],
    }, schema_overrides={"arch_id": pl.Int64, "n_conv": pl.Int32})
    return table, [dict(zip(nb101.OPS, c)) for c in zip(*(counts[op] for op in nb101.OPS))]


def read_data20k(path: Path) -> pl.DataFrame:
    """The parallel arrays of data-20k.json as one frame, checked for length, uniqueness and range."""
    try:
        raw = json.loads(path.read_bytes())
    except ValueError as e:
        raise IngestError(f"{path}: not valid JSON: {e}") from e
    wanted = ["key", *(f"{e}_final_validation_accuracy" for e in EPOCHS), "final_training_time",
              "trainable_parameters"]
    missing = [k for k in wanted if k not in raw]
    if missing:
        raise IngestError(f"{path}: missing array(s) {missing}; found {sorted(raw)}")
    lengths = {k: len(raw[k]) for k in wanted}
    if len(set(lengths.values())) != 1:
        raise IngestError(f"{path}: arrays differ in length: {lengths}")
    try:
        df = pl.DataFrame({k: raw[k] for k in wanted}, schema_overrides={
            "key": pl.Utf8, **{k: pl.Float64 for k in wanted[1:]}}, strict=True)
    except Exception as e:  # polars raises several types for mixed/non-numeric values
        raise IngestError(f"{path}: non-numeric value in a numeric array: {e}") from e
    check_unique(df, ["key"], str(path))
    for k in wanted[1:]:
        bad = df.with_row_index("i").filter(pl.col(k).is_null() | pl.col(k).is_nan() | (pl.col(k) < 0)
                                             | ((pl.col(k) > 1) if "accuracy" in k else pl.lit(False)))
        if bad.height:
            i = bad["i"][0]
            raise IngestError(f"{path}: {k}[{i}] (key {df['key'][i]}) = {df[k][i]!r}; expected "
                              + ("an accuracy in 0..1" if "accuracy" in k else "a number >= 0"))
    return df


def positions(hashes: np.ndarray, keys: pl.Series, where: str) -> pl.Series:
    """arch_id (= position among the sorted hashes) of each key; the first unknown key is an error."""
    keys_arr = keys.to_numpy().astype(hashes.dtype)
    idx = np.minimum(np.searchsorted(hashes, keys_arr), len(hashes) - 1)
    missing = np.flatnonzero(hashes[idx] != keys_arr)
    if len(missing):
        i = int(missing[0])
        raise IngestError(f"{where}: row {i + 1} (key[{i}]): unknown nb101 architecture {keys[i]!r}: no enumerated "
                          f"cell has that module hash; {len(missing)} such row(s)")
    return pl.Series("arch_id", idx, dtype=pl.Int64)


def load(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    path = files[DATA]
    df = read_data20k(path)
    cells = nb101_enumerate.load()
    df = df.with_columns(arch_id=positions(cells.hashes, df["key"], str(path)))  # fails before any insert
    insert_archs(con, *arch_table(cells))
    acc = df.select("arch_id", *[(pl.col(f"{e}_final_validation_accuracy") * 100).alias(str(e)) for e in EPOCHS])
    insert(con, "ground_truth", acc.unpivot(index="arch_id", variable_name="epochs", value_name="value").with_columns(
        pl.col("epochs").cast(pl.Int32), bench=pl.lit("nb101"), dataset=pl.lit(DATASET), split=pl.lit("valid"),
        metric=pl.lit("accuracy"), higher_is_better=pl.lit(True), aggregation=pl.lit("single_run"),
        source=pl.lit(NAME)))
    costs = pl.concat([
        df.select("arch_id", value="final_training_time", metric=pl.lit("training_time_108ep"), unit=pl.lit("s")),
        df.select("arch_id", value="trainable_parameters", metric=pl.lit("params"), unit=pl.lit("count")),
    ])
    insert(con, "costs", costs.with_columns(bench=pl.lit("nb101"), dataset=pl.lit(DATASET), source=pl.lit(NAME)))
    con.execute(
        "INSERT INTO benchmarks VALUES ('nb101', 'NAS-Bench-101 (Ying et al., ICML 2019)', ?, "
        "'Apache-2.0 (code), CC BY 4.0 (data); nasbench-vis subset: ISC', ?)",
        [nb101.N_ARCHS, ["https://github.com/google-research/nasbench", *FILES]],
    )
