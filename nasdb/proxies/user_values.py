"""A user's proxy values from a file or a frame: read, place every row on an architecture, check.

Files: CSV, Parquet, JSON (a list of records, an object key -> number, or NASLib's zero-cost layout
dataset -> NASLib key -> {proxy: {"score": s, "time": t}, "val_accuracy": v}). Keys are placed by
asking the benchmark's space (``nasdb.spaces``): the official string / canonical ``arch_key``, the
``naslib_key`` column, an official index (``Space.index_text``), or any other encoding ``Space.arch_key``
accepts (an NB101 spec, ...). The detected format is named after the space's own encodings.

Every row must be placed: unplaceable keys, duplicate (arch, dataset) rows and non-numeric values
raise one :class:`ImportValuesError` with the counts and the first offenders with their line numbers.
Without ``allow_missing`` every architecture of the benchmark must have a value (per dataset).
Nothing here writes; :mod:`nasdb.proxies.user_import` stores, :mod:`nasdb.evaluate.user` evaluates.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from nasdb import spaces
from nasdb.errors import ArchStringError, NasdbError
from nasdb.sources import sha256_of as sha256  # one file hash for downloads, caches and parts

KEY_COLUMNS = ("arch", "arch_key", "key", "arch_str", "architecture", "index", "arch_id", "hash", "naslib")
NASLIB_META = frozenset({"idx", "arch", "val_accuracy"})
SHOWN = 5  # offenders named per kind of problem
_INTS = re.compile(r"-?\d+")


class ImportValuesError(NasdbError):
    """A user's values cannot all be placed (bad keys, duplicates, non-numeric values, missing archs)."""


@dataclass
class Table:
    """Rows as read: where each came from (line/record), its raw key and value, its dataset."""

    frame: pl.DataFrame          # columns: where, key, value (raw strings), dataset
    origin: str                  # file name or "frame"
    sha256: str | None
    columns: dict = field(default_factory=dict)   # which columns were read as key / value / dataset


@dataclass
class Placed:
    """The values on architectures, with how their keys were read."""

    values: pl.DataFrame         # arch_id, dataset, value
    bench: str
    key_formats: dict[str, int]  # detected format -> rows
    n_rows: int
    n_archs: int                 # distinct archs covered
    n_space: int                 # archs of the benchmark in the database
    table: Table

    def coverage(self) -> str:
        return f"{self.n_archs:,} of {self.n_space:,} {self.bench} archs ({100 * self.n_archs / self.n_space:.1f}%)"



def _pick(columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str, where: str) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise ImportValuesError(f"{where}: no {what} column {wanted!r}; columns: {', '.join(columns)}")
        return wanted
    found = [c for c in columns if c.lower() in candidates]
    if not found:
        raise ImportValuesError(f"{where}: cannot tell the {what} column among {', '.join(columns)}; "
                                f"name it with --{what}")
    return found[0]


def _as_text(s: pl.Series) -> pl.Series:
    """Keys as text: lists (a NASLib tuple in Parquet) as '(a, b, ...)', numbers as digits."""
    if isinstance(s.dtype, pl.List | pl.Array):
        return pl.Series(s.name, [None if v is None else str(tuple(v)) for v in s.to_list()], dtype=pl.Utf8)
    return s.cast(pl.Utf8)


def _from_frame(df: pl.DataFrame, key: str | None, value: str | None, name: str | None, where: str,
                first_line: int, unit: str) -> tuple[pl.DataFrame, dict]:
    cols = df.columns
    key = _pick(cols, key, KEY_COLUMNS, "key", where)
    if value is None:
        rest = [c for c in cols if c not in (key, "dataset")]
        value = name if name in rest else (rest[0] if len(rest) == 1 else None)
        if value is None:
            raise ImportValuesError(f"{where}: cannot tell the value column among {', '.join(rest) or 'none'}; "
                                    "name it with --value")
    value = _pick(cols, value, (), "value", where)
    out = pl.DataFrame({
        "where": [f"{unit} {i + first_line}" for i in range(df.height)],
        "key": _as_text(df[key]),
        "value": df[value].cast(pl.Utf8),
        "dataset": df["dataset"].cast(pl.Utf8) if "dataset" in cols else pl.Series([None] * df.height, dtype=pl.Utf8),
    })
    return out, {"key": key, "value": value, **({"dataset": "dataset"} if "dataset" in cols else {})}


def _naslib_layout(data: dict) -> bool:
    first = next(iter(data.values()), None)
    return isinstance(first, dict) and all(isinstance(v, dict) for v in list(first.values())[:5])


