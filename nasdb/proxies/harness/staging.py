"""Staged parts: each chunk of a run as a Parquet file with a sidecar naming its run, archs and sha256.

Layout: ``<cache>/staging/<run key>/run.json`` (the run id this directory belongs to) and
``chunk-000012.parquet`` + ``chunk-000012.json``. Files are written under a temporary name and renamed,
the sidecar last, so a kill leaves either a complete part or none; a part counts only if its sidecar
names the same run and archs and the Parquet bytes still hash to the recorded sha256.

The driver working on a folder holds an exclusive ``flock`` on its ``.claim`` file until the run is merged;
the kernel drops it when the process ends however it ends, so :func:`prune` can tell a running job's folder
(claimed: never touched) from one a killed or crashed job left behind (unclaimed: removed).
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import polars as pl

from nasdb.errors import NasdbError
from nasdb.sources import sha256_of as sha256  # one file hash for downloads, caches and parts

CLAIM = ".claim"
GRACE = 600  # seconds an unclaimed folder without a claim file may be a job that is just starting


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


def start(folder: Path, run_id: str, about: dict) -> IO:
    """(Re)start ``folder`` for ``run_id``: parts of any other run in it are removed. Returns the claim on the
    folder: keep it open until the run is merged (closing it, or the process ending, releases it)."""
    folder.mkdir(parents=True, exist_ok=True)
    claim = _claim(folder, create=True)
    if claim is None:
        raise NasdbError(f"another process is computing this run now (staging folder {folder}); "
                         "wait for it to finish, then rerun to reuse its result")
    if staged_run(folder) != run_id:
        for f in folder.iterdir():
            if f.is_dir():
                shutil.rmtree(f)
            elif f.name != CLAIM:
                f.unlink()
    _atomic_write(folder / "run.json", lambda p: p.write_text(json.dumps({"run_id": run_id, **about})))
    return claim


def _claim(folder: Path, create: bool) -> IO | None:
    """The folder's claim file, locked by this open file, or None if another live process holds it
    (or, without ``create``, if there is no claim file)."""
    path = folder / CLAIM
    try:
        f = open(path, "a" if create else "r")
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        return None
    return f


def prune(cache: Path) -> list[Path]:
    """Remove the staging folders no live process claims: runs killed or crashed before their merge (and
    leftovers of merged runs). A running job's folder is claimed and never touched."""
    removed = []
    for folder in sorted(p for p in (cache / "staging").glob("*") if p.is_dir()):
        claim = _claim(folder, create=False)
        if claim is None and ((folder / CLAIM).exists() or time.time() - folder.stat().st_mtime < GRACE):
            continue  # claimed by a running job, or so new that its job may be about to claim it
        try:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            if claim is not None:
                claim.close()
        removed.append(folder)
    return removed


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
