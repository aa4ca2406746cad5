"""``--workers N``: chunks computed by N local worker processes, staged by the workers themselves.

Workers are spawned (not forked: a forked torch or DuckDB state is unsafe) with one torch thread each, so
N workers use N cores. A worker that dies (killed, out of memory) breaks the pool; the chunks it had not
finished are resubmitted to a fresh pool, up to ``retries`` times per chunk, so a run never loses or
duplicates a chunk.
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from nasdb.errors import NasdbError
from nasdb.proxies.harness import staging
from nasdb.proxies.harness.executor import ChunkLog, ChunkTask, compute, stage


def _one_thread() -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["MKL_NUM_THREADS"] = "1"


def _stage_in_worker(task: ChunkTask) -> tuple[staging.Part, str]:
    done = compute(task)
    return stage(task, done), done.worker


class LocalProcesses:
    name = "local-processes"

    def __init__(self, workers: int, retries: int = 2) -> None:
        self.workers = workers
        self.retries = retries
        self.log = ChunkLog()
        self.restarts = 0

    def _pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_one_thread)

    def stage(self, tasks: Iterable[ChunkTask]) -> Iterator[staging.Part]:
        todo = {t.index: t for t in tasks}
        if len(todo) <= 1:  # one chunk: starting workers would only cost time
            for task in todo.values():
                part, worker = _stage_in_worker(task)
                self.log.add(part.index, part.seconds, worker)
                yield part
            return
        failures = dict.fromkeys(todo, 0)
        while todo:
            pool = self._pool()
            try:
                running = {pool.submit(_stage_in_worker, t): i for i, t in todo.items()}
                while running:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        index = running.pop(fut)
                        part, worker = fut.result()  # BrokenProcessPool when a worker died
                        self.log.add(index, part.seconds, worker)
                        del todo[index]
                        yield part
            except BrokenProcessPool:
                self.restarts += 1
                for index in todo:
                    failures[index] += 1
                    if failures[index] > self.retries:
                        raise NasdbError(f"chunk {index} was lost with its worker {failures[index]} times; "
                                         f"giving up (a chunk that kills its worker each time?)") from None
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

    def describe(self) -> dict:
        return self.log.summary(self.name, self.workers, restarts=self.restarts)
