"""Faithfulness table: nasdb's stored zero-cost runs next to the published NAS-Bench-Suite-Zero values.

Reads a database (no computing): for each given zc run (default: every complete zc run of the
database), per (dataset, proxy), Spearman(nasdb, published) on the archs both have, the ceiling
(Spearman of the two published copies with each other), and Spearman of nasdb's and of the
published values with the bench's primary ground truth on the same archs, each with a 95% bootstrap
interval. Prints the Markdown table of docs/benchmarks.md and writes bench/out/zc_faithfulness.json.

The runs themselves are made with ``nasdb score zc --published --sample N`` (the commands are in
docs/benchmarks.md), e.g.

    nasdb score zc --bench nb201 --dataset cifar10 --published --sample 400 --data synthetic \\
        --batch-size 16 --proxy params --proxy flops --proxy l2_norm --proxy synflow --proxy zen
    python bench/zc_faithfulness.py [--db data/nasdb.duckdb] [--run RUN_ID ...]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from nasdb import store
from nasdb.proxies.zc import faithful

OUT = Path(__file__).parent / "out" / "zc_faithfulness.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="database (default: env NASDB_DB, else data/nasdb.duckdb)")
    ap.add_argument("--run", action="append", help="zc run id (repeatable; default: every complete zc run)")
    ap.add_argument("--resamples", type=int, default=faithful.RESAMPLES, help="bootstrap resamples")
    args = ap.parse_args()
    con = store.connect(args.db, read_only=True)
    runs = args.run or [r[0] for r in con.execute(
        "SELECT run_id FROM proxy_runs WHERE proxy = 'zc' AND status = 'complete' ORDER BY bench, started_at").fetchall()]
    rows = []
    for run_id in runs:
        about = con.execute("SELECT bench, n_archs, settings FROM proxy_runs WHERE run_id = ?", [run_id]).fetchone()
        s = json.loads(about[2])
        print(f"{run_id}: {about[1]} archs, data {s['data']}, batch {s['batch_size']}, seed {s['seed']}, "
              f"{s['implementation']}")
        rows += faithful.table(con, run_id, args.resamples)
    con.close()
    print(faithful.markdown(rows))
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps([dataclasses.asdict(r) for r in rows], indent=1))


if __name__ == "__main__":
    main()
