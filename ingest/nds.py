"""NDS (Radosavovic et al., ICCV 2019): the official sweep files, read from a user's copy of ``data.zip``.

The release (https://dl.fbaipublicfiles.com/nds/data.zip, facebookresearch/nds) is one JSON file per
sweep (``DARTS.json``, ``ResNeXt-A_in.json``, ...): a list of records, or ``{"top": [...], "mid":
[...]}`` (read top then mid, as the NASGraph and NASWOT loaders do). A record holds ``net`` (a cell
genotype with width/depth, or AnyNet block parameters), ``optim`` (``base_lr``, ``wd``, ``max_ep``),
``params``, ``flops``, per-epoch ``test_ep_top1`` / ``train_ep_top1`` (top-1 *error*, %), and more.

No machine here reaches that file, so it is not in ``sources.toml``: ``nasdb ingest-nds --dir PATH``
runs this job on every sweep file found in PATH (each file one :func:`job`, parsed read-only and then
stored in one short transaction, replacing only its benchmark's rows), and records each file's sha256 in
``sources``. Rows, per benchmark ``nds_<sweep>``:

* ``archs``: one per distinct ``net``, ``arch_id`` = position of its first record in the file;
* ``ground_truth``: test accuracy = 100 - test error at every epoch e (``epochs`` = e, so the final
  accuracy is the ``max_ep`` row, as the NDS paper reads it), and the final train accuracy; a net
  trained more than once (same ``net`` twice in a file) gets the mean over its records
  (``aggregation='mean_over_<k>_records'``, else ``single_run``);
* ``costs``: ``params`` (M) and ``flops`` (MFLOPs).
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import duckdb
import polars as pl

from ingest.rows import insert, insert_archs
from ingest.runner import Recipe
from nasdb import sources, spaces
from nasdb.errors import ArchStringError, IngestError
from nasdb.spaces import nds

NAME = "nds"
FILES: list[str] = []  # not public-mirrored: the user's files, found by `nasdb ingest-nds --dir`
NEEDS: list[str] = []
ORIGIN = "https://dl.fbaipublicfiles.com/nds/data.zip"
SWEEP_FILE = re.compile(r"^(.+)\.json$")


def job(sweep: str, path: Path) -> Recipe:
    """One sweep file's job: it replaces its benchmark's rows (every table keyed by it) and its ``sources`` row."""
    owns = {t: f"bench = '{nds.bench_of(sweep)}'" for t in ("archs", "benchmarks", "ground_truth", "costs")}
    return Recipe(NAME, {**owns, "sources": f"path = '{_source_path(path)}'"}, load)


def sweep_files(directory: Path) -> dict[str, Path]:
    """Sweep name -> file for every NDS sweep file in ``directory``; IngestError if there is none."""
    if not directory.is_dir():
        raise IngestError(f"{directory}: not a directory; expected the unpacked NDS data.zip")
    found = {m.group(1): p for p in sorted(directory.iterdir())
             if (m := SWEEP_FILE.match(p.name)) and m.group(1) in nds.SWEEPS}
    if not found:
        raise IngestError(f"{directory}: no NDS sweep file; expected files named like "
                          f"{', '.join(s + '.json' for s in nds.SWEEPS[:4])}, ...")
    return found


def records(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_bytes())
    except ValueError as e:
        raise IngestError(f"{path}: not valid JSON: {e}") from e
    if isinstance(data, dict) and {"top", "mid"} <= set(data):
        data = data["top"] + data["mid"]
    if not isinstance(data, list) or not data:
        raise IngestError(f"{path}: expected a non-empty list of records (or {{'top': [...], 'mid': [...]}})")
    return data


def _curve(rec: dict, name: str, where: str, epochs: int | None) -> list[float]:
    curve = rec.get(name)
    if (not isinstance(curve, list) or not curve
            or not all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) and 0 <= x <= 100
                       for x in curve)):
        raise IngestError(f"{where}: {name} must list per-epoch top-1 errors in 0..100, got {str(curve)[:80]}")
    if epochs is not None and len(curve) != epochs:
        raise IngestError(f"{where}: {name} has {len(curve)} epochs but optim.max_ep is {epochs}")
    return [float(x) for x in curve]


def _number(rec: dict, name: str, where: str) -> float:
    v = rec.get(name)
    if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
        raise IngestError(f"{where}: {name} must be a non-negative number, got {v!r}")
    return float(v)


def load_sweep(con: duckdb.DuckDBPyConnection, sweep: str, path: Path) -> None:
    """Insert one sweep file's rows."""
    space = spaces.get(nds.bench_of(sweep))
    by_key: dict[str, dict] = {}
    for i, rec in enumerate(records(path)):
        where = f"{path}: record {i}"
        if not isinstance(rec, dict) or not isinstance(rec.get("net"), dict):
            raise IngestError(f"{where}: expected a record with a 'net' object")
        try:
            spec = space.parse(rec["net"])
        except ArchStringError as e:
            raise IngestError(f"{where}: {e}") from e
        optim = rec.get("optim") if isinstance(rec.get("optim"), dict) else {}
        test = _curve(rec, "test_ep_top1", where, optim.get("max_ep"))
        train = _curve(rec, "train_ep_top1", where, len(test)) if "train_ep_top1" in rec else None
        params, flops = _number(rec, "params", where), _number(rec, "flops", where)
        k = space.key(spec)
        seen = by_key.setdefault(k, {"arch_id": i, "spec": spec, "test": [], "train": [], "params": params,
                                     "flops": flops, "where": where})
        if seen["test"] and len(seen["test"][0]) != len(test):
            raise IngestError(f"{where}: same net as {seen['where']} but trained {len(test)} epochs, not "
                              f"{len(seen['test'][0])}")
        seen["test"].append(test)
        if train is not None:
            seen["train"].append(train)
    archs = list(by_key.values())
    first_iso: dict[str, int] = {}
    for a in archs:
        first_iso.setdefault(space.iso_key(a["spec"]), a["arch_id"])
    table = pl.DataFrame({
        "bench": space.bench, "arch_id": [a["arch_id"] for a in archs], "arch_key": list(by_key),
        "iso_class": [first_iso[space.iso_key(a["spec"])] for a in archs],
        "is_degenerate": [space.is_degenerate(a["spec"]) for a in archs],
        "n_conv": [space.n_conv(a["spec"]) for a in archs],
    }, schema_overrides={"arch_id": pl.Int64, "iso_class": pl.Int64, "n_conv": pl.Int32})
    insert_archs(con, table, [space.op_counts(a["spec"]) for a in archs])
    dataset = space.datasets[0]
    gt = {"arch_id": [], "split": [], "epochs": [], "value": [], "aggregation": []}
    for a in archs:
        n = len(a["test"])
        aggregation = "single_run" if n == 1 else f"mean_over_{n}_records"
        mean_test = [sum(c) / n for c in zip(*a["test"])]
        rows = [("test", e + 1, 100.0 - err) for e, err in enumerate(mean_test)]
        if a["train"]:
            rows.append(("train", len(mean_test), 100.0 - sum(c[-1] for c in a["train"]) / len(a["train"])))
        for split, epochs, value in rows:
            for col, v in (("arch_id", a["arch_id"]), ("split", split), ("epochs", epochs), ("value", value),
                           ("aggregation", aggregation)):
                gt[col].append(v)
    insert(con, "ground_truth", pl.DataFrame(gt, schema_overrides={"arch_id": pl.Int64, "epochs": pl.Int32})
           .with_columns(bench=pl.lit(space.bench), dataset=pl.lit(dataset), metric=pl.lit("accuracy"),
                         higher_is_better=pl.lit(True), source=pl.lit(NAME)))
    costs = pl.DataFrame({"arch_id": [a["arch_id"] for a in archs] * 2,
                          "metric": ["params"] * len(archs) + ["flops"] * len(archs),
                          "value": [a["params"] / 1e6 for a in archs] + [a["flops"] / 1e6 for a in archs],
                          "unit": ["M"] * len(archs) + ["MFLOPs"] * len(archs)},
                         schema_overrides={"arch_id": pl.Int64})
    insert(con, "costs", costs.with_columns(bench=pl.lit(space.bench), dataset=pl.lit(dataset), source=pl.lit(NAME)))
    con.execute("INSERT INTO benchmarks VALUES (?, ?, ?, ?, ?)",
                [space.bench, space.title, len(archs), "see github.com/facebookresearch/nds",
                 ["https://github.com/facebookresearch/nds", ORIGIN]])


def _source_path(path: Path) -> str:
    return f"nds/{path.name}"


def load(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    """A :func:`job`'s load: one sweep file (sweep name -> file), its rows and its ``sources`` row."""
    (sweep, path), = files.items()
    load_sweep(con, sweep, path)
    con.execute("INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, now())",
                [_source_path(path), f"{ORIGIN}#{path.name}", sources.sha256_of(path), path.stat().st_size,
                 "see github.com/facebookresearch/nds", f"NDS sweep {sweep}: one record per trained network", NAME])
