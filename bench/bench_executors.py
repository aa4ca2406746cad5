"""Executors side by side in one run: 1 vs 2 local worker processes on the same chunks, and Dask's cost
per chunk against in-process, on a real LocalCluster (scheduler + 2 worker processes on 127.0.0.1).

    python bench/bench_executors.py [--archs 40] [--chunk 4] [--families nasgraph-reference,zc]

The work is the harness's own chunk tasks (compute + stage a checksummed part), without the database, so
the ratios measure the executors and nothing else. Speed-up = wall(1 worker) / wall(2 workers).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import polars as pl  # noqa: E402

from nasdb import spaces  # noqa: E402
from nasdb.proxies.harness.executor import ChunkTask, InProcess  # noqa: E402
from nasdb.proxies.harness.job import digest  # noqa: E402
from nasdb.proxies.harness.local import LocalProcesses  # noqa: E402


def nb201_archs(n: int, seed: int = 0) -> list[tuple[int, str]]:
    import numpy as np

    keys = list(spaces.get("nb201").enumerate())
    picked = np.sort(np.random.default_rng(seed).choice(len(keys), size=n, replace=False))
    return [(int(i), keys[i]) for i in picked]


def family_job(name: str):
    if name == "nasgraph-reference":
        from nasdb.proxies.nasgraph import family

        return family.job("nb201", "reference", 0)
    if name == "zc":
        from nasdb.proxies.zc import family

        from nasdb.proxies.harness import Selection

        return family.job("nb201", Selection(), data="synthetic")
    raise SystemExit(f"unknown family {name!r}")


def tasks(job, archs, chunk: int, folder: Path) -> list[ChunkTask]:
    chunks = [archs[i:i + chunk] for i in range(0, len(archs), chunk)]
    folder.mkdir(parents=True, exist_ok=True)
    return [ChunkTask(job.family, job.compute_chunk, job.bench, i, c, digest(c), job.settings, job.proxies,
                      str(folder), "bench") for i, c in enumerate(chunks)]


def wall(executor, todo: list[ChunkTask]) -> float:
    t0 = time.perf_counter()
    n = sum(1 for _ in executor.stage(todo))
    assert n == len(todo)
    return time.perf_counter() - t0


def noop_chunk(bench: str, chunk: list[tuple[int, str]], settings: dict) -> pl.DataFrame:
    return pl.DataFrame({"arch_id": [a for a, _ in chunk], "dataset": "", "proxy": "noop",
                         "value": [float(a) for a, _ in chunk], "note": None},
                        schema_overrides={"note": pl.String})


def dask_overhead(n_chunks: int, folder: Path) -> tuple[float, float]:
    """Seconds per no-op chunk: in-process vs through a real scheduler and 2 worker processes."""
    from distributed import LocalCluster

    from nasdb.proxies.harness.dask_cluster import DaskExecutor

    folder.mkdir(parents=True, exist_ok=True)
    todo = [ChunkTask("noop", noop_chunk, "toy", i, [(i, f"a{i}")], digest([(i, f"a{i}")]), {}, ("noop",),
                      str(folder), "bench") for i in range(n_chunks)]
    local = wall(InProcess(), todo) / n_chunks
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        ex = DaskExecutor(cluster.scheduler_address)
        wall(ex, todo[:4])  # warm-up: workers import nasdb once
        per = wall(ex, todo) / n_chunks
        ex.close()
    return local, per


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--archs", type=int, default=40)
    ap.add_argument("--chunk", type=int, default=4)
    ap.add_argument("--families", default="nasgraph-reference,zc")
    ap.add_argument("--zc-archs", type=int, default=8, help="archs for the zc suite (about 15 CPU-s each on NB201)")
    ap.add_argument("--dask-chunks", type=int, default=200)
    a = ap.parse_args()
    archs = nb201_archs(a.archs)
    print(f"{os.cpu_count()} cores, {a.archs} NB201 archs, chunks of {a.chunk}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.families.split(","):
            job = family_job(name)
            n = a.zc_archs if name == "zc" else a.archs
            todo = tasks(job, archs[:n], 1 if name == "zc" else a.chunk, Path(tmp) / name)
            wall(InProcess(), todo[:1])  # warm-up in this process (imports, caches)
            one = wall(InProcess(), todo)
            two = wall(LocalProcesses(2), todo)
            print(f"{name}: {n} archs, 1 worker {one:.1f} s ({one / n:.3f} s/arch), 2 workers {two:.1f} s, "
                  f"speed-up {one / two:.2f}x")
        local, per = dask_overhead(a.dask_chunks, Path(tmp) / "noop")
        print(f"dask: {per * 1000:.1f} ms per no-op chunk through the cluster vs {local * 1000:.2f} ms in-process "
              f"(overhead {1000 * (per - local):.1f} ms per chunk)")


if __name__ == "__main__":
    main()
