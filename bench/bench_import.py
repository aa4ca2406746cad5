"""Benchmark: bring your own proxy — import 15,625 NB201 values from CSV and evaluate them (issue 13).

On a copy of a real database (NB201 ingested): write a CSV with one value per NB201 cell (official
strings, and once with official indices), time ``nasdb.import_proxy`` (read, place through the space,
store through the harness), the stored evaluation of that proxy (``runner.evaluate`` filtered to it,
1,000 bootstrap resamples) and ``nasdb.evaluate_values`` on the same file (no write, incl. the rank
among every stored proxy). Target: seconds. Prints Markdown rows for docs/benchmarks.md.

    .venv/bin/python bench/bench_import.py --db data/nasdb.duckdb
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=str(ROOT / "data" / "nasdb.duckdb"))
    ap.add_argument("--bootstrap", type=int, default=1000)
    args = ap.parse_args()

    import numpy as np
    import polars as pl

    import nasdb
    from nasdb import store
    from nasdb.evaluate import runner

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "nasdb.duckdb"
        shutil.copy(args.db, db)
        con = store.connect(db)
        archs = store.frame(con, "SELECT arch_id, arch_key FROM archs WHERE bench = 'nb201' ORDER BY arch_id")
        con.close()
        values = np.random.default_rng(0).normal(size=archs.height)
        files = {"official": Path(tmp) / "official.csv", "index": Path(tmp) / "index.csv"}
        pl.DataFrame({"arch": archs["arch_key"], "score": values}).write_csv(files["official"])
        pl.DataFrame({"index": archs["arch_id"], "score": values}).write_csv(files["index"])
        rows = []
        for fmt, path in files.items():
            t0, c0 = time.perf_counter(), time.process_time()
            placed, run = nasdb.import_proxy(path, f"bench_{fmt}", "nb201", db=db)
            rows.append((f"import {placed.n_rows:,} values ({fmt} keys)", time.perf_counter() - t0,
                         time.process_time() - c0, f"merge held the file {run.lock_seconds:.2f} s"))
        t0, c0 = time.perf_counter(), time.process_time()
        con = store.connect(db)
        summary = runner.evaluate(con, runner.Filters("nb201", proxies=["bench_official"]),
                                  runner.Settings(bootstrap=args.bootstrap), progress=False)
        con.close()
        rows.append((f"nasdb eval of it (4 datasets, bootstrap {args.bootstrap})", time.perf_counter() - t0,
                     time.process_time() - c0, f"{sum(summary.rows.values())} rows"))
        t0, c0 = time.perf_counter(), time.process_time()
        out = nasdb.evaluate_values(files["official"], "nb201", bootstrap=args.bootstrap, db=db)
        rows.append((f"evaluate_values, no write (4 datasets, bootstrap {args.bootstrap}, rank)",
                     time.perf_counter() - t0, time.process_time() - c0, f"{out['rank'].height} rank rows"))
    print("| step | wall s | CPU s (this process) | note |\n|---|---:|---:|---|")
    for what, s, cpu, note in rows:
        print(f"| {what} | {s:.2f} | {cpu:.2f} | {note} |")


if __name__ == "__main__":
    main()
