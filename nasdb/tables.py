"""Print query results as a terminal table or write them as CSV / JSON / Parquet."""
from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from nasdb.errors import NasdbError

FORMATS = ("table", "csv", "json", "parquet")


def show(df: pl.DataFrame, title: str | None = None, max_rows: int = 50) -> None:
    """Render a DataFrame as a rich table (first ``max_rows`` rows)."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, show_lines=False)
    for c in df.columns:
        t.add_column(c, overflow="fold")
    for row in df.head(max_rows).iter_rows():
        t.add_row(*["NULL" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v) for v in row])
    console = Console(width=200 if not sys.stdout.isatty() else None)
    console.print(t)
    if df.height > max_rows:
        console.print(f"... {df.height - max_rows} more row(s); use --format csv or --limit")


def write(df: pl.DataFrame, fmt: str, output: str | None, max_rows: int = 50) -> None:
    """Write ``df`` in ``fmt`` to ``output`` (or stdout where the format allows)."""
    if fmt not in FORMATS:
        raise NasdbError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "table":
        show(df, max_rows=max_rows)
    elif fmt == "parquet":
        if not output:
            raise NasdbError("--format parquet needs --output FILE")
        df.write_parquet(Path(output))
    elif fmt == "csv":
        df.write_csv(output) if output else sys.stdout.write(df.write_csv())
    else:
        df.write_json(output) if output else sys.stdout.write(df.write_json() + "\n")