def _from_naslib(data: dict, value: str | None, name: str | None, where: str) -> tuple[pl.DataFrame, dict]:
    """dataset -> NASLib key -> {proxy: {score, time} | number, ...}: one proxy's scores."""
    proxies = sorted({p for recs in data.values() for rec in list(recs.values())[:1] for p in rec} - NASLIB_META)
    if value is None:
        value = name if name in proxies else (proxies[0] if len(proxies) == 1 else None)
    if value not in proxies and value != "val_accuracy":
        raise ImportValuesError(f"{where}: NASLib zero-cost file; name the proxy to import with --value "
                                f"(one of {', '.join(proxies)})")
    rows = {"where": [], "key": [], "value": [], "dataset": []}
    for dataset, recs in data.items():
        for k, rec in recs.items():
            v = rec.get(value) if isinstance(rec, dict) else None
            v = v.get("score") if isinstance(v, dict) else v
            for col, x in (("where", f"record {dataset}/{k}"), ("key", k), ("value", None if v is None else str(v)),
                           ("dataset", dataset)):
                rows[col].append(x)
    return pl.DataFrame(rows, schema={c: pl.Utf8 for c in rows}), {"layout": "naslib-zc", "value": value,
                                                                   "dataset": "top-level keys"}


def read(source: str | Path | pl.DataFrame, key: str | None = None, value: str | None = None,
         name: str | None = None) -> Table:
    """Rows of a file (CSV, Parquet, JSON incl. NASLib's zero-cost layout) or a DataFrame, keys and values raw."""
    if isinstance(source, pl.DataFrame):
        frame, cols = _from_frame(source, key, value, name, "frame", 0, "row")
        return Table(frame, "frame", None, cols)
    path = Path(source)
    if not path.is_file():
        raise ImportValuesError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            df = pl.read_csv(path, infer_schema_length=0, separator="\t" if suffix == ".tsv" else ",")
            frame, cols = _from_frame(df, key, value, name, str(path), 2, "line")
        elif suffix in (".parquet", ".pq"):
            frame, cols = _from_frame(pl.read_parquet(path), key, value, name, str(path), 0, "row")
        elif suffix == ".json":
            data = json.loads(path.read_text())
            if isinstance(data, list):
                frame, cols = _from_frame(pl.DataFrame(data, infer_schema_length=None), key, value, name,
                                          str(path), 0, "record")
            elif isinstance(data, dict) and _naslib_layout(data):
                frame, cols = _from_naslib(data, value, name, str(path))
            elif isinstance(data, dict):
                df = pl.DataFrame({"key": list(data), "value": [None if v is None else str(v) for v in data.values()]})
                frame, cols = _from_frame(df, "key", "value", name, str(path), 0, "entry")
                frame = frame.with_columns(where=pl.Series([f"entry {k!r}" for k in data], dtype=pl.Utf8))
            else:
                raise ImportValuesError(f"{path}: expected a JSON list of records or an object, "
                                        f"got {type(data).__name__}")
        else:
            raise ImportValuesError(f"{path}: unknown file type {suffix!r}; expected .csv, .tsv, .parquet or .json")
    except (pl.exceptions.PolarsError, ValueError, UnicodeDecodeError) as e:
        if isinstance(e, NasdbError):
            raise
        raise ImportValuesError(f"{path}: cannot read it as {suffix[1:]}: {str(e).splitlines()[0]}") from None
    return Table(frame, str(path), sha256(path), cols)


def _naslib_text(key: str) -> str | None:
    """A NASLib tuple written as text, in ``archs.naslib_key``'s form '(a, b, ...)'; None if not one."""
    k = key.strip()
    if k[:1] in "([" and k[-1:] in ")]":
        return str(tuple(int(x) for x in _INTS.findall(k)))
    return None


def _format_name(space: spaces.Space, raw: str) -> str:
    """Name of the space's encoding ``raw`` is written in (asked once per format, not per row)."""
    try:
        spec = space.parse(raw)
    except (ArchStringError, NasdbError):
        return "official"
    flat = raw.replace(" ", "").lower()
    names = [n for n, enc in space.encodings.items()
             if isinstance(enc(spec), str) and enc(spec).replace(" ", "").lower() == flat]
    return "/".join(names) or "spec"


