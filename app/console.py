"""The SQL console's executor: one read-only statement, a row limit and a time limit.

DuckDB has no statement timeout, so the query runs in a worker thread and the connection is
interrupted when the limit passes. The sandbox (app.db.SANDBOX) is what actually refuses file,
network, extension and settings access; the statement-type check here only gives a clearer message
before DuckDB would refuse.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from app import db

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN, duckdb.StatementType.PRAGMA}


@dataclass(frozen=True)
class Result:
    """Rows (at most ``row_limit``), whether more existed, and the error message if the query failed."""

    sql: str
    frame: pl.DataFrame | None
    truncated: bool = False
    error: str | None = None


def check(sql: str) -> str | None:
    """Why ``sql`` may not run in the console, or None if it may (one SELECT / EXPLAIN / PRAGMA)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as e:
        return f"SQL error: {e}"
    if len(statements) != 1:
        return f"Run exactly one statement at a time (found {len(statements)})."
    kind = statements[0].type
    if kind not in ALLOWED:
        return (f"Refused: the console is read-only and runs only SELECT, EXPLAIN or PRAGMA queries "
                f"(this is a {kind.name} statement).")
    return None


def _fetch(con: duckdb.DuckDBPyConnection, sql: str, row_limit: int) -> tuple[pl.DataFrame, bool]:
    relation = con.sql(sql)
    if relation is None:  # a statement without a result set
        return pl.DataFrame(), False
    reader = relation.to_arrow_reader(batch_size=min(row_limit + 1, 100_000))
    batches, n = [], 0
    for batch in reader:
        batches.append(batch)
        n += batch.num_rows
        if n > row_limit:
            break
    table = pa.Table.from_batches(batches, schema=reader.schema)
    return pl.from_arrow(table.slice(0, row_limit)), n > row_limit


def run(sql: str, row_limit: int = 10_000, seconds: float = 10.0, path: Path | None = None) -> Result:
    """Execute ``sql`` on the snapshot; every failure comes back as a message, never an exception."""
    refusal = check(sql)
    if refusal:
        return Result(sql, None, error=refusal)
    con = db.connect(path)
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["value"] = _fetch(con, sql, row_limit)
        except Exception as e:  # every DuckDB/conversion failure becomes a message for the user
            outcome["error"] = e

    worker = threading.Thread(target=work, daemon=True)
    try:
        worker.start()
        worker.join(seconds)
        if worker.is_alive():
            con.interrupt()
            worker.join(5.0)
            return Result(sql, None, error=f"Stopped: the query ran longer than the {seconds:g} s time limit.")
    finally:
        con.close()
    if "error" in outcome:
        return Result(sql, None, error=f"{type(outcome['error']).__name__}: {outcome['error']}")
    frame, truncated = outcome["value"]
    return Result(sql, frame, truncated=truncated)
