"""``--scheduler tcp://HOST:PORT``: chunks computed on a Dask distributed cluster.

Workers only compute (they need nasdb installed, nothing else: no database, no shared disk) and send the
chunk's rows back; the driver stages them and later merges, so only the driver writes. A worker that dies
mid-chunk is the scheduler's business: it reschedules the chunk on another worker (Dask's
``distributed.scheduler.allowed-failures``), and each task is also retried ``retries`` times on errors.
Task keys name the run and chunk, so a chunk is computed once per attempt and never duplicated.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from nasdb.errors import NasdbError
from nasdb.proxies.harness import staging
from nasdb.proxies.harness.executor import ChunkLog, ChunkTask, Computed, compute, stage


def _compute_on_worker(task: ChunkTask):
    from distributed import get_worker

    done = compute(task)
    return done.rows, done.seconds, get_worker().address, done.started


class DaskExecutor:
    name = "dask"

    def __init__(self, address: str, retries: int = 2, timeout: float = 10.0) -> None:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - a dependency of the project
            raise NasdbError("--scheduler needs dask[distributed]: pip install 'dask[distributed]'") from None
        try:
            self.client = Client(address, timeout=timeout)
        except (OSError, TimeoutError) as e:
            raise NasdbError(f"cannot reach the Dask scheduler at {address} ({e}); "
                             f"start one with `dask scheduler` and workers with `dask worker {address}`") from None
        self.address = address
        self.retries = retries
        self.log = ChunkLog()

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def stage(self, tasks: Iterable[ChunkTask]) -> Iterator[staging.Part]:
        from distributed import as_completed

        tasks = list(tasks)
        self.seen_workers = self.workers
        by_key = {f"nasdb-{t.run_id}-{t.index}": t for t in tasks}
        futures = [self.client.submit(_compute_on_worker, t, key=k, retries=self.retries, pure=False)
                   for k, t in by_key.items()]
        try:
            for fut in as_completed(futures):
                task = by_key[fut.key]
                rows, seconds, worker, started = fut.result()
                part = stage(task, Computed(task.index, rows, seconds, worker, started))
                self.log.add(task.index, seconds, worker, started)
                fut.release()
                yield part
        finally:
            for fut in futures:
                fut.cancel()

    def check(self, problem) -> None:
        """Run a pre-flight check (``problem() -> None or why not``, e.g. the device) on every worker,
        where the chunks will run: the driver may be a login node without the workers' GPUs."""
        for worker, why in sorted(self.client.run(problem).items()):
            if why:
                raise NasdbError(f"Dask worker {worker}: {why}")

    def describe(self) -> dict:
        return self.log.summary(self.name, getattr(self, "seen_workers", 0), scheduler=self.address)

    def close(self) -> None:
        self.client.close()
