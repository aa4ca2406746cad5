"""Benchmark: the zero-cost suite per architecture (one network build, one batch, shared passes)
against computing each proxy separately the reference way (per proxy its own network build, its own
batch draw and only that proxy's passes: ``suite.compute(net, batch, [p])``), side by side on the
same seeded sample of architectures; the per-architecture cost on one core and the resulting time
for whole spaces; the measured ceiling of any exact suite (see ``FLOOR``); and the exact
Hessian-gradient products grasp could use (double backward, which the suite uses, against torch.func
forward-over-reverse).

Both ways must give the same values (compared here, relative 1e-6; tests/test_zc_shared.py too).
One torch thread (intra- and inter-op); the first dataset/task of each space (NB201 cifar10-valid,
TNB101 class_scene, NB101 cifar10); fashion-mnist batches of the default size (NB201 64, others 32).
CPU seconds are the figure (process time; the wall time of a loaded machine says little). The whole
space figure is n_archs x the space's distinct dataset networks x the first network's suite CPU time
(an estimate: other tasks' heads cost a little more or less). Prints Markdown for docs/benchmarks.md
and writes bench/out/zc.json. The default arch counts fit in about 8 minutes on a quiet machine.

    NASDB_MIRROR=../shared/benchdata .venv/bin/python bench/bench_zc.py [--bench nb201 --archs 4 ...]
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
ARCHS = {"nb201": 3, "tnb101_micro": 1, "nb101": 1, "tnb101_macro": 1}  # ~7-8 min in all on a quiet machine
DEFAULT_BENCHES = ("nb201", "tnb101_micro", "nb101")  # tnb101_macro on request (--bench tnb101_macro)
# The proxies whose work no other proxy can read: grasp's Hessian-gradient product, zico's two half-batch
# gradients (BatchNorm statistics per half), zen's and synflow's rewritten weights, meco's one-image
# forward. A suite of just these is what any exact suite of all proxies costs at least, so
# (each proxy separately) / (this suite) bounds the speed-up sharing can reach.
FLOOR = ("grasp", "zico", "zen", "meco", "synflow")


def timed(fn):
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))


def measure(bench: str, n: int, seed: int) -> dict:
    space = spaces.get(bench)
    dataset = space.datasets[0]
    s = family.settings(bench, data="fashion-mnist", datasets=[dataset])
    data.draw("fashion-mnist", 1, 0, (1, 32, 32), 10)  # the image file is read once per process, not timed
    specs = sample_specs(space, n, random.Random(seed))
    floor_settings = {**s, "proxies": list(FLOOR)}
    shared, separate, floor, per_proxy, mismatches = [], [], [], {p: [] for p in s["proxies"]}, set()
    for spec in specs:
        key = space.key(spec)
        family._batch.cache_clear()  # a run draws its batch once; count that draw in every arch here
        together, wall, cpu = timed(lambda: family._values(space, spec, key, dataset, s))
        shared.append((wall, cpu))
        walls = cpus = 0.0
        for name in s["proxies"]:
            value, wall, cpu = timed(lambda: family.score_alone(space.bench, key, dataset, s, name))
            walls, cpus = walls + wall, cpus + cpu
            per_proxy[name].append(cpu)
            if not same(together[name], value):
                mismatches.add(name)
        separate.append((walls, cpus))
        family._batch.cache_clear()
        floor.append(timed(lambda: family._values(space, spec, key, dataset, floor_settings))[2])
    groups = len(family._network_groups(bench, space.datasets, space.key(specs[0])))
    return {"bench": bench, "dataset": dataset, "n": n, "batch": s["batch_size"], "proxies": len(s["proxies"]),
            "shared_cpu": [c for _, c in shared], "separate_cpu": [c for _, c in separate],
            "shared_wall": [w for w, _ in shared], "separate_wall": [w for w, _ in separate], "floor_cpu": floor,
            "alone_cpu_median": {p: statistics.median(v) for p, v in per_proxy.items()},
            "n_archs": space.n_archs, "networks_per_arch": groups, "mismatches": sorted(mismatches)}


def hessian_products(seed: int) -> dict:
    """grasp's Hessian-gradient product on one NB201 network (cifar10-valid, batch 64), g given:
    double backward (create_graph gradient, then its gradient) against torch.func's
    forward-over-reverse jvp of the gradient; CPU seconds and their largest relative difference."""
    from torch.func import functional_call, grad, jvp

    space = spaces.get("nb201")
    spec = sample_specs(space, 1, random.Random(seed))[0]
    net = space.network(spec, "cifar10-valid", seed=0).train()
    b = data.draw("fashion-mnist", 64, 0, (3, 32, 32), 10)
    loss = torch.nn.functional.cross_entropy
    names = [n + ".weight" for n, m in net.named_modules() if isinstance(m, suite.WEIGHTED)]
    params = dict(net.named_parameters())
    weights = [params[n] for n in names]
    g, _, plain_cpu = timed(lambda: torch.autograd.grad(loss(net(b.x), b.y), weights))

    def double_backward():
        raw = torch.autograd.grad(loss(net(b.x), b.y), weights, create_graph=True)
        return torch.autograd.grad(sum((gi * r).sum() for gi, r in zip(g, raw)), weights)

    def loss_of(w):  # buffers cloned: BatchNorm's running-stat update may not touch captured tensors
        state = {**{k: v.detach() for k, v in params.items()}, **w,
                 **{k: v.clone() for k, v in net.named_buffers()}}
        return loss(functional_call(net, state, (b.x,)), b.y)

    def forward_over_reverse():
        _, hg = jvp(grad(loss_of), ({n: params[n].detach() for n in names},), (dict(zip(names, g)),))
        return [hg[n] for n in names]

    hg1, _, dbl_cpu = timed(double_backward)
    hg2, _, fwd_cpu = timed(forward_over_reverse)
    diff = max(float((a - c).abs().max() / a.abs().max().clamp_min(1e-30)) for a, c in zip(hg1, hg2))
    return {"gradient_cpu": plain_cpu, "double_backward_cpu": dbl_cpu, "forward_over_reverse_cpu": fwd_cpu,
            "max_rel_diff": diff}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", action="append", choices=tuple(ARCHS))
    ap.add_argument("--archs", type=int, help="architectures per space (default: %s)" % ARCHS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-hessian", action="store_true", help="skip the Hessian-gradient product comparison")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    start, load0 = time.perf_counter(), os.getloadavg()[0]
    rows = []
    for bench in args.bench or DEFAULT_BENCHES:
        r = measure(bench, args.archs or ARCHS[bench], args.seed)
        rows.append(r)
        print(json.dumps(r), flush=True)
    hp = None if args.no_hessian else hessian_products(args.seed)
    load = (load0, os.getloadavg()[0])
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"rows": rows, "hessian": hp, "load": load}, indent=1))
    print(f"\n| bench (first dataset) | archs | batch | suite per arch, CPU | each proxy separately, CPU | speed-up "
          f"(CPU, range over archs) | suite of {'+'.join(FLOOR)} alone, CPU | ceiling: separately / that | "
          f"whole space, 1 core (suite) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        shared, sep = statistics.median(r["shared_cpu"]), statistics.median(r["separate_cpu"])
        ratios = [b / a for a, b in zip(r["shared_cpu"], r["separate_cpu"])]
        whole_h = r["n_archs"] * r["networks_per_arch"] * shared / 3600
        fl = statistics.median(r["floor_cpu"])
        print(f"| {r['bench']} ({r['dataset']}) | {r['n']} | {r['batch']} | {shared:.2f} s | {sep:.2f} s "
              f"| {sum(r['separate_cpu']) / sum(r['shared_cpu']):.2f}x ({min(ratios):.2f}-{max(ratios):.2f}) "
              f"| {fl:.2f} s | {sum(r['separate_cpu']) / sum(r['floor_cpu']):.2f}x "
              f"| {whole_h:,.0f} h ({r['n_archs']:,} archs x {r['networks_per_arch']} networks) |")
    print("\nEach proxy alone (median CPU s per arch, build and batch draw included):\n")
    print("| proxy | " + " | ".join(r["bench"] for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for p in registry.NAMES:
        print(f"| {p} | " + " | ".join(f"{r['alone_cpu_median'][p]:.2f}" for r in rows) + " |")
    if hp:
        print(f"\ngrasp's Hessian-gradient product (NB201, batch 64, g given; gradient alone {hp['gradient_cpu']:.2f} s "
              f"CPU): double backward {hp['double_backward_cpu']:.2f} s, torch.func forward-over-reverse "
              f"{hp['forward_over_reverse_cpu']:.2f} s; largest relative difference {hp['max_rel_diff']:.1e}")
    print(f"\n{len(registry.NAMES)} proxies; values equal both ways (rel 1e-6): "
          f"{all(not r['mismatches'] for r in rows)} ({[r['mismatches'] for r in rows]}); "
          f"load average {load[0]:.1f} -> {load[1]:.1f}; {time.perf_counter() - start:.0f} s wall in all")


if __name__ == "__main__":
    main()
