"""Executors side by side in one run: the real CLI with `--workers 1` and `--workers 2`, and Dask's cost
per chunk on a real LocalCluster (scheduler + 2 worker processes on 127.0.0.1).

    python bench/bench_executors.py --db data/nasdb.duckdb            # the full bench, <= 8 min on a quiet 2-core box
    python bench/bench_executors.py --ref-archs 8 --zc-archs 2 --dask-chunks 20   # a quick check that it runs

For each family, `nasdb score ... --workers 1` (in-process: the user's real one-worker path, one torch
thread) and `--workers 2` (two spawned worker processes, one thread each) run as fresh CLI processes
on a copy of the database, alternating, each with an empty cache. Reported per run:

* wall: the whole command (interpreter start, imports, planning, workers' start-up, scoring, merge);
* span: first chunk start to last chunk end, from the run's own ``proxy_runs.executor`` record (the
  steady state: no start-up, planning or merge; the tail of the last chunks is in it);
* CPU: user+system seconds of the command and its workers (robust to other load on the machine);
* compute/arch: the chunks' own compute seconds per architecture (grows when two workers slow each
  other down through shared caches or memory bandwidth).

Speed-up = 1-worker figure / 2-worker figure. The 2-worker run's values are checked equal to the
1-worker run's. NASGraph reference: default chunks (4 archs). Zero-cost suite: NB201 cifar10 network
only, every proxy but grasp (half the suite's cost on its own; see docs/benchmarks.md) by default,
one arch per chunk (the CLI's default is 8: with 24 archs, 3 chunks could not keep 2 workers busy) so
the tail stays one short chunk.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nasdb.proxies.zc.registry import NAMES  # a plain table (no torch)

ROOT = Path(__file__).resolve().parents[1]
ZC_DEFAULT = ",".join(n for n in NAMES if n != "grasp")


def cli(db: Path, cache: Path, args: list[str]) -> tuple[float, float]:
    """Run ``nasdb`` as a user would; (wall seconds, CPU seconds of it and its worker processes)."""
    env = dict(os.environ, NASDB_CACHE=str(cache), PYTHONPATH=str(ROOT))
    env.pop("OMP_NUM_THREADS", None)  # the CLI's own default applies, as for a user
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "nasdb.cli", "--db", str(db), *args, "--quiet"], env=env,
                         capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"nasdb {' '.join(args)} failed:\n{out.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def last_run(db: Path) -> tuple[str, dict]:
    from nasdb import store

    con = store.connect(db, read_only=True)
    try:
        rid, executor = con.execute("SELECT run_id, executor FROM proxy_runs ORDER BY finished_at DESC LIMIT 1").fetchone()
    finally:
        con.close()
    return rid, json.loads(executor)


def values(db: Path, run_id: str) -> dict:
    from nasdb import store

    con = store.connect(db, read_only=True)
    try:
        rows = con.execute("SELECT arch_id, dataset, proxy, value FROM proxy_values WHERE run_id = ?", [run_id]).fetchall()
    finally:
        con.close()
    return {(a, d, p): v for a, d, p, v in rows}


def side_by_side(name: str, args: list[str], n_archs: int, db: Path, tmp: Path) -> None:
    figures, runs = {}, {}
    for workers in (1, 2):
        wall, cpu = cli(db, tmp / f"cache-{name}-{workers}", [*args, "--workers", str(workers)])
        rid, ex = last_run(db)
        assert ex["workers"] == workers, ex
        first = min(c["start"] for c in ex["chunks"])
        figures[workers] = {"wall": wall, "span": ex["span"], "cpu": cpu, "first": first,
                            "compute": sum(c["seconds"] for c in ex["chunks"]) / n_archs, "chunks": len(ex["chunks"])}
        runs[workers] = rid
    same = values(db, runs[1]) == values(db, runs[2])
    one, two = figures[1], figures[2]
    print(f"\n{name}: {n_archs} NB201 archs, {one['chunks']} chunks; values of 2 workers == 1 worker: {same}")
    print("| | 1 worker | 2 workers | speed-up |\n|---|---|---|---|")
    print(f"| wall, whole command (incl. start-up, plan, merge) | {one['wall']:.1f} s | {two['wall']:.1f} s | "
          f"**{one['wall'] / two['wall']:.2f}x** |")
    print(f"| span, first chunk start to last chunk end (steady state) | {one['span']:.1f} s | {two['span']:.1f} s | "
          f"**{one['span'] / two['span']:.2f}x** |")
    print(f"| CPU, command + workers | {one['cpu']:.1f} s | {two['cpu']:.1f} s | |")
    print(f"| compute per arch (chunks' own seconds) | {one['compute']:.3f} s | {two['compute']:.3f} s | |")
    print(f"| executor made -> first chunk starts | {one['first']:.2f} s | {two['first']:.2f} s | |")
    if not same:
        raise SystemExit(f"{name}: the 2-worker run's values differ from the 1-worker run's")


def noop_chunk(bench: str, chunk: list[tuple[int, str]], settings: dict):
    import polars as pl

    return pl.DataFrame({"arch_id": [a for a, _ in chunk], "dataset": "", "proxy": "noop",
                         "value": [float(a) for a, _ in chunk], "note": None}, schema_overrides={"note": pl.String})


def dask_overhead(n_chunks: int, folder: Path) -> None:
    """Seconds per no-op chunk (compute nothing, stage a part): in-process vs through the harness's
    DaskExecutor on a real scheduler and 2 worker processes."""
    from distributed import LocalCluster

    from nasdb.proxies.harness.dask_cluster import DaskExecutor
    from nasdb.proxies.harness.executor import ChunkTask, InProcess
    from nasdb.proxies.harness.job import digest

    folder.mkdir(parents=True, exist_ok=True)
    todo = [ChunkTask("noop", noop_chunk, "toy", i, [(i, f"a{i}")], digest([(i, f"a{i}")]), {}, ("noop",),
                      str(folder), "bench") for i in range(n_chunks)]

    def wall(executor, tasks) -> float:
        t0 = time.perf_counter()
        assert sum(1 for _ in executor.stage(tasks)) == len(tasks)
        return time.perf_counter() - t0

    local = wall(InProcess(), todo) / n_chunks
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster:
        ex = DaskExecutor(cluster.scheduler_address)
        wall(ex, todo[:4])  # warm-up: the workers import nasdb once
        per = wall(ex, todo) / n_chunks
        ex.close()
    print(f"\ndask: {per * 1000:.1f} ms per no-op chunk through the cluster vs {local * 1000:.2f} ms in-process "
          f"(overhead {1000 * (per - local):.1f} ms per chunk, {n_chunks} chunks)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=str(ROOT / "data" / "nasdb.duckdb"), help="a built database (copied, never written)")
    ap.add_argument("--ref-archs", type=int, default=160, help="NASGraph reference: archs (~0.28 s each, 1 core)")
    ap.add_argument("--zc-archs", type=int, default=24, help="zero-cost suite: archs (~8 s each with the default proxies)")
    ap.add_argument("--zc-proxies", default=ZC_DEFAULT, help="zero-cost proxies, comma-separated (default: all but grasp)")
    ap.add_argument("--zc-chunk", type=int, default=1, help="zero-cost archs per chunk")
    ap.add_argument("--dask-chunks", type=int, default=200)
    a = ap.parse_args()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        db = tmp / "nasdb.duckdb"
        shutil.copy(a.db, db)
        if a.ref_archs:
            side_by_side("NASGraph reference", ["score", "nasgraph", "--bench", "nb201", "--mode", "reference",
                                                "--sample", str(a.ref_archs), "--seed", "0"], a.ref_archs, db, tmp)
        if a.zc_archs:
            proxies = [x for p in a.zc_proxies.split(",") for x in ("--proxy", p)]
            side_by_side(f"zero-cost suite ({len(proxies) // 2} proxies, cifar10 network)",
                         ["score", "zc", "--bench", "nb201", "--sample", str(a.zc_archs), "--seed", "0",
                          "--dataset", "cifar10", "--chunk-size", str(a.zc_chunk), *proxies], a.zc_archs, db, tmp)
        if a.dask_chunks:
            dask_overhead(a.dask_chunks, tmp / "noop")
    print(f"\ntotal {time.perf_counter() - t0:.0f} s, load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