def place(con: duckdb.DuckDBPyConnection, bench: str, table: Table, dataset: str | None = None,
          allow_missing: bool = False) -> Placed:
    """Put every row on an architecture of ``bench``; one error naming every kind of bad row otherwise."""
    space = spaces.get(bench)
    where = table.origin
    archs = con.execute("SELECT arch_id, arch_key, naslib_key FROM archs WHERE bench = ?", [bench]).fetchall()
    if not archs:
        raise ImportValuesError(f"no {bench} architectures in the database; run `nasdb ingest` for it first")
    by_key = {k: a for a, k, _ in archs}
    by_naslib = {n: a for a, _, n in archs if n is not None}
    ids = {a for a, _, _ in archs}
    df = table.frame
    if dataset is not None:
        df = df.with_columns(dataset=pl.lit(dataset))
    df = df.with_columns(pl.col("dataset").fill_null(""))

    placed: dict[str, tuple[int | None, str, str | None]] = {}   # raw key -> (arch_id, format, problem)
    seen_formats: dict[str, str] = {}
    for raw in df["key"].unique().to_list():
        placed[raw] = _place_one(space, raw, by_key, by_naslib, ids, seen_formats)
    keys = df["key"].to_list()
    df = df.with_columns(arch_id=pl.Series([placed[k][0] for k in keys], dtype=pl.Int64),
                         format=pl.Series([placed[k][1] for k in keys], dtype=pl.Utf8),
                         number=pl.col("value").str.strip_chars().cast(pl.Float64, strict=False))

    problems = []
    bad_key = df.filter(pl.col("arch_id").is_null())
    if bad_key.height:
        shown = "; ".join(f"{r['where']}: {placed[r['key']][2]}" for r in bad_key.head(SHOWN).iter_rows(named=True))
        problems.append(f"{bad_key.height} row(s) with a key that is no {bench} architecture ({shown})")
    bad_value = df.filter(pl.col("number").is_null())
    if bad_value.height:
        shown = "; ".join(f"{r['where']}: {r['value']!r}" for r in bad_value.head(SHOWN).iter_rows(named=True))
        problems.append(f"{bad_value.height} row(s) whose value is not a number ({shown})")
    unknown = sorted(set(df["dataset"].unique()) - set(space.datasets) - {""})
    if unknown:
        first = df.filter(pl.col("dataset").is_in(unknown)).row(0, named=True)
        problems.append(f"unknown {bench} dataset(s) {unknown} (first at {first['where']}); expected '' (data-free) "
                        f"or one of {', '.join(space.datasets)}")
    ok = df.filter(pl.col("arch_id").is_not_null())
    dup = ok.filter(ok.select("arch_id", "dataset").is_duplicated())
    if dup.height:
        groups = dup.group_by("arch_id", "dataset", maintain_order=True).agg(pl.col("where"))
        shown = "; ".join(f"arch {r['arch_id']}{' ' + r['dataset'] if r['dataset'] else ''} at "
                          f"{', '.join(r['where'][:3])}" for r in groups.head(SHOWN).iter_rows(named=True))
        problems.append(f"{dup.height} rows give {groups.height} architecture(s) more than one value ({shown})")
    if not problems and not allow_missing:
        for ds, rows in ok.partition_by("dataset", as_dict=True).items():
            if rows.height < len(ids):
                missing = sorted(ids - set(rows["arch_id"].to_list()))
                problems.append(f"{len(ids) - rows.height:,} of the {len(ids):,} {bench} archs have no value"
                                f"{' for ' + ds[0] if ds[0] else ''} (first arch_ids {missing[:SHOWN]}); "
                                "pass --allow-missing to import a subset on purpose")
    if problems:
        raise ImportValuesError(f"{where}: {df.height} rows, nothing imported: " + " | ".join(problems))
    formats = dict(ok.group_by("format").len().sort("len", descending=True).iter_rows())
    values = ok.select("arch_id", "dataset", value="number").sort("dataset", "arch_id")
    return Placed(values, bench, formats, ok.height, values["arch_id"].n_unique(), len(ids), table)


def _place_one(space: spaces.Space, raw: str | None, by_key: dict, by_naslib: dict, ids: set,
               seen_formats: dict[str, str]) -> tuple[int | None, str, str | None]:
    """(arch_id, format, None) or (None, '', why)."""
    if raw is None or not raw.strip():
        return None, "", "empty key"
    raw = raw.strip()
    if raw in by_key:
        if "key" not in seen_formats:  # one parse names the format of every exact arch_key
            seen_formats["key"] = _format_name(space, raw)
        return by_key[raw], seen_formats["key"], None
    try:
        naslib = _naslib_text(raw)
    except ValueError:
        naslib = None
    if naslib is not None and naslib in by_naslib:
        return by_naslib[naslib], "naslib", None
    try:
        index = space.index_text(raw)
        if index is not None:
            return (index, "index", None) if index in ids else (None, "", f"index {index} is not in the database")
        key = space.arch_key(raw)
    except NasdbError as e:
        return None, "", f"{raw[:60]!r}: {str(e).split(':')[0]}"
    if key in by_key:
        return by_key[key], _format_name(space, raw), None
    return None, "", f"{raw[:60]!r} is a valid {space.bench} encoding but not in the database"
