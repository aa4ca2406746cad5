"""Benchmark: NB101 end to end on one core — enumeration, hash checks, NASGraph for all 423,624 cells.

Each stage runs in a fresh child process (one torch/numba thread), so its wall time and peak RSS
are its own:
- enumerate: all cells + module hashes from scratch into an empty cache (numba compile included);
- checks:    data-1k cells reproduce their `key`, every data-20k hash is enumerated, count unique;
- fast:      NASGraph (fast mode) for every cell;
- reference: NASGraph reference mode (fresh weights per cell) on a random sample, and
             Spearman(fast, reference) on it;
- tfrecord:  the official-format reader on a synthetic 100,000-record file;
- score:     `nasdb score nasgraph --bench nb101` cold into DuckDB (all cells), without and with the
             stored block matrices;
then the rank correlations of nasgraph_avg_degree with the 108-epoch validation accuracy of the
20,001 mirrored cells, and the Suite-Zero peers' on their 500 records. Prints Markdown for
docs/benchmarks.md and writes bench/out/nb101.json (+ the fast scores, bench/out/nb101_fast.npz).

    NASDB_MIRROR=../shared/benchdata .venv/bin/python bench/bench_nb101.py [--sample 300] [--stages ...]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DATA1K, DATA20K = "nb101/nasbench_vis/data-1k.json", "nb101/nasbench_vis/data-20k.json"
SZ = "zc/naslib_nbsuitezero_early/zc_nasbench101.json"
ONE_CORE = {"OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def stage_enumerate(cache: str, **_) -> dict:
    from nasdb.spaces import nb101_enumerate

    cells = nb101_enumerate.load(Path(cache), progress=False)
    return {"cells": len(cells)}


def stage_checks(cache: str, **_) -> dict:
    from nasdb import sources
    from nasdb.spaces import nb101, nb101_enumerate

    cells = nb101_enumerate.load(Path(cache), progress=False)
    d1k = json.loads(sources.verified_path(DATA1K, Path(cache)).read_bytes())
    d20k = json.loads(sources.verified_path(DATA20K, Path(cache)).read_bytes())
    hashes = set(cells.hashes.tolist())
    reproduced = sum(nb101.from_padded(a, o).hash == k for a, o, k in zip(d1k["adjacency"], d1k["operations"], d1k["key"]))
    return {"cells": len(cells), "unique_hashes": len(hashes), "data1k_reproduced": reproduced,
            "data1k_total": len(d1k["key"]), "data20k_found": sum(k in hashes for k in d20k["key"]),
            "data20k_total": len(d20k["key"]),
            "data20k_is_sorted_prefix": cells.hashes[:len(d20k["key"])].tolist() == d20k["key"]}


def stage_fast(cache: str, **_) -> dict:
    import numpy as np

    from nasdb.proxies.nasgraph import nb101 as nasgraph_nb101
    from nasdb.spaces import nb101_enumerate

    cells = nb101_enumerate.load(Path(cache), progress=False)
    t0 = time.perf_counter()
    vals = nasgraph_nb101.fast_measures(cells, seed=0, progress=True)
    seconds = time.perf_counter() - t0
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez(OUT / "nb101_fast.npz", hashes=cells.hashes, **vals)
    return {"cells": len(cells), "scoring_seconds": seconds,
            "nan_avg_degree": int(np.isnan(vals["nasgraph_avg_degree"]).sum())}


def stage_reference(cache: str, sample: int, **_) -> dict:
    import numpy as np
    from scipy import stats

    from nasdb.proxies.nasgraph import engine
    from nasdb.proxies.nasgraph import nb101 as nasgraph_nb101
    from nasdb.spaces import nb101_enumerate

    cells = nb101_enumerate.load(Path(cache), progress=False)
    fast = np.load(OUT / "nb101_fast.npz")["nasgraph_avg_degree"]
    picked = np.sort(np.random.default_rng(0).choice(len(cells), size=sample, replace=False))
    t0 = time.perf_counter()
    ref = engine.compute([nasgraph_nb101.surrogate(cells.cell(int(i))) for i in picked], "reference", seed=0,
                         keys=[(int(i),) for i in picked])["nasgraph_avg_degree"]
    seconds = time.perf_counter() - t0
    return {"sample": sample, "seconds": seconds, "seconds_per_cell": seconds / sample,
            "spearman_fast_reference": float(stats.spearmanr(fast[picked], ref).statistic),
            "kendall_fast_reference": float(stats.kendalltau(fast[picked], ref).statistic)}


def stage_tfrecord(cache: str, **_) -> dict:
    """Reader throughput on a synthetic file in the official format (the real one is not mirrored)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_nb101_tfrecord import HASH, payload, write_tfrecord  # the tests' independent writer

    from nasdb.readers import nb101_proto

    n = 100_000
    Path(cache).mkdir(parents=True, exist_ok=True)
    path = Path(cache) / "synthetic.tfrecord"
    write_tfrecord(path, (payload(HASH, 108, i % 3)[0] for i in range(n)))  # streamed: low peak RSS
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    runs = nb101_proto.read_runs(path, progress=False)
    seconds = time.perf_counter() - t0
    size = path.stat().st_size
    path.unlink()
    return {"records": n, "rows": runs.height, "file_mb": size / 1e6,
            "read_seconds": seconds, "records_per_second": n / seconds,
            "rss_growth_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before}


def correlations(cache: str) -> dict:
    import numpy as np
    from scipy import stats

    from nasdb import sources
    from nasdb.spaces import nb101, nb101_enumerate

    scores = np.load(OUT / "nb101_fast.npz")
    hashes = scores["hashes"]
    d20k = json.loads(sources.verified_path(DATA20K, Path(cache)).read_bytes())
    pos = np.searchsorted(hashes, np.array(d20k["key"]))
    acc = np.array(d20k["108_final_validation_accuracy"])
    avg = scores["nasgraph_avg_degree"][pos]
    labels = nb101_enumerate.load(Path(cache), progress=False).labels
    n_conv = np.isin(labels, [nb101.HASH_LABELS[op] for op in nb101.CONV_OPS]).sum(axis=1)
    out = {"n_cells": len(pos),
           "spearman_avg_degree_valid108": float(stats.spearmanr(avg, acc).statistic),
           "kendall_avg_degree_valid108": float(stats.kendalltau(avg, acc).statistic),
           "spearman_n_conv_valid108": float(stats.spearmanr(n_conv[pos], acc).statistic),
           "spearman_avg_degree_n_conv_all_cells": float(stats.spearmanr(scores["nasgraph_avg_degree"],
                                                                         n_conv).statistic)}
    for name in ("nasgraph_edges", "nasgraph_nodes", "nasgraph_density", "nasgraph_degree_entropy", "nasgraph_gini",
                 "nasgraph_resilience", "nasgraph_wedges"):
        out[f"spearman_{name}_valid108"] = float(stats.spearmanr(scores[name][pos], acc).statistic)
    sz = json.loads(sources.verified_path(SZ, Path(cache)).read_bytes())["nasbench101"]["cifar10"]
    keys = list(sz)
    val = np.array([sz[k]["val_accuracy"] for k in keys])
    peers = {p: float(stats.spearmanr([sz[k][p] for k in keys], val).statistic)
             for p in sz[keys[0]] if p != "val_accuracy"}
    sz_pos = np.searchsorted(hashes, np.array([nb101.from_naslib(k).hash for k in keys]))
    peers["nasgraph_avg_degree (nasdb)"] = float(stats.spearmanr(scores["nasgraph_avg_degree"][sz_pos], val).statistic)
    out["suite_zero_500"] = dict(sorted(peers.items(), key=lambda kv: -abs(kv[1])))
    return out


def stage_score(cache: str, **_) -> dict:
    """`nasdb score nasgraph --bench nb101` as users run it: a cold CLI process writing all 423,624 cells
    into DuckDB; first with no stored block matrices (probing, torch), then again with them."""
    import shutil

    from bench.bench_nasgraph import cold_score  # one way to time a cold `nasdb score` process
    from ingest.runner import run_jobs
    from nasdb import store

    os.environ["NASDB_CACHE"] = cache  # the enumeration and the stored block matrices live in this cache
    db = Path(cache) / "score.duckdb"
    db.unlink(missing_ok=True)
    con = store.connect(db)
    run_jobs(con, ["nb101"], cache=Path(cache), progress=False)
    con.close()
    shutil.rmtree(Path(cache) / "nasgraph", ignore_errors=True)
    out = {run: cold_score(db, "nb101", Path(cache)) for run in ("first", "again")}
    con = store.connect(db, read_only=True)
    out["rows"], out["cells"] = con.execute("SELECT count(*), count(DISTINCT arch_id) FROM proxies "
                                            "WHERE bench = 'nb101' AND value IS NOT NULL").fetchall()[0]
    out["load_average"] = os.getloadavg()
    return out


STAGES = {"enumerate": stage_enumerate, "checks": stage_checks, "fast": stage_fast, "reference": stage_reference,
          "tfrecord": stage_tfrecord, "score": stage_score}


def child(stage: str, cache: str, sample: int) -> None:
    import torch

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    result = STAGES[stage](cache=cache, sample=sample)
    result["wall_seconds"] = time.perf_counter() - t0
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result), flush=True)


