"""Where chunks are computed. An :class:`Executor` maps :func:`stage_chunk` over tasks; results may come
back in any order. Only the driver opens the database, so an executor needs nothing but the task."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import polars as pl

from nasdb.errors import NasdbError
from nasdb.proxies.harness import staging

COLUMNS = {"arch_id": pl.Int64, "dataset": pl.String, "proxy": pl.String, "value": pl.Float64, "note": pl.String}


@dataclass(frozen=True)
class ChunkTask:
    """Everything one chunk needs, picklable: the family's function, its inputs and where to stage."""

    family: str
    compute_chunk: Callable
    bench: str
    index: int
    archs: list[tuple[int, str]]
    archs_digest: str
    settings: dict
    proxies: tuple[str, ...]
    folder: str
    run_id: str


class Executor(Protocol):
    name: str
    workers: int

    def map(self, fn: Callable[[ChunkTask], staging.Part], tasks: Iterable[ChunkTask]) -> Iterator[staging.Part]:
        ...


class InProcess:
    """Compute chunks one after the other in this process."""

    name = "in-process"
    workers = 1

    def map(self, fn, tasks):
        return map(fn, tasks)


def checked(rows: pl.DataFrame, task: ChunkTask) -> pl.DataFrame:
    """The family's rows with the contract's columns and types; one row per (arch, dataset, proxy) of the chunk."""
    where = f"{task.family} chunk {task.index} of {task.bench}"
    missing = [c for c in COLUMNS if c not in rows.columns]
    if missing:
        raise NasdbError(f"{where}: compute_chunk returned no column(s) {missing}; expected {list(COLUMNS)}")
    rows = rows.select([pl.col(c).cast(t) for c, t in COLUMNS.items()])
    unknown = set(rows["proxy"].unique()) - set(task.proxies)
    if unknown:
        raise NasdbError(f"{where}: proxy {sorted(unknown)[0]!r} is not one the job names ({', '.join(task.proxies)})")
    strays = set(rows["arch_id"].unique()) - {aid for aid, _ in task.archs}
    if strays:
        raise NasdbError(f"{where}: arch_id {min(strays)} is not in the chunk")
    if rows.select("arch_id", "dataset", "proxy").is_duplicated().any():
        dup = rows.filter(rows.select("arch_id", "dataset", "proxy").is_duplicated()).row(0, named=True)
        raise NasdbError(f"{where}: several values for arch {dup['arch_id']} {dup['dataset']!r} {dup['proxy']!r}")
    return rows


def stage_chunk(task: ChunkTask) -> staging.Part:
    """Compute one chunk and stage it as a checksummed part (never touches the database)."""
    t0 = time.perf_counter()
    rows = checked(task.compute_chunk(task.bench, task.archs, task.settings), task)
    return staging.write_part(Path(task.folder), task.run_id, task.index, task.archs_digest, rows,
                              time.perf_counter() - t0)
