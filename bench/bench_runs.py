"""Benchmark: how long each writer holds the database's write lock, and what staging costs.

An observer process asks the kernel (fcntl F_GETLK, no lock taken: ``nasdb.dbfile.lock_holder``) every
20 ms whether a writer holds the file, while a real CLI command runs:
- ``score``:  ``nasdb score nasgraph --bench nb101`` (423,624 cells, 3.4 M values) on a copy of --db;
- ``eval``:   ``nasdb eval --bench nb201 --bootstrap 100 --trials 50`` on a copy of --nb201-db;
- ``ingest``: ``nasdb ingest naswot`` on the same copy.
Then ``staging`` compares, for the 3.4 M NB101 values just stored, the harness's way (104 checksummed
Parquet parts written outside the database + one merge transaction) with the old direct way (one
transaction per chunk into the database, the file held throughout). Prints Markdown for docs/benchmarks.md.

    NASDB_MIRROR=../shared/benchdata .venv/bin/python bench/bench_runs.py --db NB101.duckdb --nb201-db NB201.duckdb
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nasdb import dbfile, store  # noqa: E402


def observe(db: Path, argv: list[str], env: dict) -> dict:
    """Run ``nasdb ARGV`` and record every interval during which a writer held ``db``."""
    proc = subprocess.Popen([sys.executable, "-m", "nasdb.cli", "--db", str(db), *argv], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.perf_counter()
    intervals, since = [], None
    while proc.poll() is None:
        held = dbfile.lock_holder(db) is not None
        now = time.perf_counter()
        if held and since is None:
            since = now
        elif not held and since is not None:
            intervals.append(now - since)
            since = None
        time.sleep(0.02)
    if since is not None:
        intervals.append(time.perf_counter() - since)
    out, err = proc.communicate()
    assert proc.returncode == 0, err[-2000:]
    return {"wall": time.perf_counter() - t0, "held_total": sum(intervals), "held_max": max(intervals, default=0.0),
            "n_holds": len(intervals), "stdout": out.strip().splitlines()[-1] if out.strip() else ""}


def _cpu() -> float:
    """CPU seconds of this process, all threads (DuckDB's included): what the work costs on a quiet machine."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def staging_vs_direct(db: Path, workdir: Path) -> dict:
    """The same 3.4 M rows written the harness's way and the old way (per-chunk transactions)."""
    import polars as pl

    from nasdb.proxies.harness import staging

    con = store.connect(db, read_only=True)
    values = store.frame(con, "SELECT arch_id, dataset, proxy, value, note FROM proxies WHERE bench = 'nb101' "
                              "AND source = 'nasdb'")
    con.close()
    ids = values["arch_id"].unique().sort()
    chunks = [ids[i:i + 4096] for i in range(0, len(ids), 4096)]
    out = {"rows": values.height, "chunks": len(chunks)}
    folder = workdir / "parts"
    folder.mkdir()
    t = time.perf_counter()
    parts = [staging.write_part(folder, "bench", i, "-", values.filter(pl.col("arch_id").is_in(c.to_list())), 0.0)
             for i, c in enumerate(chunks)]
    out["stage_seconds"] = time.perf_counter() - t
    out["stage_mb"] = sum(Path(p.path).stat().st_size for p in parts) / 2**20
    for name in ("staged", "direct"):
        target = workdir / f"{name}.duckdb"
        shutil.copy(db, target)
        t, cpu0 = time.perf_counter(), _cpu()
        con = store.connect(target, create=False)
        if name == "staged":
            with store.transaction(con):
                con.execute("INSERT INTO proxy_values SELECT 'bench-run', arch_id, dataset, proxy, value, note "
                            "FROM read_parquet(?)", [[p.path for p in parts]])
        else:
            for c in chunks:
                with store.transaction(con):
                    con.register("_chunk", values.filter(pl.col("arch_id").is_in(c.to_list())))
                    con.execute("INSERT INTO proxy_values SELECT 'bench-run', arch_id, dataset, proxy, value, note "
                                "FROM _chunk")
                    con.unregister("_chunk")
        dbfile.close_writer(con, target)
        out[f"{name}_held"], out[f"{name}_cpu"] = time.perf_counter() - t, _cpu() - cpu0
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True, help="a database with NB101 ingested (not scored)")
    ap.add_argument("--nb201-db", type=Path, required=True, help="a database with nb201 + naswot ingested")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {**os.environ, "NASDB_CACHE": str(work / "cache"), "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
        nb101, nb201 = work / "nb101.duckdb", work / "nb201.duckdb"
        shutil.copy(args.db, nb101)
        shutil.copy(args.nb201_db, nb201)
        commands = {"score nasgraph --bench nb101": (nb101, ["score", "nasgraph", "--bench", "nb101", "--quiet"]),
                    "score nasgraph --bench nb201": (nb201, ["score", "nasgraph", "--bench", "nb201", "--quiet"]),
                    "eval --bench nb201": (nb201, ["eval", "--bench", "nb201", "--bootstrap", "100", "--trials", "50"]),
                    "ingest naswot": (nb201, ["ingest", "naswot"])}
        rows = {}
        for name, (db, argv) in commands.items():
            rows[name] = observe(db, argv, env)
            print(name, rows[name], flush=True)
        staged = staging_vs_direct(nb101, work)
    print(f"load average {os.getloadavg()[0]:.1f}\n")
    print("| command | wall | write lock held (total) | longest hold | holds |\n|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| `nasdb {name}` | {r['wall']:.1f} s | {r['held_total']:.2f} s | {r['held_max']:.2f} s | {r['n_holds']} |")
    print(f"\nstaging {staged['rows']:,} rows in {staged['chunks']} parts: {staged['stage_seconds']:.2f} s outside the "
          f"database ({staged['stage_mb']:.1f} MB of Parquet); merge holds the file {staged['staged_held']:.2f} s "
          f"({staged['staged_cpu']:.2f} s CPU); the old direct way (one transaction per chunk) holds it "
          f"{staged['direct_held']:.2f} s ({staged['direct_cpu']:.2f} s CPU)")


if __name__ == "__main__":
    main()
