"""Benchmark: the zero-cost suite per architecture (one network build, shared passes) against
computing each proxy separately the reference way (network rebuilt and a batch drawn per proxy, as
NASLib's per-proxy runs do), on the same seeded sample of architectures; per-architecture cost on
one core and the resulting whole-space time.

Both ways must give the same values (checked here too). One torch thread; the first dataset/task of
each space (NB201 cifar10-valid, NB101 cifar10, TNB101 class_scene); fashion-mnist batches of the
default size (NB201 64, others 32). Wall and CPU time are reported (the shared machine's load
disturbs CPU time less). Prints Markdown for docs/benchmarks.md and writes bench/out/zc.json.

    NASDB_MIRROR=../shared/benchdata .venv/bin/python bench/bench_zc.py [--sample 3] [--bench nb201 ...]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import time
from pathlib import Path

import torch

from bench_networks import sample_specs  # same seeded sampling of each space's archs
from nasdb import spaces
from nasdb.proxies.zc import data, family, registry, suite

OUT = Path(__file__).parent / "out" / "zc.json"
BENCHES = ("nb201", "nb101", "tnb101_micro", "tnb101_macro")


def timed(fn):
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def separately(space, spec, key: str, dataset: str, s: dict) -> dict[str, float]:
    """The reference way: for every proxy its own network build and its own batch."""
    out = {}
    for name in s["proxies"]:
        net = space.network(spec, dataset, seed=family.seed_of(s["seed"], space.bench, key))
        kind, n_out = space.task_kind(dataset), suite.n_outputs(net)
        bseed = family.seed_of(s["seed"], s["data"], dataset)
        batch = data.for_task(data.draw(s["data"], s["batch_size"], bseed, tuple(space.input_shape(dataset)), n_out),
                              kind, n_out, bseed)
        out[name] = suite.compute(net, batch, [name], seed=family.seed_of(s["seed"], space.bench, key, "zen"),
                                  loss_fn=data.LOSSES[kind])[name]
    return out


def measure(bench: str, n: int, seed: int) -> dict:
    space = spaces.get(bench)
    dataset = space.datasets[0]
    s = family.settings(bench, data="fashion-mnist", datasets=[dataset])
    specs = sample_specs(space, n, random.Random(seed))
    shared, sep, mismatches = [], [], []
    for spec in specs:
        key = space.key(spec)
        family._batch.cache_clear()  # the suite's batch is drawn once per run; count one draw per arch here
        together, tw, tc = timed(lambda: family._values(space, spec, key, dataset, s))
        alone, sw, sc = timed(lambda: separately(space, spec, key, dataset, s))
        shared.append((tw, tc))
        sep.append((sw, sc))
        mismatches += [p for p in together if not (math.isclose(together[p], alone[p], rel_tol=1e-6, abs_tol=1e-9)
                                                   or (math.isnan(together[p]) and math.isnan(alone[p])))]
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    groups = len(family._network_groups(bench, space.datasets, space.key(specs[0])))
    return {"bench": bench, "dataset": dataset, "n": n, "batch": s["batch_size"], "proxies": len(s["proxies"]),
            "shared_wall": med(shared, 0), "shared_cpu": med(shared, 1),
            "separate_wall": med(sep, 0), "separate_cpu": med(sep, 1),
            "n_archs": space.n_archs, "networks_per_arch": groups, "mismatches": sorted(set(mismatches)),
            "load": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bench", action="append", choices=BENCHES)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for bench in args.bench or BENCHES:
        r = measure(bench, args.sample, args.seed)
        rows.append(r)
        print(json.dumps(r), flush=True)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(rows, indent=1))
    print(f"\n| bench (first dataset) | archs | batch | suite per arch, wall / CPU | each proxy separately, wall / CPU "
          f"| speed-up (CPU) | whole space, 1 core (suite, all dataset networks) | load |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        whole_h = r["n_archs"] * r["networks_per_arch"] * r["shared_cpu"] / 3600
        print(f"| {r['bench']} ({r['dataset']}) | {r['n']} | {r['batch']} | {r['shared_wall']:.1f} s / {r['shared_cpu']:.1f} s "
              f"| {r['separate_wall']:.1f} s / {r['separate_cpu']:.1f} s | {r['separate_cpu'] / r['shared_cpu']:.1f}x "
              f"| {whole_h:,.0f} h ({r['n_archs']:,} archs x {r['networks_per_arch']} networks) | {r['load']:.0f} |")
    print(f"\n{len(registry.NAMES)} proxies; values equal both ways: "
          f"{all(not r['mismatches'] for r in rows)} ({[r['mismatches'] for r in rows]})")


if __name__ == "__main__":
    main()
