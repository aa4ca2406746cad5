"""Benchmark: search replays on NB201 CIFAR-10 next to the published results, replay speed, WL index build.

Protocol of Dong & Yang (NAS-Bench-201, ICLR 2020, Table 5): search on `cifar10-valid` validation
accuracy, report the CIFAR-10 (train+valid) test accuracy of the final architecture. Published (mean
+- std over runs): REA 93.92 +- 0.30, random search 93.70 +- 0.36, at a 12,000 s simulated-training
budget. The mirrored NB201 files carry no training times, so budgets here are in queries; the replay's
reward is the 200-epoch validation accuracy (the paper's camera-ready used the 12-epoch one). Prints
Markdown rows for docs/benchmarks.md and writes bench/out/bench_search.json.

    .venv/bin/python bench/bench_search.py --db data/nasdb.duckdb --seeds 100
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nasdb import spaces, store  # noqa: E402
from nasdb.search import table  # noqa: E402
from nasdb.search.replay import curves, replay  # noqa: E402
from nasdb.similarity.index import build  # noqa: E402

PUBLISHED = {"re": (93.92, 0.30), "random": (93.70, 0.36)}  # NB201 paper, CIFAR-10 test accuracy
BUDGETS = (25, 50, 75, 100, 150, 200, 300)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=str(ROOT / "data" / "nasdb.duckdb"))
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--proxy", default="nasgraph_avg_degree")
    args = ap.parse_args()
    con = store.connect(args.db, read_only=True)
    space = spaces.get("nb201")
    t = table.load(con, "nb201", "cifar10-valid", "cifar10", proxy=args.proxy, flops="flops")
    seeds = list(range(args.seeds))
    out: dict = {"seeds": args.seeds, "columns": t.sources, "curves": {}, "speed": {}, "wl": {}}

    print(f"| algorithm | queries | valid (mean +- std) | test (mean +- std) | 95% CI of the test mean | published test |")
    print("|---|---|---|---|---|---|")
    for algo in ("random", "re"):
        r = replay(t, space, algo, max(BUDGETS), seeds)
        c = curves(r)
        out["curves"][algo] = {k: [float(x) for x in v] for k, v in c.items()}
        for b in BUDGETS:
            i = b - 1
            pub = PUBLISHED[algo]
            inside = c["test_mean"][i] - c["test_std"][i] <= pub[0] <= c["test_mean"][i] + c["test_std"][i]
            print(f"| {algo} | {b} | {c['valid_mean'][i]:.2f} +- {c['valid_std'][i]:.2f} | "
                  f"{c['test_mean'][i]:.2f} +- {c['test_std'][i]:.2f} | [{c['test_lo'][i]:.2f}, {c['test_hi'][i]:.2f}] | "
                  f"{pub[0]:.2f} +- {pub[1]:.2f}{' (within 1 std)' if inside else ''} |")

    print("\n| algorithm | budget | test (mean +- std) | queries/s (incl. computing the space's moves) |")
    print("|---|---|---|---|")
    for algo, settings in (("random", {}), ("re", {}), ("local", {}), ("autoshrink", {}),
                           ("autoshrink", {"use_proxy": True}), ("zc-warmstart", {})):
        label = algo + (" + proxy" if settings.get("use_proxy") else "")
        r = replay(t, space, algo, 100, seeds, settings)
        qps = r.queries / r.wall_seconds
        c = curves(r)
        out["speed"][label] = {"queries_per_second": qps, "test_mean": float(c["test_mean"][-1]),
                               "test_std": float(c["test_std"][-1])}
        print(f"| {label} | 100 | {c['test_mean'][-1]:.2f} +- {c['test_std'][-1]:.2f} | {qps:,.0f} |")

    print("\n| space | cells indexed | WL index build (s) | features |")
    print("|---|---|---|---|")
    for s in spaces.all_spaces():
        rows = con.execute("SELECT arch_id, arch_key FROM archs a WHERE bench = ? AND EXISTS (SELECT 1 FROM "
                           "ground_truth g WHERE g.bench = a.bench AND g.arch_id = a.arch_id) ORDER BY arch_id",
                           [s.bench]).fetchall()
        if not rows:
            continue
        t0 = time.perf_counter()
        idx = build(s, [r[1] for r in rows], [r[0] for r in rows])
        secs = time.perf_counter() - t0
        out["wl"][s.bench] = {"cells": len(rows), "seconds": secs, "features": idx.matrix.shape[1]}
        print(f"| {s.bench} | {len(rows):,} | {secs:.1f} | {idx.matrix.shape[1]:,} |")
    con.close()
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "bench_search.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
