"""Benchmark: `nasdb build` from an empty cache and database — wall time and peak memory (RSS).

Runs the real CLI in a child process (cold: fresh cache, fresh database, from NASDB_MIRROR) and
reads the child's peak RSS from the kernel. Prints a Markdown table row for docs/benchmarks.md.

    NASDB_MIRROR=../shared/benchdata .venv/bin/python bench/bench_build.py [--steps ingest]
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    if not os.environ.get("NASDB_MIRROR"):
        sys.exit("set NASDB_MIRROR to the benchmark mirror")
    nasdb = Path(sys.executable).with_name("nasdb")
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "NASDB_CACHE": f"{tmp}/cache", "NASDB_DB": f"{tmp}/nasdb.duckdb"}
            t0 = time.perf_counter()
            subprocess.run([str(nasdb), "build"], env=env, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - t0
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            size_mb = Path(f"{tmp}/nasdb.duckdb").stat().st_size / 2**20
            print("| step | wall | peak RSS so far |\n|---|---|---|")
            con = duckdb.connect(f"{tmp}/nasdb.duckdb", read_only=True)
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
            con.close()
            for step in ("fetch", "ingest", "score", "evaluate"):
                print(f"| {step} | {meta[f'step_seconds:{step}']} s | {meta[f'step_peak_rss_mb:{step}']} MB |")
            print(f"| **nasdb build** (cold cache, empty db; process incl. start-up) | **{wall:.1f} s** | "
                  f"**{peak_mb:.0f} MB** | database file {size_mb:.0f} MB |")


if __name__ == "__main__":
    main()
