"""Benchmark: what the size-only proxies (params, flops, n_trainable_layers) add to `nasdb build`.

Per space with closed-form sizes (``Space.sizes``): (a) CPU and wall seconds of counting every arch on
every dataset/task network in closed form, no database; (b) with ``--db``, the whole build step as
`nasdb build` runs it: the harness job (``zc.family.build_job``) into a COPY of that database (plan,
chunks, staged Parquet parts, one merge), CPU and wall seconds. Against it, (c) the cost of one built
network's measure per arch (the only other way: ``nasdb score zc --all``), measured on a few archs and
extrapolated to the space. Prints Markdown for docs/benchmarks.md and writes bench/out/sizes.json.
Bounded: (a) ~20 s of CPU on a quiet machine, (b) ~1 min, (c) ~20 s.

    PYTHONPATH=. NASDB_MIRROR=../shared/benchdata .venv/bin/python bench/bench_sizes.py [--db data/nasdb.duckdb]
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

import torch

from nasdb import spaces
from nasdb.proxies import harness
from nasdb.proxies.zc import data, family, registry, suite

OUT = Path(__file__).parent / "out" / "sizes.json"
BENCHES = ("nb201", "nb101", "tnb101_micro", "tnb101_macro")


def timed(fn):
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def closed_form(bench: str) -> tuple[float, float]:
    space = spaces.get(bench)
    keys = list(space.enumerate())
    space.sizes(keys[:1], space.datasets[0])  # imports and NB101's enumeration table outside the timing
    _, wall, cpu = timed(lambda: [space.sizes(keys, d) for d in space.datasets])
    return wall, cpu


def build_step(bench: str, db: Path) -> tuple[float, float]:
    spaces.get(bench).sizes(list(spaces.get(bench).enumerate())[:1], spaces.get(bench).datasets[0])  # as above
    _, wall, cpu = timed(lambda: harness.score(family.build_job(bench), db, progress=False))
    return wall, cpu


def fresh(fn, *args):
    """``fn(*args)`` in a new process, so that no cache of an earlier measurement helps it."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def built_per_arch(space, n: int, seed: int) -> float:
    """CPU seconds of the zc measure on one built network per (arch, dataset network), averaged."""
    keys = random.Random(seed).sample(list(space.enumerate()), n)
    cpu = 0.0
    for key in keys:
        for d in space.datasets:
            x = torch.zeros((1, *space.input_shape(d)))
            batch = data.Batch(x, torch.zeros(1, dtype=torch.long))
            _, _, c = timed(lambda: suite.compute(space.network(space.parse(key), d, seed=0), batch,
                                                  registry.ANALYTIC, seed=0))
            cpu += c
    return cpu / n


def main() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))  # the spawned measuring processes import this module
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--benches", nargs="*", default=list(BENCHES))
    ap.add_argument("--db", type=Path, help="a built database; the build step runs into a copy of it")
    ap.add_argument("--built", type=int, default=2, help="archs whose networks are built for (c)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for bench in args.benches:
            space = spaces.get(bench)
            n = sum(1 for _ in space.enumerate())
            wall, cpu = fresh(closed_form, bench)
            row = {"bench": bench, "archs": n, "networks": len(space.datasets), "closed_wall": wall, "closed_cpu": cpu}
            if args.db:
                db = Path(tmp) / "nasdb.duckdb"
                shutil.copy(args.db, db)
                row["build_wall"], row["build_cpu"] = fresh(build_step, bench, db)
                db.unlink()
            row["built_cpu_per_arch"] = built_per_arch(space, args.built, args.seed)
            results.append(row)
            print(row, flush=True)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(results, indent=1))
    print("\n| space | archs x networks | closed form CPU (wall) | build step via harness CPU (wall) | "
          "built networks instead (extrapolated, 1 core) |\n|---|---|---|---|---|")
    for r in results:
        build = f"{r['build_cpu']:.1f} s ({r['build_wall']:.1f} s)" if "build_cpu" in r else "-"
        print(f"| {r['bench']} | {r['archs']:,} x {r['networks']} | {r['closed_cpu']:.1f} s ({r['closed_wall']:.1f} s) "
              f"| {build} | {r['built_cpu_per_arch'] * r['archs'] / 3600:.1f} h |")


if __name__ == "__main__":
    main()
