"""Benchmark: time to build the trained network of one architecture, per space and dataset/task.

For a seeded random sample of architectures per space, builds ``space.network(spec, dataset, seed=0)``
on the CPU (torch's default init included) and reports the median and 90th percentile build time (wall, and CPU time, which the
shared machine's load disturbs less),
the parameter range, and one forward pass at batch 1 for scale. One torch thread. NB101 samples the
data-1k cells (its enumeration is not what is measured); NB201 and TransNAS-Bench-101 sample their
spaces. Prints Markdown for docs/benchmarks.md and writes bench/out/networks.json.

    NASDB_MIRROR=../shared/benchdata .venv/bin/python bench/bench_networks.py [--sample 20]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from pathlib import Path

import torch

from nasdb import sources, spaces
from nasdb.nets import n_parameters

OUT = Path(__file__).parent / "out" / "networks.json"
BENCHES = ("nb201", "nb101", "tnb101_micro", "tnb101_macro")


def sample_specs(space, n: int, rng: random.Random) -> list:
    if space.at_index is not None and space.n_archs <= 100_000:
        return [space.at_index(i) for i in rng.sample(space.ids, n)]
    if space.enumerate is not None and space.n_archs <= 100_000:
        return [space.parse(k) for k in rng.sample(list(space.enumerate()), n)]
    data = json.loads(sources.verified_path("nb101/nasbench_vis/data-1k.json").read_bytes())
    return [space.parse(k) for k in rng.sample(data["key"][:1000], n)]


def measure(bench: str, n: int, seed: int) -> list[dict]:
    space = spaces.get(bench)
    specs = sample_specs(space, n, random.Random(seed))
    rows = []
    for dataset in space.datasets:
        times, cpu, params = [], [], []
        for spec in specs:
            t, c = time.perf_counter(), time.process_time()
            net = space.network(spec, dataset, seed=0)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            params.append(n_parameters(net))
        with torch.no_grad():
            x = torch.randn(1, *space.input_shape(dataset))
            t = time.perf_counter()
            net.eval()(x)
            forward = time.perf_counter() - t
        times.sort()
        rows.append({"bench": bench, "dataset": dataset, "n": n, "median_s": statistics.median(times),
                     "p90_s": times[int(0.9 * (len(times) - 1))], "cpu_median_s": statistics.median(cpu), "params_min": min(params),
                     "params_max": max(params), "forward_s": forward})
        print(f"{bench:13s} {dataset:16s} median {rows[-1]['median_s'] * 1e3:7.1f} ms  "
              f"p90 {rows[-1]['p90_s'] * 1e3:7.1f} ms", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=20, help="architectures per space")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--benches", nargs="*", default=list(BENCHES))
    args = ap.parse_args()
    torch.set_num_threads(1)
    load = os.getloadavg()[0]
    rows = [r for b in args.benches for r in measure(b, args.sample, args.seed)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"load_before": load, "load_after": os.getloadavg()[0], "rows": rows}, indent=1))
    print(f"\nload average {load:.1f} -> {os.getloadavg()[0]:.1f}, {args.sample} archs per space, one thread\n")
    print("| space | dataset / task | build: wall median | wall p90 | CPU median | parameters (sample) "
          "| one forward, batch 1 |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['bench']} | {r['dataset']} | {r['median_s'] * 1e3:.0f} ms | {r['p90_s'] * 1e3:.0f} ms | "
              f"{r['cpu_median_s'] * 1e3:.0f} ms | "
              f"{r['params_min']:,}-{r['params_max']:,} | {r['forward_s'] * 1e3:.0f} ms |")


if __name__ == "__main__":
    main()
