"""NAS-Bench-Suite-Zero (Krishnakumar et al., NeurIPS 2022), early NASLib file for NB101: 500 cells.

Each record is keyed by NASLib's 56-tuple of the *unpruned* spec NASLib sampled (isolated or dangling
vertices included, so it need not equal ``archs.naslib_key``); it is placed by pruning that spec and
taking its module hash (``archs.arch_key``). The 11 proxy scores go to ``proxies`` (source
``peer:nas-bench-suite-zero``, dataset cifar10) and ``val_accuracy`` (percent, NASLib's 108-epoch
CIFAR-10 validation accuracy) to ground truth with ``aggregation='naslib_val_accuracy'``. Several records can be the same cell
(500 records, 292 cells): per cell the mean of its records is stored, with a note on each proxy row.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl

from ingest.peers import SENTINEL, insert_proxies, peer_ground_truth
from ingest.rows import arch_ids
from ingest.suite_zero import SOURCE, Record, flatten
from nasdb.errors import ArchStringError, IngestError
from nasdb.spaces import nb101

NAME = "suite_zero_nb101"
JSON = "zc/naslib_nbsuitezero_early/zc_nasbench101.json"
FILES = [JSON]
NEEDS = ["nb101"]
_MINE = f"source = '{SOURCE}' AND bench = 'nb101'"
OWNS = {"peer_proxies": _MINE, "ground_truth": _MINE}
DATASET = "cifar10"


def _hashes(keys: pl.Series, where: str) -> pl.Series:
    """NASLib 56-tuple -> module hash of the pruned cell, naming the first key that is not a valid cell."""
    out = {}
    for key in keys.unique(maintain_order=True):
        try:
            out[key] = nb101.from_naslib(key).hash
        except ArchStringError as e:
            raise IngestError(f"{where}: NASLib key {key}: {e}") from e
    return keys.replace_strict(out, return_dtype=pl.Utf8)


def records(path: Path) -> Iterator[Record]:
    """The file nests one level deeper than the other Suite-Zero files: {"nasbench101": {dataset: {key: rec}}}."""
    try:
        data = json.loads(path.read_bytes())
        by_dataset = data["nasbench101"]
        items = [(dataset, key, rec) for dataset, archs in by_dataset.items() for key, rec in archs.items()]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise IngestError(f"{path}: expected JSON {{\"nasbench101\": {{dataset: {{NASLib key: record}}}}}}: "
                          f"{type(e).__name__}: {e}") from e
    yield from items


def _mean_per_cell(df: pl.DataFrame, value: str, keys: list[str]) -> pl.DataFrame:
    """One row per cell: several published keys can prune to the same cell (292 cells in 500 records)."""
    return df.group_by(keys, maintain_order=True).agg(pl.col(value).mean(), n=pl.len())


def load(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    path = files[JSON]
    proxies, vals = flatten(records(path), str(path))
    unknown = set(vals["dataset"]) - {DATASET}
    if unknown:
        raise IngestError(f"{path}: unexpected dataset(s) {sorted(unknown)}; the NB101 file holds only {DATASET}")
    bad = proxies.filter(pl.col("score").is_null() | ~pl.col("score").is_finite() | (pl.col("score") == SENTINEL))
    if bad.height:  # none in the published file; averaging would hide them, so refuse
        raise IngestError(f"{path}: key {bad['key'][0]}: proxy {bad['proxy'][0]} has no valid score "
                          f"({bad['score'][0]}); this job expects every NB101 score to be a finite number")

    def placed(df: pl.DataFrame) -> pl.DataFrame:
        ids = arch_ids(con, "nb101", _hashes(df["key"], str(path)), where=str(path))
        return df.with_columns(bench=pl.lit("nb101"), arch_id=ids).drop("key")

    gt = _mean_per_cell(placed(vals), "value", ["bench", "arch_id", "dataset"])
    peer_ground_truth(con, gt.drop("n").with_columns(metric=pl.lit("accuracy"), epochs=pl.lit(108)), SOURCE)
    per_cell = _mean_per_cell(placed(proxies), "score", ["bench", "arch_id", "dataset", "proxy"])
    for n, group in per_cell.group_by("n"):
        note = None if n[0] == 1 else (f"mean of the {n[0]} Suite-Zero records whose NASLib specs prune to this "
                                       f"cell (different unpruned specs and initialisations)")
        insert_proxies(con, group.drop("n"), SOURCE, str(path), note=note)
