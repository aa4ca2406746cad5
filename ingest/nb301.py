"""NAS-Bench-301 (Siems et al., 2020): the NAS-Bench-Suite-Zero sample of 725 DARTS-space architectures.

NB301 is a surrogate benchmark: no table of trained networks exists, a model predicts the accuracy
of any DARTS cell. The early Suite-Zero file ``zc_nasbench301.json`` (Krishnakumar et al., NeurIPS
2022, from NASLib) holds 725 architectures in NASLib's compact code, each with ``val_accuracy`` (the
NB301 surrogate's CIFAR-10 validation accuracy after NB301's 100-epoch schedule) and 12 proxies,
and ``idx`` 0..724 (NASLib's sample order), used as ``arch_id``. So this file defines the benchmark:
its records become the ``nb301`` archs, the surrogate prediction its ground truth
(``aggregation='nb301_surrogate_prediction'``), the proxies peer rows (source
``peer:nas-bench-suite-zero``), and NASLib's ``params`` / ``flops`` also go to ``costs``.
NASLib's params count its NB301 model exactly (see ``nasdb/nets/darts.py``: cell-op BN without
scale/shift), which tests check for every record.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from ingest.peers import insert_proxies
from ingest.rows import check_index_range, check_unique, insert, insert_archs
from ingest.suite_zero import SOURCE, flatten, json_records
from nasdb.errors import ArchStringError, IngestError
from nasdb.spaces import nb301

NAME = "nb301"
FILE = "zc/naslib_nbsuitezero_early/zc_nasbench301.json"
FILES = [FILE]
NEEDS: list[str] = []
OWNS = {"archs": "bench = 'nb301'", "benchmarks": "bench = 'nb301'", "ground_truth": "bench = 'nb301'",
        "peer_proxies": f"bench = 'nb301' AND source = '{SOURCE}'", "costs": "bench = 'nb301'"}
N_ARCHS = 725
EPOCHS = 100  # NB301's training schedule, which its surrogate predicts
AGGREGATION = "nb301_surrogate_prediction"
COSTS = {"params": "M", "flops": "MFLOPs"}


def canonical_code(raw: object, where: str) -> str:
    """A published compact code in canonical form (each node's inputs sorted); IngestError if not NB301."""
    try:
        return nb301.naslib_string(nb301.parse(str(raw)))
    except ArchStringError as e:
        raise IngestError(f"{where}: {e}") from e


def _arch_rows(path: Path, records: list) -> tuple[pl.DataFrame, list[dict[str, int]]]:
    ids, keys, codes, isos, degenerate, convs, counts = [], [], [], [], [], [], []
    for dataset, raw, rec in records:
        where = f"{path}: {dataset} {raw}"
        try:
            idx = int(rec["idx"])
        except (KeyError, TypeError, ValueError):
            raise IngestError(f"{where}: expected an integer 'idx', got {rec.get('idx') if isinstance(rec, dict) else rec!r}")
        try:
            g = nb301.parse(str(raw))
        except ArchStringError as e:
            raise IngestError(f"{where}: {e}") from e
        ids.append(idx)
        keys.append(nb301.key(g))
        codes.append(nb301.naslib_string(g))
        isos.append(nb301.iso_key(g))
        degenerate.append(nb301.is_degenerate(g))
        convs.append(nb301.n_conv(g))
        counts.append(nb301.op_counts(g))
    first: dict[str, int] = {}
    for i, iso in sorted(zip(ids, isos)):
        first.setdefault(iso, i)
    table = pl.DataFrame({"bench": NAME, "arch_id": ids, "arch_key": keys, "naslib_key": codes,
                          "iso_class": [first[k] for k in isos], "is_degenerate": degenerate, "n_conv": convs},
                         schema_overrides={"arch_id": pl.Int64, "iso_class": pl.Int64, "n_conv": pl.Int32})
    check_index_range(table["arch_id"], N_ARCHS, str(path))
    check_unique(table, ["arch_id"], f"{path} (idx)")
    check_unique(table, ["arch_key"], f"{path} (architecture)")
    return table, counts


def load(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    path = files[FILE]
    records = list(json_records(path))
    datasets = {d for d, _, _ in records}
    if datasets != {nb301.DATASET}:
        raise IngestError(f"{path}: datasets {sorted(datasets)}; expected only {nb301.DATASET!r}")
    if len(records) != N_ARCHS:
        raise IngestError(f"{path}: {len(records)} records; expected {N_ARCHS} (truncated or extended file?)")
    archs, counts = _arch_rows(path, records)
    insert_archs(con, archs, counts)
    place = pl.DataFrame({"key": archs["naslib_key"], "arch_id": archs["arch_id"]})
    proxies, vals = (df.join(place, on="key", how="left").drop("key").with_columns(bench=pl.lit(NAME))
                     for df in flatten(iter(records), str(path), key_of=canonical_code))
    insert(con, "ground_truth", vals.with_columns(
        split=pl.lit("valid"), metric=pl.lit("accuracy"), epochs=pl.lit(EPOCHS, pl.Int32),
        higher_is_better=pl.lit(True), aggregation=pl.lit(AGGREGATION), source=pl.lit(NAME)))
    insert_proxies(con, proxies, SOURCE, str(path))
    costs = proxies.filter(pl.col("proxy").is_in(list(COSTS))).rename({"proxy": "metric", "score": "value"})
    insert(con, "costs", costs.with_columns(unit=pl.col("metric").replace_strict(COSTS), source=pl.lit(SOURCE)))
    con.execute("INSERT INTO benchmarks VALUES (?, ?, ?, ?, ?)",
                [NAME, "NAS-Bench-301 (Siems et al., 2020): the NAS-Bench-Suite-Zero sample, surrogate accuracy",
                 N_ARCHS, "Apache-2.0 (mirror files)", ["https://github.com/automl/nasbench301", *FILES]])