def run_stage(stage: str, cache: str, sample: int) -> dict:
    env = {**os.environ, **ONE_CORE, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, __file__, "--child", stage, "--cache", cache, "--sample", str(sample)],
                          env=env, stdout=subprocess.PIPE, text=True, check=True)
    line = next(l for l in proc.stdout.splitlines() if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", type=int, default=300, help="cells scored in reference mode (default 300)")
    ap.add_argument("--cache", help="cache directory to use (default: a fresh temporary one)")
    ap.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES),
                    help="stages to run (default all; later stages need the cache of earlier ones)")
    ap.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.cache, args.sample)
    if not os.environ.get("NASDB_MIRROR"):
        sys.exit("set NASDB_MIRROR to the benchmark mirror")
    cache = args.cache or tempfile.mkdtemp(prefix="nasdb-bench-nb101-")
    OUT.mkdir(parents=True, exist_ok=True)
    previous = OUT / "nb101.json"
    results = json.loads(previous.read_text()) if previous.is_file() else {}
    for stage in args.stages:
        results[stage] = run_stage(stage, cache, args.sample)
        print(stage, results[stage], file=sys.stderr, flush=True)
    if (OUT / "nb101_fast.npz").is_file() and "fast" in args.stages:
        results["correlations"] = correlations(cache)
    (OUT / "nb101.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
