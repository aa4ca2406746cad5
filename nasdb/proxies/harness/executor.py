"""Where chunks are computed. An :class:`Executor` turns tasks into staged parts; parts may come back in
any order. Only the driver opens the database, so an executor needs nothing but the task.

Three executors share one contract (``stage(tasks) -> iterator of Part`` plus ``describe()`` for the
run's provenance): :class:`InProcess`; :class:`LocalProcesses` (``--workers N``, in
``nasdb.proxies.harness.local``); :class:`DaskExecutor` (``--scheduler tcp://HOST:PORT``, in
``nasdb.proxies.harness.dask_cluster``). A chunk's values depend only on the task (families seed per
architecture and settings), so every executor gives the same values as a serial run.
"""
from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Computed:
    """A chunk's checked rows, how long they took, when they started (epoch seconds on the computing
    host's clock) and where (``host:pid`` or a Dask worker address)."""

    index: int
    rows: pl.DataFrame
    seconds: float
    worker: str
    started: float


class Executor(Protocol):
    name: str
    workers: int

    def stage(self, tasks: Iterable[ChunkTask]) -> Iterator[staging.Part]:
        ...

    def describe(self) -> dict:
        ...

    def check(self, problem: Callable[[], str | None]) -> None:
        ...


@dataclass
class ChunkLog:
    """Per-chunk timings of one execution, for the run's ``executor`` provenance: each chunk's compute
    seconds, its worker and its ``start`` in seconds after the executor was created (workers' clocks:
    exact for local processes, as good as the hosts' clock sync on a cluster). ``span`` = first start
    to last end, the parallel part of the run without start-up, planning and merge."""

    chunks: list[dict] = field(default_factory=list)
    created: float = field(default_factory=time.time)

    def add(self, index: int, seconds: float, worker: str, started: float) -> None:
        self.chunks.append({"chunk": index, "seconds": round(seconds, 4), "worker": worker,
                            "start": round(started - self.created, 3)})

    def summary(self, name: str, workers: int, **extra) -> dict:
        chunks = sorted(self.chunks, key=lambda c: c["chunk"])
        span = (max(c["start"] + c["seconds"] for c in chunks) - min(c["start"] for c in chunks)) if chunks else 0.0
        return {"name": name, "workers": workers, **extra, "span": round(span, 3), "chunks": chunks}


class InProcess:
    """Compute chunks one after the other in this process."""

    name = "in-process"
    workers = 1

    def __init__(self) -> None:
        self.log = ChunkLog()

    def stage(self, tasks: Iterable[ChunkTask]) -> Iterator[staging.Part]:
        for task in tasks:
            done = compute(task)
            self.log.add(done.index, done.seconds, done.worker, done.started)
            yield stage(task, done)

    def describe(self) -> dict:
        return self.log.summary(self.name, self.workers)

    def check(self, problem: Callable[[], str | None]) -> None:
        check_here(problem)


def check_here(problem: Callable[[], str | None]) -> None:
    """A pre-flight check (``problem() -> None or why not``, e.g. a device) in this process: for the
    executors whose chunks run on this machine."""
    why = problem()
    if why:
        raise NasdbError(why)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


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


def compute(task: ChunkTask) -> Computed:
    """Compute one chunk's rows (anywhere: this process, a local worker, a Dask worker on another host)."""
    started, t0 = time.time(), time.perf_counter()
    rows = checked(task.compute_chunk(task.bench, task.archs, task.settings), task)
    return Computed(task.index, rows, time.perf_counter() - t0, worker_name(), started)


def stage(task: ChunkTask, done: Computed) -> staging.Part:
    """Write a computed chunk as a checksummed part of its run (on the driver's or a shared file system)."""
    return staging.write_part(Path(task.folder), task.run_id, task.index, task.archs_digest, done.rows, done.seconds)


def stage_chunk(task: ChunkTask) -> staging.Part:
    """Compute one chunk and stage it as a checksummed part (never touches the database)."""
    return stage(task, compute(task))


def make(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor a command asked for: ``--scheduler`` (Dask), else ``--workers`` local processes
    (default: the cores this process may use; 1 = in-process)."""
    if scheduler:
        from nasdb.proxies.harness.dask_cluster import DaskExecutor

        return DaskExecutor(scheduler)
    n = available_cores() if workers is None else workers
    if n < 1:
        raise NasdbError(f"--workers must be at least 1, got {n}")
    if n == 1:
        return InProcess()
    from nasdb.proxies.harness.local import LocalProcesses

    return LocalProcesses(n)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
