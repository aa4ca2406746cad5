"""NAS-Bench-Suite-Zero (Krishnakumar et al., NeurIPS 2022), early NASLib files: peer proxy values.

Each JSON maps dataset/task -> NASLib tuple -> {proxy: {score, time}, val_accuracy}; every record is
placed through ``archs.naslib_key`` and every proxy score goes to ``proxies`` (source
``peer:nas-bench-suite-zero``); NASLib's failure values (-1e8, -inf) become NULL with a note.
``all_benchmarks_zen.zip`` adds the zen score for all 4,096 TNB101 micro cells x 7 tasks.

``val_accuracy`` is NASLib's view of ground truth:
- TNB101, early JSONs: it equals the TNB101 CSV's valid column (top1, neg_loss, acc or ssim per
  task; the max over epochs) at the id a record is placed on, for every record. That is checked
  here (a mismatch means a misplaced row and stops the ingest) and not stored twice.
- TNB101, zen zip: it is never above that maximum but below it for 60% of the records (another
  epoch, likely the last; GRAF's TNB101 values are the same numbers). Checked (<= the CSV value at
  the placed id) and stored as ground truth with this source, ``aggregation='naslib_val_accuracy'``.
- NB201: it is NOT the benchmark's mean over seeds (it differs by up to 2.5 points from the
  cifar10-valid CSV), so it is stored the same way; NASLib takes CIFAR-10 validation accuracy from
  the cifar10-valid setting, hence that dataset name.
Not read here: ``zc_nasbench301.json`` (job ``nb301``: the file defines that benchmark's archs) and
``zc_nasbench101.json`` (job ``suite_zero_nb101``). The per-proxy compute ``time`` is not stored.
"""
from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import polars as pl

from ingest.peers import (check_tnb101_val, insert_proxies, naslib_key, peer_ground_truth, place,
                          tnb101_val_metric)
from nasdb.errors import IngestError
from nasdb.spaces import tnb101

NAME = "suite_zero"
DIR = "zc/naslib_nbsuitezero_early"
JSON = {"nb201": f"{DIR}/zc_nasbench201.json",
        "tnb101_micro": f"{DIR}/zc_transbench101_micro.json",
        "tnb101_macro": f"{DIR}/zc_transbench101_macro.json"}
ZEN = f"{DIR}/all_benchmarks_zen.zip"
FILES = [*JSON.values(), ZEN]
NEEDS = ["nb201", "tnb101"]
SOURCE = "peer:nas-bench-suite-zero"
_MINE = f"source = '{SOURCE}' AND bench IN ('nb201', 'tnb101_micro', 'tnb101_macro')"  # NB101 rows: another job
OWNS = {"peer_proxies": _MINE, "ground_truth": _MINE}
META = frozenset({"idx", "arch", "val_accuracy"})
NB201_GT_DATASET = {"cifar10": "cifar10-valid", "cifar100": "cifar100", "ImageNet16-120": "ImageNet16-120"}
_ZEN_NAME = re.compile(r"^zen/benchmark--transbench101_micro--(\w+)--\d+\.json$")

Record = tuple[str, str, dict]  # (dataset/task, NASLib key as published, record)


def _json(raw: bytes | str, where: str) -> object:
    try:
        return json.loads(raw)
    except ValueError as e:
        raise IngestError(f"{where}: not valid JSON: {e}") from e


def json_records(path: Path) -> Iterator[Record]:
    data = _json(path.read_bytes(), str(path))
    if not isinstance(data, dict):
        raise IngestError(f"{path}: expected an object dataset -> arch -> record, got {type(data).__name__}")
    for dataset, archs in data.items():
        if not isinstance(archs, dict):
            raise IngestError(f"{path}: {dataset!r}: expected an object arch -> record")
        for key, rec in archs.items():
            yield dataset, key, rec


def zen_records(path: Path) -> Iterator[Record]:
    with zipfile.ZipFile(path) as z:
        for name in sorted(n for n in z.namelist() if not n.endswith("/")):
            m = _ZEN_NAME.match(name)
            if not m or m.group(1) not in tnb101.TASKS:
                raise IngestError(f"{path}: unexpected member {name!r}; expected "
                                  f"zen/benchmark--transbench101_micro--<task>--<start>.json with a TNB101 task")
            records = _json(z.read(name), f"{path}:{name}")
            if not isinstance(records, list):
                raise IngestError(f"{path}:{name}: expected a list of records")
            for rec in records:
                yield m.group(1), rec.get("arch") if isinstance(rec, dict) else None, rec


