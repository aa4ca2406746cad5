"""``--workers N``: chunks computed by N local worker processes, staged by the workers themselves.

Workers are spawned (not forked: a forked torch or DuckDB state is unsafe) with one intra-op thread each,
so N workers use N cores, and they are started when the executor is made, so their interpreter start and
the harness's imports overlap the driver's planning. They pull chunks from one queue (a worker takes
the next chunk when it finishes one, so the tail is at most one chunk per worker), stage each as a
checksummed part and send back only the part's name and sha256. A worker that dies (killed, out of
memory) breaks the pool; the chunks it had not finished are resubmitted to a fresh pool, up to
``retries`` times per chunk, so a run never loses or duplicates a chunk.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from nasdb.errors import NasdbError
from nasdb.proxies.harness import staging
from nasdb.proxies.harness.executor import ChunkLog, ChunkTask, check_here, compute, stage


def _start_worker() -> None:
    """One intra-op thread per worker (read by torch and BLAS when first imported, after this runs), and a
    watchdog: a pool's idle worker waits for work forever, so when the driver is killed (SIGKILL, OOM)
    its workers would live on as orphans holding hundreds of MB each; they exit with their parent instead."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True, name="nasdb-parent-watch").start()


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])  # readable once the parent process is gone
    os._exit(3)  # nothing of this worker is worth keeping: its unfinished chunk is recomputed on resume


def _ready() -> int:
    """The start-up task: spawning the pool's processes now and importing what every chunk needs."""
    import polars  # noqa: F401  (the rows of every chunk)

    return os.getpid()


def _stage_in_worker(task: ChunkTask) -> tuple[staging.Part, str, float]:
    done = compute(task)
    return stage(task, done), done.worker, done.started


class LocalProcesses:
    name = "local-processes"

    def __init__(self, workers: int, retries: int = 2) -> None:
        self.workers = workers
        self.retries = retries
        self.log = ChunkLog()
        self.restarts = 0
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker)
        for _ in range(self.workers):  # a spawn pool starts a process per submit while none is idle
            pool.submit(_ready)
        return pool

    def stage(self, tasks: Iterable[ChunkTask]) -> Iterator[staging.Part]:
        todo = {t.index: t for t in tasks}
        if len(todo) == 1:  # one chunk: this process has the family's imports already, a worker not yet
            (task,) = todo.values()
            part, worker, started = _stage_in_worker(task)
            self.log.add(task.index, part.seconds, worker, started)
            yield part
            return
        failures = dict.fromkeys(todo, 0)
        while todo:
            running = {}
            try:
                running = {self._pool.submit(_stage_in_worker, t): i for i, t in todo.items()}
                while running:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        index = running.pop(fut)
                        part, worker, started = fut.result()  # BrokenProcessPool when a worker died
                        self.log.add(index, part.seconds, worker, started)
                        del todo[index]
                        yield part
            except BrokenProcessPool:
                self.restarts += 1
                for index in todo:
                    failures[index] += 1
                    if failures[index] > self.retries:
                        raise NasdbError(f"chunk {index} was lost with its worker {failures[index]} times; "
                                         f"giving up (a chunk that kills its worker each time?)") from None
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = self._start()
            finally:
                for fut in running:  # the caller stopped early (an error): drop the queued chunks
                    fut.cancel()

    def describe(self) -> dict:
        return self.log.summary(self.name, self.workers, restarts=self.restarts)

    def check(self, problem) -> None:
        check_here(problem)  # the workers are this machine's processes

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
