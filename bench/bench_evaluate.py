"""Benchmark `nasdb eval`: evaluate everything (all proxies x all datasets/tasks, 1,000 bootstrap resamples),
then time reading one stored correlation (NB201, 15,625 archs) the way the app and SQL users do.

    python bench/bench_evaluate.py --db data/nasdb.duckdb [--targets primary|all]

The database is copied first (the original is never written). Reports wall and CPU seconds, peak RSS,
rows written, and the median latency of the stored-correlation query.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import psutil

from nasdb.evaluate import Filters, Settings, evaluate

QUERY = ("SELECT proxy, proxy_source, n, spearman, spearman_lo, spearman_hi, kendall FROM correlations "
         "WHERE bench = 'nb201' AND dataset = 'cifar10-valid' AND split = 'test' AND metric = 'accuracy' "
         "AND population = 'all' AND arch_set = 'own' AND proxy = 'nasgraph_avg_degree'")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="a built database (ingest + nasgraph scores)")
    ap.add_argument("--targets", default="primary", choices=["primary", "all"])
    ap.add_argument("--bootstrap", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        shutil.copy(args.db, path)
        con = duckdb.connect(str(path))
        proc = psutil.Process()
        cpu0, t0 = time.process_time(), time.perf_counter()
        summary = evaluate(con, Filters(), Settings(targets=args.targets, bootstrap=args.bootstrap), progress=True)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        combos = con.execute("SELECT count(*), count(DISTINCT bench || dataset || split || metric || gt_source), "
                             "count(DISTINCT proxy || proxy_source), max(n) FROM correlations").fetchall()[0]
        print(f"eval ({args.targets} targets, {args.bootstrap} resamples): {wall:.1f} s wall, {cpu:.1f} s CPU, "
              f"peak RSS {proc.memory_info().rss / 2**20:.0f} MB (current; see ru_maxrss below)")
        print(f"  {combos[0]} (target, proxy) pairs over {combos[1]} targets and {combos[2]} proxies, "
              f"largest n = {combos[3]}; rows written: {summary.rows}")
        con.close()
        ro = duckdb.connect(str(path), read_only=True)
        times = []
        for _ in range(200):
            q0 = time.perf_counter()
            row = ro.execute(QUERY).fetchall()
            times.append(time.perf_counter() - q0)
        print(f"stored correlation query: median {statistics.median(times) * 1e3:.2f} ms, "
              f"max {max(times) * 1e3:.2f} ms over 200 runs -> {row}")
    import resource
    print(f"ru_maxrss: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
