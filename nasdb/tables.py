"""Print query results as a terminal table or write them as CSV / JSON / Parquet."""
from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

from nasdb.errors import NasdbError

FORMATS = ("table", "csv", "json", "parquet")


def cell(v: object) -> str:
    """How one value reads in a terminal table (NULL spelled out, floats to 6 significant digits)."""
    return "NULL" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)


def show(df: pl.DataFrame, title: str | None = None, max_rows: int = 50,
         more: str = "use --max-rows N or --format csv") -> None:
    """Render a DataFrame as a rich table (first ``max_rows`` rows); ``more`` says how to see the rest.

    Values and column names are rich ``Text``, never markup: a value such as ``[bold]x[/bold]`` or
    ``postgres:x:101`` is shown as it is stored, not styled or turned into an emoji.
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table(title=Text(title) if title else None, show_lines=False)
    for c in df.columns:
        t.add_column(Text(c), overflow="fold")
    for row in df.head(max_rows).iter_rows():
        t.add_row(*[Text(cell(v)) for v in row])
    console = Console(width=200 if not sys.stdout.isatty() else None)
    console.print(t)
    if df.height > max_rows:
        console.print(Text(f"... {df.height - max_rows} more row(s); {more}"))


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
