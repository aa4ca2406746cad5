"""Derived cache files (NB101 enumeration, NASGraph block matrices) that are trusted only when verified.

:func:`write` saves atomically and records the file's sha256 in ``<file>.sha256``; :func:`read` loads a
file only if its bytes still hash to that record. A missing record, a flipped byte, a file replaced by a
valid one with other values, or one that cannot be parsed is reported with a warning and dropped, and
the caller recomputes it.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from nasdb.sources import sha256_of as _sha256  # one file hash for downloads, caches and parts

T = TypeVar("T")


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")



def write(path: Path, save: Callable[[Path], None]) -> None:
    """``save(tmp)`` writes the content; it becomes ``path`` (and its checksum record) atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")
    try:
        save(tmp)
        digest = _sha256(tmp)
        _sidecar(path).unlink(missing_ok=True)  # never a new file next to an old record
        os.replace(tmp, path)
        side_tmp = tmp.with_name(tmp.name + ".sha256")
        side_tmp.write_text(f"{digest}  {path.name}\n")
        os.replace(side_tmp, _sidecar(path))
    finally:
        tmp.unlink(missing_ok=True)


def warn(message: str) -> None:
    print(f"nasdb: warning: {message}", file=sys.stderr, flush=True)


def read(path: Path, load: Callable[[Path], T], what: str) -> T | None:
    """``load(path)`` if ``path`` exists and matches its recorded checksum, else None (with a warning)."""
    if not path.is_file():
        return None
    try:
        recorded = _sidecar(path).read_text().split()[0]
    except (OSError, IndexError):
        recorded = None
    problem = None
    if recorded is None:
        problem = "it has no checksum record"
    elif _sha256(path) != recorded:
        problem = "its content does not match the checksum recorded when it was written"
    else:
        try:
            return load(path)
        except Exception as e:  # a verified file that still cannot be read: treat it as damaged
            problem = f"it cannot be read ({type(e).__name__}: {e})"
    warn(f"{what} cache {path} is not trusted: {problem}; recomputing it")
    path.unlink(missing_ok=True)
    _sidecar(path).unlink(missing_ok=True)
    return None
