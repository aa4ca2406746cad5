"""Benchmark: bring your own proxy — import 15,625 NB201 values from CSV and evaluate them (issue 13).

On a copy of a real database (NB201 ingested): first the state after `nasdb build` (every proxy evaluated
by this code with these settings; timed as "setup", it also compiles the numba kernels once), then a
CSV with one value per NB201 cell (official strings, and once official indices) and, timed each:
``nasdb.import_proxy`` (read, place through the space, store through the harness); the stored
evaluation of the new proxy (``runner.evaluate`` filtered to it, as `nasdb eval --proxy NAME` runs it),
once recomputing every row (``reuse_stored=False``, `--recompute`: the baselines evaluated alongside
included, as before rows were reused) and once reusing the stored rows of unchanged inputs (the
default); and ``nasdb.evaluate_values`` on the same file (no write, incl. the rank among every stored
proxy). The two imported proxies hold the same values, so their evaluations are the same work; neither
was evaluated before. CPU seconds are this process's (all threads). Target: seconds. Prints Markdown
rows for docs/benchmarks.md. About 3-5 minutes on a quiet 2-core machine with the default settings
(mostly the setup).

    .venv/bin/python bench/bench_import.py --db data/nasdb.duckdb
    .venv/bin/python bench/bench_import.py --db data/nasdb.duckdb --bootstrap 50 --trials 20   # a quick check
"""
from __future__ import annotations

import argparse
import os
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
    ap.add_argument("--trials", type=int, default=500)
    args = ap.parse_args()

    import numpy as np
    import polars as pl

    import nasdb
    from nasdb import store
    from nasdb.evaluate import runner

    settings = runner.Settings(bootstrap=args.bootstrap, trials=args.trials)
    rows = []

    def timed(what: str, fn, note) -> object:
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        rows.append((what, time.perf_counter() - t0, time.process_time() - c0, note(out)))
        return out

    def evaluate(db: Path, f: runner.Filters, reuse: bool) -> runner.RunSummary:
        con = store.connect(db)
        try:
            return runner.evaluate(con, f, settings, progress=False, reuse_stored=reuse)
        finally:
            con.close()

    def stored(s: runner.RunSummary) -> str:
        return f"{sum(s.rows.values())} rows; {s.reused} (target, proxy) copied from stored rows"

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "nasdb.duckdb"
        shutil.copy(args.db, db)
        timed("setup: `nasdb eval --bench nb201` (the state after `nasdb build`)",
              lambda: evaluate(db, runner.Filters("nb201"), True), stored)
        con = store.connect(db, read_only=True)
        archs = store.frame(con, "SELECT arch_id, arch_key FROM archs WHERE bench = 'nb201' ORDER BY arch_id")
        con.close()
        values = np.random.default_rng(0).normal(size=archs.height)
        files = {"official": Path(tmp) / "official.csv", "index": Path(tmp) / "index.csv"}
        pl.DataFrame({"arch": archs["arch_key"], "score": values}).write_csv(files["official"])
        pl.DataFrame({"index": archs["arch_id"], "score": values}).write_csv(files["index"])
        for fmt, path in files.items():
            timed(f"import {archs.height:,} values ({fmt} keys)",
                  lambda: nasdb.import_proxy(path, f"bench_{fmt}", "nb201", db=db),
                  lambda out: f"merge held the file {out[1].lock_seconds:.2f} s")
        # the two imports hold the same values, neither evaluated yet: the same work, before and after reuse
        timed("`nasdb eval --proxy bench_official --recompute` (every row computed, as before reuse)",
              lambda: evaluate(db, runner.Filters("nb201", proxies=["bench_official"]), False), stored)
        timed("`nasdb eval --proxy bench_index` (stored rows of unchanged inputs reused)",
              lambda: evaluate(db, runner.Filters("nb201", proxies=["bench_index"]), True), stored)
        timed("`evaluate_values`, no write (incl. the rank among stored proxies)",
              lambda: nasdb.evaluate_values(files["official"], "nb201", bootstrap=args.bootstrap,
                                            trials=args.trials, db=db),
              lambda out: f"{out['correlations'].height} correlation rows, {out['rank'].height} rank rows")
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"bootstrap {args.bootstrap}, trials {args.trials}; load average at the end {load}\n")
    print("| step | wall s | CPU s (this process) | note |\n|---|---:|---:|---|")
    for what, s, cpu, note in rows:
        print(f"| {what} | {s:.2f} | {cpu:.2f} | {note} |")


if __name__ == "__main__":
    main()
