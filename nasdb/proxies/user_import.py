"""Import a user's proxy values as a run of source ``user:<label>`` through the scoring harness.

The run's settings record the file name and sha256, the columns read, the detected key format(s) and the
direction. ``direction = "min"`` (``--lower-is-better``) is stored as given; evaluation negates such a
run's values before ranking (``nasdb.evaluate.pairing``), so every proxy is judged "larger = better".
Removing a user proxy retires its current-run pointer (``nasdb.runs.retire``): the run and its values
stay in ``proxy_runs`` / ``proxy_values`` (immutable history), ``proxies`` no longer shows them.
"""
from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from nasdb import store
from nasdb.proxies import harness
from nasdb.proxies.user_values import ImportValuesError, Placed, place, read

FAMILY = "import"
_NAME = re.compile(r"\A[A-Za-z][A-Za-z0-9_.-]{0,63}\Z")


def check_name(name: str, what: str = "proxy name") -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ImportValuesError(f"{what} {name!r} must start with a letter and use only letters, digits, '_', '.', '-' "
                                "(at most 64 characters)")
    return name


def settings(placed: Placed, name: str, lower_is_better: bool) -> dict:
    t = placed.table
    return {"file": Path(t.origin).name, "sha256": t.sha256, "columns": t.columns, "key_formats": placed.key_formats,
            "direction": "min" if lower_is_better else "max", "n_rows": placed.n_rows, "proxy": name,
            "coverage": placed.coverage()}


def job(placed: Placed, name: str, label: str, lower_is_better: bool) -> harness.Job:
    full = placed.n_archs == placed.n_space
    ids = None if full else placed.values["arch_id"].unique().to_list()
    return harness.Job(family=FAMILY, bench=placed.bench, proxies=(name,),
                       settings=settings(placed, name, lower_is_better), source=f"user:{label}",
                       selection=harness.Selection() if full else harness.Selection.of_ids(ids), label=name)


def import_proxy(source: str | Path | pl.DataFrame, name: str, bench: str, dataset: str | None = None,
                 key: str | None = None, value: str | None = None, lower_is_better: bool = False,
                 label: str | None = None, allow_missing: bool = False, db=None) -> tuple[Placed, harness.RunResult]:
    """Read, place and store ``source`` as proxy ``name`` of ``bench`` (source ``user:<label>``, default the
    name); the database is unchanged if any row cannot be placed. Returns the placement and the run."""
    check_name(name)
    label = check_name(label or name, "label")
    table = read(source, key, value, name)
    con = store.connect(db, read_only=True)
    try:
        placed = place(con, bench, table, dataset, allow_missing)
    finally:
        con.close()
    rows = placed.values.with_columns(proxy=pl.lit(name), note=pl.lit(None, dtype=pl.Utf8))
    result = harness.store_values(job(placed, name, label, lower_is_better), rows, db)
    return placed, result


def listing(con) -> pl.DataFrame:
    """User-supplied proxies: current ones and retired ones (runs kept, no pointer)."""
    return store.frame(con, """
        SELECT r.bench, unnest(r.proxies) AS proxy, r.source, r.run_id, r.n_archs, r.n_rows,
               json_extract_string(r.settings, '$.direction') AS direction,
               json_extract_string(r.settings, '$.file') AS file, r.finished_at,
               r.run_id IN (SELECT run_id FROM current_runs) AS current
        FROM proxy_runs r WHERE r.source LIKE 'user:%' AND r.status = 'complete'
        ORDER BY r.bench, proxy, r.finished_at""")
