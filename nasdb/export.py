"""Parquet export of the database: every public table, optional wide per-benchmark views, and a README.

Files are written into a staging folder inside the target directory and moved into place only when
every one of them is complete, so a reader never sees half a file and a failure (a read-only or
full disk, a path that is a file or a directory) leaves nothing behind: one error line, no ``.tmp``.
Paths reach DuckDB through its relation API, never pasted into SQL (``out/it's`` is a fine name).
Files that an earlier export listed in its README and this one does not write are removed, so a
re-export into the same directory holds exactly one export. Rows are sorted (ORDER BY ALL) so that exports of equal databases are
equal. The README describes each file's columns from the SQL comments of the schema (nasdb/store.py,
nasdb/evaluate/schema.py): the schema is documented in one place.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import duckdb

from nasdb import __version__, store
from nasdb.errors import NasdbError
from nasdb.evaluate import schema as eval_schema

TABLES = (*store.PUBLIC_TABLES, "meta", *eval_schema.TABLES)
FORMATS = ("parquet",)
_COLUMN_COMMENT = re.compile(r"^\s+(\w+)\s+[A-Z][^-]*--\s*(.+?)\s*$")
_CREATE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")


def column_comments() -> dict[tuple[str, str], str]:
    """(table, column) -> the comment written next to the column in the DDL."""
    out, table = {}, None
    for ddl in (store.SCHEMA, eval_schema.DDL):
        for line in ddl.splitlines():
            if m := _CREATE.search(line):
                table = m.group(1)
            elif table and (m := _COLUMN_COMMENT.match(line)):
                out[(table, m.group(1))] = m.group(2)
    return out


def _existing(con: duckdb.DuckDBPyConnection) -> list[str]:
    have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return [t for t in TABLES if t in have]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Select list that writes JSON columns as plain strings: polars reads Parquet's JSON annotation as binary."""
    cols = con.execute(f"DESCRIBE {table}").fetchall()
    return ", ".join(f'"{c[0]}"::VARCHAR AS "{c[0]}"' if c[1] == "JSON" else f'"{c[0]}"' for c in cols)


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    con.sql(query).write_parquet(str(path))


def wide_query(con: duckdb.DuckDBPyConnection, bench: str) -> str:
    """One row per arch of ``bench``: arch columns, one column per ground-truth target and per proxy.

    Ground-truth columns are named ``gt:<dataset>/<split>/<metric>@<epochs>[ <source>]`` (the source only
    for copies published by peers), proxy columns ``proxy:<proxy>@<source>[/<dataset>]``.
    """
    quoted = bench.replace("'", "''")
    long = f"""
        SELECT arch_id, 'gt:' || dataset || '/' || split || '/' || metric || '@' || coalesce(epochs::VARCHAR, '?')
               || CASE WHEN source LIKE 'peer:%' THEN ' ' || source ELSE '' END AS col, value
        FROM ground_truth WHERE bench = '{quoted}'
        UNION ALL
        SELECT arch_id, 'proxy:' || proxy || '@' || source || CASE WHEN dataset = '' THEN '' ELSE '/' || dataset END,
               value
        FROM proxies WHERE bench = '{quoted}'"""
    names = [r[0] for r in con.execute(f"SELECT DISTINCT col FROM ({long}) ORDER BY col").fetchall()]
    pivot = ", ".join("first(value) FILTER (WHERE col = '{0}') AS \"{1}\"".format(c.replace("'", "''"),
                                                                                c.replace('"', '""'))
                      for c in names)
    return f"""
    WITH long AS ({long}), wide AS (SELECT arch_id{', ' + pivot if pivot else ''} FROM long GROUP BY arch_id)
    SELECT a.arch_id, a.arch_key, a.naslib_key, a.iso_class, a.is_degenerate, a.n_conv, wide.* EXCLUDE (arch_id)
    FROM archs a LEFT JOIN wide USING (arch_id) WHERE a.bench = '{quoted}' ORDER BY a.arch_id"""


