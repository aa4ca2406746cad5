"""Helpers shared by the jobs that ingest published (peer) values keyed by NASLib tuples.

Peer files key architectures by NASLib op tuples (``"(4, 3, 3, 0, 0, 0)"``) and mark failed proxy
computations with sentinels (``-1e8``, ``-inf``, NaN). These helpers normalise the keys, place
rows through ``archs.naslib_key`` (failing on any row that cannot be placed) and turn sentinels
into NULL values with a note, never into numbers.
"""
from __future__ import annotations

import math

import duckdb
import polars as pl

from ingest import tnb101 as tnb101_job
from ingest.rows import arch_ids, check_unique, insert
from nasdb import store
from nasdb.errors import IngestError

SENTINEL = -1e8  # NASLib's "this proxy failed" value (e.g. epe_nas on some archs)
# the TNB101 CSV metric that NASLib reports as val_accuracy, per task
TNB101_VAL = {"class_scene": "top1", "class_object": "top1", "jigsaw": "top1", "room_layout": "neg_loss",
              "segmentsemantic": "acc", "normal": "ssim", "autoencoder": "ssim"}


def naslib_key(raw: object, where: str) -> str:
    """A NASLib tuple key in the form archs.naslib_key stores it (``str(tuple)``)."""
    try:
        key = tuple(int(x) for x in str(raw).strip().strip("()").split(","))
    except ValueError:
        raise IngestError(f"{where}: malformed NASLib key {raw!r}; expected a tuple like '(4, 3, 3, 0, 0, 0)'")
    return str(key)


def naslib_keys(raw: pl.Series | list, where: str) -> pl.Series:
    """Normalise a column of keys (each distinct value parsed once; errors name the first bad row)."""
    raw = pl.Series("key", raw).cast(pl.Utf8)
    first_row = {v: i for i, v in reversed(list(enumerate(raw)))}
    norm = {v: naslib_key(v, f"{where}, row {i + 1}") for v, i in first_row.items()}
    return raw.replace_strict(norm, return_dtype=pl.Utf8)


def place(con: duckdb.DuckDBPyConnection, bench: str, raw_keys: pl.Series | list, where: str) -> pl.Series:
    """arch_id of each NASLib key; IngestError names the first key that is unknown."""
    return arch_ids(con, bench, naslib_keys(raw_keys, where), by="naslib_key", where=where)


def clean_score(value: object) -> tuple[float | None, str | None]:
    """A published proxy score as (value, note): sentinels and non-finite numbers become (None, why)."""
    if value is None:
        return None, "missing in the published file"
    v = float(value)
    if math.isnan(v):
        return None, "NaN in the published file"
    if math.isinf(v):
        return None, f"{v} in the published file (computation failed)"
    if v == SENTINEL:
        return None, "NASLib failure sentinel -1e8 in the published file"
    return v, None


def insert_proxies(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame, source: str, where: str,
                   note: str | None = None) -> int:
    """Insert long-format peer proxy rows (bench, arch_id, dataset, proxy, raw score).

    Sentinels become NULL with a note; ``note`` is added to every row (e.g. which formula a name means).
    """
    check_unique(rows, ["bench", "arch_id", "dataset", "proxy"], where)
    cleaned = [clean_score(v) for v in rows["score"]]
    notes = [n if note is None else (f"{note}; {n}" if n else note) for _, n in cleaned]
    out = rows.drop("score").with_columns(
        value=pl.Series([v for v, _ in cleaned], dtype=pl.Float64),
        note=pl.Series(notes, dtype=pl.Utf8),
        source=pl.lit(source),
    )
    return insert(con, "peer_proxies", out.with_columns(pl.col("arch_id").cast(pl.Int64)))


def peer_ground_truth(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame, source: str) -> int:
    """Insert peer validation values (bench, arch_id, dataset, metric, epochs, value): NASLib's view of ground truth."""
    return insert(con, "ground_truth", rows.with_columns(
        pl.col("arch_id").cast(pl.Int64), pl.col("value").cast(pl.Float64), pl.col("epochs").cast(pl.Int32),
        split=pl.lit("valid"), higher_is_better=pl.lit(True), aggregation=pl.lit("naslib_val_accuracy"),
        source=pl.lit(source),
    ))


def tnb101_val_metric(vals: pl.DataFrame, where: str) -> pl.DataFrame:
    """Add the metric and epochs that NASLib's TNB101 ``val_accuracy`` stands for, per task."""
    unknown = set(vals["dataset"]) - set(TNB101_VAL)
    if unknown:
        raise IngestError(f"{where}: unknown TNB101 task(s) {sorted(unknown)}; expected {sorted(TNB101_VAL)}")
    return vals.with_columns(metric=pl.col("dataset").replace_strict(TNB101_VAL),
                             epochs=pl.col("dataset").replace_strict(tnb101_job.EPOCHS, return_dtype=pl.Int32))


def check_tnb101_val(con: duckdb.DuckDBPyConnection, vals: pl.DataFrame, where: str, exact: bool) -> None:
    """Check NASLib's TNB101 val_accuracy against the CSV's valid value (max over epochs) at the placed id.

    The early Suite-Zero files copy that maximum (``exact``: must be equal); later NASLib files hold
    another epoch's value, which can only be lower or equal. Either way a wrongly placed record shows.
    """
    ours = store.frame(con, "SELECT bench, arch_id, dataset, metric, value AS ours FROM ground_truth "
                            "WHERE source = 'tnb101' AND split = 'valid'")
    joined = vals.join(ours, on=["bench", "arch_id", "dataset", "metric"], how="left")
    tol = 1e-9 * pl.max_horizontal(pl.lit(1.0), pl.col("ours").abs())
    diff = pl.col("value") - pl.col("ours")
    bad = joined.filter(pl.col("ours").is_null() | (diff.abs() > tol if exact else diff > tol))
    if bad.height:
        r = bad.row(0, named=True)
        rule = "equal to" if exact else "at most"
        raise IngestError(f"{where}: {r['dataset']} record placed at {r['bench']} id {r['arch_id']} has val_accuracy "
                          f"{r['value']}, but it must be {rule} the TNB101 CSV's valid {r['metric']} there "
                          f"({r['ours']}); {bad.height} such record(s): the NASLib key -> id join is wrong")
