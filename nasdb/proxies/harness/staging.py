"""Staged parts: each chunk of a run as a Parquet file with a sidecar naming its run, archs and sha256.

Layout: ``<cache>/staging/<run key>/run.json`` (the run id this directory belongs to) and
``chunk-000012.parquet`` + ``chunk-000012.json``. Files are written under a temporary name and renamed,
the sidecar last, so a kill leaves either a complete part or none; a part counts only if its sidecar
names the same run and archs and the Parquet bytes still hash to the recorded sha256.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from nasdb.sources import sha256_of as sha256  # one file hash for downloads, caches and parts


@dataclass(frozen=True)
class Part:
    index: int
    path: str
    sha256: str
    rows: int
    seconds: float


def run_dir(cache: Path, key: str) -> Path:
    return cache / "staging" / key[:24]


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)



def staged_run(folder: Path) -> str | None:
    """The run id a staging directory belongs to, if it has one."""
    try:
        return json.loads((folder / "run.json").read_text())["run_id"]
    except (OSError, ValueError, KeyError):
        return None


def start(folder: Path, run_id: str, about: dict) -> None:
    """(Re)start ``folder`` for ``run_id``: parts of any other run in it are removed."""
    if folder.exists() and staged_run(folder) != run_id:
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _atomic_write(folder / "run.json", lambda p: p.write_text(json.dumps({"run_id": run_id, **about})))


def _names(folder: Path, index: int) -> tuple[Path, Path]:
    return folder / f"chunk-{index:06d}.parquet", folder / f"chunk-{index:06d}.json"


def write_part(folder: Path, run_id: str, index: int, archs_digest: str, rows: pl.DataFrame,
               seconds: float) -> Part:
    data, side = _names(folder, index)
    _atomic_write(data, lambda p: rows.write_parquet(p, compression="zstd", statistics=False))
    part = Part(index, str(data), sha256(data), rows.height, seconds)
    _atomic_write(side, lambda p: p.write_text(json.dumps({"run_id": run_id, "archs": archs_digest, **part.__dict__})))
    return part


def verified(folder: Path, run_id: str, index: int, archs_digest: str) -> Part | None:
    """The staged part of chunk ``index`` if it belongs to this run and these archs and is intact."""
    data, side = _names(folder, index)
    try:
        meta = json.loads(side.read_text())
    except (OSError, ValueError):
        return None
    if meta.get("run_id") != run_id or meta.get("archs") != archs_digest or not data.is_file():
        return None
    if sha256(data) != meta.get("sha256"):
        return None
    return Part(index, str(data), meta["sha256"], meta["rows"], meta["seconds"])
