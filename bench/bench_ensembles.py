"""Data-free ensembles chosen without their target: the figures of docs/benchmarks.md (ensembles).

    .venv/bin/python bench/bench_ensembles.py [--db data/nasdb.duckdb] [--max-size 6]

Needs a built database with ``nasdb score graf --bench all``. For each selection task and method it
runs the ensemble search (members from the data-free graph proxies graf_* + nasgraph_*, chosen on the
selection task alone) and prints the chosen ensemble's Spearman on every NB201 dataset and on the
selection task, as markdown rows. Cross-benchmark selections use only the features every space has.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nasdb import store  # noqa: E402
from nasdb.evaluate import ensemble_search as es  # noqa: E402

PORTABLE_GRAF = ["graf_depth", "graf_width", "graf_trainable", "graf_min_path", "graf_unreachable"]
PORTABLE = [*PORTABLE_GRAF, "nasgraph_*"]
DATA_FREE_PEER = ("synflow", "zen", "params", "flops")  # no image data: all-ones / Gaussian input, or static
SELECTIONS = [  # (selection task, candidate patterns[, population])
    (("nb201", "cifar100"), ["graf_*", "nasgraph_*"]),
    (("nb201", "ImageNet16-120"), ["graf_*", "nasgraph_*"]),
    (("tnb101_micro", "class_scene"), PORTABLE),
    (("nb101", "cifar10"), PORTABLE),
    (("nb201", "cifar100"), PORTABLE),                    # NB101 has one dataset: its members come from NB201
    (("tnb101_micro", "class_object"), ["graf_*", "nasgraph_*"]),
    (("nb201", "cifar100"), PORTABLE_GRAF),               # for NB101 when its NASGraph run is not complete
    (("tnb101_macro", "class_object"), ["graf_*", "nasgraph_*"]),
    # plus the data-free zero-cost proxies NAS-Bench-Suite-Zero computed (GRAF's copy: 9,445 NB201 cells)
    # on GRAF's de-duplicated NB201 list, where those exist
    (("nb201", "ImageNet16-120"), ["graf_*", "nasgraph_*", *(f"{p}@peer:graf" for p in DATA_FREE_PEER)],
     "set:graf:unique_nets"),
]
JUDGED = [("nb201", "cifar10-valid"), ("nb201", "cifar10"), ("nb201", "cifar100"), ("nb201", "ImageNet16-120"),
          ("tnb101_micro", "class_scene"), ("tnb101_macro", "class_scene"), ("nb101", "cifar10")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=str(ROOT / "data" / "nasdb.duckdb"))
    ap.add_argument("--max-size", type=int, default=6)
    ap.add_argument("--methods", default="log_rank_sum,mean_rank,zscore")
    ap.add_argument("--selections", help="comma-separated indices into SELECTIONS (default: all)")
    args = ap.parse_args()
    con = store.connect(args.db, read_only=True)
    head = " | ".join(f"{b}/{d}" for b, d in JUDGED)
    print(f"| selected on | method | members | {head} |")
    print("|---|---|---|" + "---|" * len(JUDGED))
    picked = [SELECTIONS[int(i)] for i in args.selections.split(",")] if args.selections else SELECTIONS
    for (bench, dataset), patterns, *population in picked:
        population = population[0] if population else "all"
        for method in args.methods.split(","):
            t0 = time.perf_counter()
            task, chosen, _ = es.search(con, bench, dataset, patterns, method, args.max_size, population)
            rep = es.report(con, chosen, task, JUDGED, population)
            cells = []
            for r in rep.iter_rows(named=True):
                v = "n/a" if r["spearman"] is None else f"{r['spearman']:.3f}"
                cells.append(f"**{v}** (sel.)" if r["role"] == "selection" else f"{v} (n={r['n']})")
            print(f"| {bench}/{dataset} ({population}) | {method} | {' + '.join(map(str, chosen.members))} | {' | '.join(cells)} |"
                  f"  <!-- {time.perf_counter() - t0:.0f} s -->", flush=True)


if __name__ == "__main__":
    main()