def _previous_files(out: Path) -> set[str]:
    """File names an earlier nasdb export wrote into ``out`` (its README lists them as ``## name (N rows)``)."""
    readme = out / "README.md"
    if not readme.is_file() or not readme.read_text(errors="replace").startswith("# nasdb export"):
        return set()
    return set(re.findall(r"^## (\S+\.parquet) \(", readme.read_text(errors="replace"), flags=re.M))


def _prepare(out: Path, names: list[str]) -> bool:
    """Create ``out`` if needed (True if created here); refuse targets that cannot hold the export."""
    if out.exists() and not out.is_dir():
        raise NasdbError(f"export target {out} exists and is not a directory")
    for name in names:
        if (out / name).is_dir():
            raise NasdbError(f"cannot export {name}: {out / name} is a directory; remove it or choose another DIR")
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise NasdbError(f"cannot create export directory {out}: {e.strerror or e}") from e
    return created


def export_parquet(con: duckdb.DuckDBPyConnection, out_dir: str | Path, wide: bool = False) -> list[Path]:
    """Write ``<table>.parquet`` for every table (and ``wide_<bench>.parquet`` if ``wide``) plus README.md."""
    out = Path(out_dir)
    benches = [r[0] for r in con.execute("SELECT DISTINCT bench FROM archs ORDER BY bench").fetchall()] if wide else []
    jobs = [(f"{t}.parquet", f"SELECT {_columns(con, t)} FROM {t} ORDER BY ALL") for t in _existing(con)]
    jobs += [(f"wide_{b}.parquet", wide_query(con, b)) for b in benches]
    created = _prepare(out, [name for name, _ in jobs] + ["README.md"])
    con.execute("SET enable_progress_bar = false")
    staging = None
    try:
        staging = Path(tempfile.mkdtemp(prefix=".nasdb-export-", suffix=".tmp", dir=out))
        for name, query in jobs:
            _copy(con, query, staging / name)
        written = [staging / name for name, _ in jobs]
        (staging / "README.md").write_text(_readme(con, written))
        stale = _previous_files(out) - {name for name, _ in jobs}
        for name in [*(n for n, _ in jobs), "README.md"]:
            os.replace(staging / name, out / name)
        for name in stale:
            (out / name).unlink(missing_ok=True)
    except (OSError, duckdb.Error) as e:
        if created:
            shutil.rmtree(out, ignore_errors=True)
        reason = getattr(e, "strerror", None) or str(e).splitlines()[0]
        raise NasdbError(f"export to {out} failed, nothing written: {reason}") from e
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return [*(out / name for name, _ in jobs), out / "README.md"]


def _readme(con: duckdb.DuckDBPyConnection, files: list[Path]) -> str:
    comments = column_comments()
    lines = [f"# nasdb export (nasdb {__version__})", "",
             "Parquet files, one per table of the nasdb DuckDB database; rows sorted by all columns. Read with",
             "`polars.read_parquet`, `duckdb.read_parquet` or `pyarrow.parquet.read_table`. Benchmark values come",
             "from the public sources listed in `sources.parquet` (origin URL, sha256, license) and keep their",
             "licenses and citations.", ""]
    for path in files:
        name = path.stem
        written = con.read_parquet(str(path))
        n = written.count("*").fetchall()[0][0]
        cols = [(c, str(t)) for c, t in zip(written.columns, written.types)]
        lines += [f"## {path.name} ({n} rows)", ""]
        if name.startswith("wide_"):
            lines += [f"One row per architecture of `{name[5:]}`: its arch columns, then one column per "
                      "ground-truth target named `gt:<dataset>/<split>/<metric>@<epochs>` (with the publisher "
                      "appended for peers' copies) and one per proxy named `proxy:<proxy>@<source>[/<dataset>]`.",
                      ""]
            cols = cols[:6]
        lines += ["| column | type | meaning |", "|---|---|---|"]
        table = name if not name.startswith("wide_") else "archs"
        lines += [f"| {c[0]} | {c[1]} | {comments.get((table, c[0]), '')} |" for c in cols]
        lines.append("")
    return "\n".join(lines)
