"""Benchmark: how long each writer holds the database's write lock, and what staging costs.

An observer process asks the kernel (fcntl F_GETLK, no lock taken: ``nasdb.dbfile.lock_holder``) every
20 ms whether a writer holds the file, while a real CLI command runs:
- ``score``:  ``nasdb score nasgraph --bench nb101`` (423,624 cells, 3.4 M values) on a copy of --db;
- ``eval``:   ``nasdb eval --bench nb201 --bootstrap 100 --trials 50`` on a copy of --nb201-db;
- ``ingest``: ``nasdb ingest naswot`` on the same copy;
- with ``--ingest-db FULL``: every ingest command on a copy of a full database: ``nasdb ingest JOB`` for each
  job, ``nasdb ingest-nb101`` on an official-format TFRecord of the mirrored data-20k cells (3 seeds at 108
  epochs, as ``nasbench_only108.tfrecord`` holds them; the real file is not mirrored) and ``nasdb ingest-nds``
  on the tests' fixtures in the official NDS format (NDS is not mirrored either).
Then, for the 3.4 M NB101 values just stored, the time and CPU the database is held by today's merge
(staged Parquet parts -> compact history), by the previous merge (a history table of strings per value)
and by the oldest direct way (one transaction per chunk into the database, the file held throughout),
and the CPU of typical readers of ``proxies``. Prints Markdown for docs/benchmarks.md.

    NASDB_MIRROR=../shared/benchdata .venv/bin/python bench/bench_runs.py --db NB101.duckdb --nb201-db NB201.duckdb
    ... --quick     # validation: NB201 only, ~1-2 minutes
    NASDB_MIRROR=../shared/benchdata .venv/bin/python bench/bench_runs.py --ingest-db data/nasdb.duckdb --ingest-only
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
    """Run ``nasdb ARGV`` and record every interval during which a writer held ``db`` (and its CPU seconds)."""
    cpu0 = _children_cpu()
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
    return {"wall": time.perf_counter() - t0, "cpu": _children_cpu() - cpu0, "held_total": sum(intervals),
            "held_max": max(intervals, default=0.0), "n_holds": len(intervals), "stdout": out.strip().splitlines()[-1] if out.strip() else ""}


def ingest_commands(work: Path, cache: Path) -> dict[str, list[str]]:
    """Every ingest command: each manifest job, then the two over files a user supplies, on files written here."""
    sys.path.insert(0, str(ROOT / "tests"))
    import json

    from ingest import JOBS
    from nasdb import sources
    from test_nb101_tfrecord import payload, write_tfrecord  # the tests' independent official-format writer
    from test_nds import FIXTURES

    keys = json.loads(sources.verified_path("nb101/nasbench_vis/data-20k.json", cache).read_bytes())["key"]
    tfrecord = work / "nasbench_only108.tfrecord"
    write_tfrecord(tfrecord, (payload(k, 108, seed)[0] for k in keys for seed in range(3)))
    return {**{f"ingest {job}": ["ingest", job] for job in JOBS},
            f"ingest-nb101 ({3 * len(keys):,} records)": ["ingest-nb101", "--tfrecord", str(tfrecord)],
            "ingest-nds (test fixtures)": ["ingest-nds", "--dir", str(FIXTURES)]}


def _cpu() -> float:
    """CPU seconds of this process, all threads (DuckDB's included): what the work costs on a quiet machine."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _children_cpu() -> float:
    """CPU seconds of this process's children that have been waited for (the observed commands)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


LEGACY = "CREATE TABLE legacy_values (run_id VARCHAR, arch_id BIGINT, dataset VARCHAR, proxy VARCHAR, value DOUBLE, note VARCHAR)"


def staging_vs_direct(db: Path, workdir: Path, bench: str) -> dict:
    """The same rows (the bench's current nasdb values) stored three ways, each on a fresh copy of ``db``:
    ``merge``: the harness's own merge (nasdb.proxies.harness.run._merge: staged Parquet parts -> compact
    run_values, pointer, stale marks), ``strings``: the previous merge (the parts appended to a history table
    of strings per value), ``direct``: the oldest way (one transaction per 4,096-arch chunk, file held)."""
    import polars as pl

    from nasdb.proxies import harness
    from nasdb.proxies.harness import run as harness_run
    from nasdb.proxies.harness import staging

    con = store.connect(db, read_only=True)
    values = store.frame(con, "SELECT arch_id, dataset, proxy, value, note FROM proxies WHERE bench = ? "
                              "AND source = 'nasdb' AND run_id LIKE 'nasgraph:%'", [bench])
    archs = con.execute("SELECT arch_id, arch_key FROM archs WHERE bench = ? ORDER BY arch_id", [bench]).fetchall()
    con.close()
    ids = [a for a, _ in archs]
    chunks = [ids[i:i + 4096] for i in range(0, len(ids), 4096)]
    out = {"rows": values.height, "chunks": len(chunks)}
    job = harness.Job(family="bench", bench=bench, proxies=tuple(values["proxy"].unique().sort()), settings={})
    for name in ("merge", "strings", "direct"):
        folder = workdir / f"parts-{name}"
        t = time.perf_counter()
        claim = staging.start(folder, "bench-run", {"started_at": "2026-12-02T00:00:00+00:00"})
        parts = [staging.write_part(folder, "bench-run", i, "-", values.filter(pl.col("arch_id").is_in(c)), 0.0)
                 for i, c in enumerate(chunks)] if name != "direct" else []
        out["stage_seconds"] = out.get("stage_seconds") or time.perf_counter() - t
        out["stage_mb"] = out.get("stage_mb") or sum(Path(p.path).stat().st_size for p in parts) / 2**20
        target = workdir / f"{name}.duckdb"
        shutil.copy(db, target)
        dbfile.close_writer(store.connect(target, create=False), target)  # any schema upgrade: not timed
        t, cpu0 = time.perf_counter(), _cpu()
        if name == "merge":
            harness_run._merge(job, target, "bench-key", folder, "bench-run", {"started_at": "2026-12-02T00:00:00"},
                               archs, parts, [], {"name": "bench"})
        else:
            con = store.connect(target, create=False)
            con.execute(LEGACY)
            if name == "strings":
                with store.transaction(con):
                    con.execute("INSERT INTO legacy_values SELECT 'bench-run', arch_id, dataset, proxy, value, note "
                                "FROM read_parquet(?)", [[p.path for p in parts]])
            else:
                for c in chunks:
                    with store.transaction(con):
                        con.register("_chunk", values.filter(pl.col("arch_id").is_in(c)))
                        con.execute("INSERT INTO legacy_values SELECT 'bench-run', arch_id, dataset, proxy, value, "
                                    "note FROM _chunk")
                        con.unregister("_chunk")
            dbfile.close_writer(con, target)
        out[f"{name}_held"], out[f"{name}_cpu"] = time.perf_counter() - t, _cpu() - cpu0
        claim.close()
        shutil.rmtree(folder, ignore_errors=True)
        target.unlink()
    return out


def readers(db: Path, bench: str) -> dict:
    """CPU seconds of typical readers of ``proxies`` (best of 3): what evaluation and export read."""
    from nasdb import export
    from nasdb.evaluate import pairing

    con = store.connect(db, read_only=True)
    out = {}
    for name, fn in {"eval's read (pairing.proxy_values)": lambda: pairing.proxy_values(con, bench).height,
                     "export --wide query": lambda: store.frame(con, export.wide_query(con, bench)).height,
                     "SELECT * FROM proxies (bench)": lambda: store.frame(con, "SELECT * FROM proxies WHERE bench = ?",
                                                                          [bench]).height}.items():
        best = None
        for _ in range(3):
            t, cpu0 = time.perf_counter(), _cpu()
            fn()
            run = (time.perf_counter() - t, _cpu() - cpu0)
            best = run if best is None or run[1] < best[1] else best
        out[name] = best
    con.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, help="a database with NB101 ingested (not scored)")
    ap.add_argument("--nb201-db", type=Path, help="a database with nb201 + naswot ingested")
    ap.add_argument("--ingest-db", type=Path, help="a full database (`nasdb build`): also observe every ingest "
                                                   "command on a copy of it")
    ap.add_argument("--ingest-only", action="store_true", help="only the --ingest-db commands (~2-4 minutes)")
    ap.add_argument("--ingest-cache", type=Path, help="NASDB_CACHE for the ingest commands, e.g. one holding the NB101 "
                                                      "enumeration (default: a fresh one; `ingest nb101` enumerates)")
    ap.add_argument("--quick", action="store_true",
                    help="validate the script in ~1 minute: NB201 only (score, eval, ingest; merge comparison on "
                         "its 500,000 values); --db is not used")
    args = ap.parse_args()
    if (args.ingest_only and not args.ingest_db) or (not args.ingest_only and not (args.nb201_db
                                                                                    and (args.db or args.quick))):
        ap.error("give --db and --nb201-db (or --nb201-db --quick), and/or --ingest-db [--ingest-only]")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {**os.environ, "NASDB_CACHE": str(work / "cache"), "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
        os.environ["NASDB_CACHE"] = env["NASDB_CACHE"]
        nb101, nb201, full = work / "nb101.duckdb", work / "nb201.duckdb", work / "full.duckdb"
        commands = {}
        if not args.ingest_only:
            shutil.copy(args.nb201_db, nb201)
            commands = {"score nasgraph --bench nb201": (nb201, ["score", "nasgraph", "--bench", "nb201", "--quiet"]),
                        "eval --bench nb201": (nb201, ["eval", "--bench", "nb201", "--bootstrap", "100", "--trials",
                                                       "50"]),
                        "ingest naswot": (nb201, ["ingest", "naswot"])}
        if not args.quick and not args.ingest_only:
            shutil.copy(args.db, nb101)
            commands = {"score nasgraph --bench nb101": (nb101, ["score", "nasgraph", "--bench", "nb101", "--quiet"]),
                        **commands}
        if args.ingest_db:
            shutil.copy(args.ingest_db, full)
            cache = args.ingest_cache or work / "cache"
            ingest_env = {**env, "NASDB_CACHE": str(cache)}
            commands.update({name: (full, argv, ingest_env) for name, argv in ingest_commands(work, cache).items()})
        for db in {db for db, *_ in commands.values()}:  # an older schema is upgraded here, not while observed
            dbfile.close_writer(store.connect(db, create=False), db)
        rows = {}
        for name, (db, argv, *own_env) in commands.items():
            rows[name] = observe(db, argv, own_env[0] if own_env else env)
            print(name, rows[name], flush=True)
        if not args.ingest_only:
            merged_db, bench = (nb201, "nb201") if args.quick else (nb101, "nb101")
            staged = staging_vs_direct(merged_db, work, bench)
            read = readers(merged_db, bench)
    print(f"load average {os.getloadavg()[0]:.1f}\n")
    print("| command | wall | CPU | write lock held (total) | longest hold | holds |\n|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| `nasdb {name}` | {r['wall']:.1f} s | {r['cpu']:.1f} s | {r['held_total']:.2f} s "
              f"| {r['held_max']:.2f} s | {r['n_holds']} |")
    if args.ingest_only:
        return
    print(f"\n{staged['rows']:,} {bench} values, {staged['chunks']} parts ({staged['stage_seconds']:.2f} s to stage, "
          f"{staged['stage_mb']:.1f} MB of Parquet, outside the database):\n")
    print("| stored as | database held | CPU while held |\n|---|---|---|")
    for name, label in (("merge", "compact history (today's merge: run_values + series codes)"),
                        ("strings", "history of strings per value (the previous merge)"),
                        ("direct", "direct, one transaction per chunk (the oldest way)")):
        print(f"| {label} | {staged[name + '_held']:.2f} s | {staged[name + '_cpu']:.2f} s |")
    print(f"\nreaders of `proxies` on {bench} (best of 3):\n\n| reader | wall | CPU |\n|---|---|---|")
    for name, (wall, cpu) in read.items():
        print(f"| {name} | {wall:.2f} s | {cpu:.2f} s |")


if __name__ == "__main__":
    main()