def flatten(records: Iterator[Record], where: str,
            key_of: Callable[[object, str], str] = naslib_key) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Records -> (long proxy rows, val_accuracy rows), both keyed by (dataset, normalised NASLib key).

    ``key_of(raw, where)`` normalises a published key (default: a flat NASLib tuple)."""
    proxies: dict[str, list] = {"dataset": [], "key": [], "proxy": [], "score": []}
    vals: dict[str, list] = {"dataset": [], "key": [], "value": []}
    for dataset, raw, rec in records:
        here = f"{where}: {dataset} {raw}"
        if not isinstance(rec, dict) or not isinstance(rec.get("val_accuracy"), (int, float)):
            raise IngestError(f"{here}: expected a record with a numeric val_accuracy, got {rec!r:.200}")
        key = key_of(raw, here)
        if "arch" in rec and key_of(rec["arch"], here) != key:
            raise IngestError(f"{here}: record says arch {rec['arch']!r}, filed under {raw!r}")
        for col, v in (("dataset", dataset), ("key", key), ("value", float(rec["val_accuracy"]))):
            vals[col].append(v)
        for proxy, v in rec.items():
            if proxy in META:
                continue
            score = v.get("score") if isinstance(v, dict) else v
            if score is not None and not isinstance(score, (int, float)):
                raise IngestError(f"{here}: proxy {proxy!r} score {score!r} is not a number")
            for col, v in (("dataset", dataset), ("key", key), ("proxy", proxy), ("score", score)):
                proxies[col].append(v)
    return (pl.DataFrame(proxies, schema={"dataset": pl.Utf8, "key": pl.Utf8, "proxy": pl.Utf8, "score": pl.Float64}),
            pl.DataFrame(vals, schema={"dataset": pl.Utf8, "key": pl.Utf8, "value": pl.Float64}))


def _placed(con: duckdb.DuckDBPyConnection, bench: str, df: pl.DataFrame, where: str) -> pl.DataFrame:
    return df.with_columns(bench=pl.lit(bench), arch_id=place(con, bench, df["key"], where)).drop("key")


def load(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    for bench, rel in JSON.items():
        path = files[rel]
        proxies, vals = flatten(json_records(path), str(path))
        vals = _placed(con, bench, vals, str(path))
        if bench == "nb201":
            unknown = set(vals["dataset"]) - set(NB201_GT_DATASET)
            if unknown:
                raise IngestError(f"{path}: unknown NB201 dataset(s) {sorted(unknown)}; "
                                  f"expected {list(NB201_GT_DATASET)}")
            peer_ground_truth(con, vals.with_columns(pl.col("dataset").replace_strict(NB201_GT_DATASET),
                                                     metric=pl.lit("accuracy"), epochs=pl.lit(200)), SOURCE)
        else:
            check_tnb101_val(con, tnb101_val_metric(vals, str(path)), str(path), exact=True)
        insert_proxies(con, _placed(con, bench, proxies, str(path)), SOURCE, str(path))
    path = files[ZEN]
    proxies, vals = flatten(zen_records(path), str(path))
    vals = tnb101_val_metric(_placed(con, "tnb101_micro", vals, str(path)), str(path))
    check_complete(vals, str(path))
    check_tnb101_val(con, vals, str(path), exact=False)
    peer_ground_truth(con, vals, SOURCE)
    insert_proxies(con, _placed(con, "tnb101_micro", proxies, str(path)), SOURCE, str(path))


def check_complete(vals: pl.DataFrame, where: str) -> None:
    """The zen archive covers every micro cell for every task; a missing member or record must not pass."""
    for task in tnb101.TASKS:
        n = vals.filter(pl.col("dataset") == task)["arch_id"].n_unique()
        if n != tnb101.N_MICRO:
            raise IngestError(f"{where}: task {task} covers {n} of the {tnb101.N_MICRO} TNB101 micro cells")
