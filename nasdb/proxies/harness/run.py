"""The harness's driver: read inputs (database opened read-only, then closed), stage chunks, merge once."""
from __future__ import annotations

import functools
import json
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import polars as pl

from nasdb import config, dbfile, runs, store
from nasdb.errors import NasdbError
from nasdb.proxies.harness import staging
from nasdb.proxies.harness.executor import ChunkTask, Executor, InProcess, checked
from nasdb.proxies.harness.job import Job, digest


@dataclass
class RunResult:
    run_id: str
    bench: str
    n_archs: int
    n_rows: int
    seconds: float             # compute time over every attempt of the run
    resumed_chunks: int        # chunks taken from verified parts of an earlier, interrupted attempt
    current_for: list[str]     # proxies whose current run this became
    lock_seconds: float        # how long the merge held the database open for writing


@functools.cache
def code_version() -> str:
    """nasdb version plus the git commit of the source tree when there is one (``0.1.0+g1a2b3c4``); asked
    once per process (not inside a merge's transaction)."""
    import subprocess

    from nasdb import __version__

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).resolve().parent, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+g{commit}" if commit else __version__


def select_archs(con, job: Job) -> list[tuple[int, str]]:
    """(arch_id, arch_key) of the selected archs, in the job's chunk order."""
    archs = con.execute(f"SELECT arch_id, arch_key FROM archs WHERE bench = ? ORDER BY {job.chunk_order}",
                        [job.bench]).fetchall()
    if not archs:
        raise NasdbError(f"no {job.bench} architectures in the database; run `nasdb ingest {job.bench}` first")
    sel = job.selection
    if sel.kind == "all":
        return archs
    if sel.kind == "sample":
        if sel.n >= len(archs):
            return archs
        picked = np.sort(np.random.default_rng(sel.seed).choice(len(archs), size=sel.n, replace=False))
        return [archs[i] for i in picked]
    if sel.kind == "set":
        wanted = {r[0] for r in con.execute("SELECT arch_id FROM arch_sets WHERE bench = ? AND set_name = ?",
                                            [job.bench, sel.name]).fetchall()}
        if not wanted:
            raise NasdbError(f"no {job.bench} arch set {sel.name!r} in arch_sets")
    else:
        wanted = set(sel.ids or ())
        unknown = wanted - {aid for aid, _ in archs}
        if unknown:
            raise NasdbError(f"{job.bench} has no arch_id {min(unknown)} (selection of {len(wanted)} ids)")
    return [a for a in archs if a[0] in wanted]


def _plan(job: Job, db, extra_key: str = "") -> tuple[list[tuple[int, str]], str, Path, str, dict]:
    """Archs, run key, staging folder, run id (resumed if its folder holds an unmerged attempt), run.json."""
    con = store.connect(db, read_only=True)
    try:
        archs = select_archs(con, job)
        key = job.key(digest(archs) + extra_key)
        folder = staging.run_dir(config.cache_dir(), key)
        prior = staging.staged_run(folder)
        merged = prior is not None and con.execute("SELECT count(*) FROM proxy_runs WHERE run_id = ?",
                                                   [prior]).fetchone()[0] > 0
    finally:
        con.close()
    if prior and not merged:
        about = json.loads((folder / "run.json").read_text())
        return archs, key, folder, prior, about
    now = datetime.now(timezone.utc)
    label = f"{job.label}:" if job.label else ""
    run_id = f"{job.family}:{job.bench}:{label}{key[:8]}-{now:%Y%m%dT%H%M%S}"
    return archs, key, folder, run_id, {"started_at": now.isoformat(timespec="seconds")}


def score(job: Job, db=None, executor: Executor | None = None, progress: bool = True) -> RunResult:
    """Compute the job's proxies for its selection (resuming verified parts of an interrupted attempt)."""
    from tqdm import tqdm

    if job.compute_chunk is None:
        raise NasdbError(f"family {job.family!r} gives no compute_chunk; use harness.store_values")
    executor = executor or InProcess()
    archs, key, folder, run_id, about = _plan(job, db)
    claim = staging.start(folder, run_id, about)  # held until merged: `runs prune` leaves this folder alone
    chunks = [archs[i:i + job.chunk_size] for i in range(0, len(archs), job.chunk_size)]
    digests = [digest(c) for c in chunks]
    parts = {}
    for i, d in enumerate(digests):
        part = staging.verified(folder, run_id, i, d)
        if part is not None:
            parts[i] = part
    resumed = sorted(parts)
    tasks = [ChunkTask(job.family, job.compute_chunk, job.bench, i, chunks[i], digests[i], job.settings,
                       job.proxies, str(folder), run_id) for i in range(len(chunks)) if i not in parts]
    label = f"{job.family} {job.bench}" + (f" ({job.label})" if job.label else "")
    bar = tqdm(total=len(archs), initial=sum(len(chunks[i]) for i in resumed), desc=label, unit="arch",
               disable=not progress)
    for part in executor.stage(tasks):
        parts[part.index] = part
        bar.update(len(chunks[part.index]))
    bar.close()
    try:
        return _merge(job, db, key, folder, run_id, about, archs, [parts[i] for i in range(len(chunks))], resumed,
                      executor.describe())
    finally:
        claim.close()


def store_values(job: Job, values: pl.DataFrame, db=None) -> RunResult:
    """Store values a family already holds (imports, ensembles, graph features) as one complete run."""
    con = store.connect(db, read_only=True)
    try:
        archs = select_archs(con, job)
    finally:
        con.close()
    task = ChunkTask(job.family, None, job.bench, 0, archs, digest(archs), job.settings, job.proxies, "", "")
    rows = checked(values, task)
    content = str(rows.hash_rows().sum())
    archs, key, folder, run_id, about = _plan(job, db, extra_key=content)
    claim = staging.start(folder, run_id, about)
    try:
        part = staging.write_part(folder, run_id, 0, digest(archs), rows, 0.0)
        return _merge(job, db, key, folder, run_id, about, archs, [part], [], {"name": "in-memory", "workers": 1})
    finally:
        claim.close()


def _merge(job: Job, db, key: str, folder: Path, run_id: str, about: dict, archs: list, parts: list[staging.Part],
           resumed: list[int], executor: dict) -> RunResult:
    """Append the run's verified parts to the history, record it and move the pointer: one short transaction."""
    for p in parts:
        if staging.sha256(Path(p.path)) != p.sha256:
            raise NasdbError(f"staged part {p.path} changed after it was written; rerun to recompute it")
    n_rows, seconds = sum(p.rows for p in parts), sum(p.seconds for p in parts)
    files = [p.path for p in parts]
    series = _series(pl.scan_parquet(files))
    code_version()
    t0 = time.perf_counter()
    con = store.connect(db, create=False)
    try:
        current = _commit(con, job, run_id, key, about["started_at"], len(archs), n_rows, seconds, len(parts),
                          resumed, executor, "read_parquet($files)", {"files": files}, series, t0)
    finally:
        dbfile.close_writer(con, db)
    lock_seconds = time.perf_counter() - t0
    shutil.rmtree(folder, ignore_errors=True)
    return RunResult(run_id, job.bench, len(archs), n_rows, seconds, len(resumed), current, lock_seconds)


def store_frame(con, job: Job, values: pl.DataFrame, seconds: float = 0.0) -> RunResult:
    """:func:`store_values` for a caller that already holds the writer connection (same checks, same commit)."""
    t0 = time.perf_counter()
    archs = select_archs(con, job)
    rows = checked(values, ChunkTask(job.family, None, job.bench, 0, archs, "", job.settings, job.proxies, "", ""))
    started = datetime.now(timezone.utc)
    key = job.key(digest(archs) + str(rows.hash_rows().sum()))
    label = f"{job.label}:" if job.label else ""
    run_id = f"{job.family}:{job.bench}:{label}{key[:8]}-{started:%Y%m%dT%H%M%S%f}"
    con.register("_harness_values", rows)
    try:
        current = _commit(con, job, run_id, key, started.isoformat(), len(archs), rows.height, seconds, 1, [],
                          {"name": "in-memory", "workers": 1}, "_harness_values", {}, _series(rows.lazy()), t0)
    finally:
        con.unregister("_harness_values")
    return RunResult(run_id, job.bench, len(archs), rows.height, seconds, 0, current, time.perf_counter() - t0)


def _series(values: pl.LazyFrame) -> pl.DataFrame:
    """The run's (dataset, proxy) series and how many notes each carries: worked out before the lock is taken."""
    return values.group_by("dataset", "proxy").agg(notes=pl.col("note").count()).collect()


def _commit(con, job: Job, run_id: str, key: str, started_at: str, n_archs: int, n_rows: int, seconds: float,
            n_chunks: int, resumed: list[int], executor: dict, values_sql: str, params: dict, series: pl.DataFrame,
            t0: float) -> list[str]:
    """The one transaction that stores a run: its values (numbers under a run number and series codes, notes
    apart), its proxy_runs row, the pointer, stale marks."""
    with store.transaction(con):
        if con.execute("SELECT count(*) FROM proxy_runs WHERE run_id = ?", [run_id]).fetchone()[0]:
            raise NasdbError(f"run {run_id} was stored meanwhile by another process running the same job")
        run_no = con.execute("SELECT coalesce(max(run_no), 0) + 1 FROM proxy_runs").fetchall()[0][0]
        con.register("_harness_series", series)
        try:
            con.execute("INSERT INTO value_series SELECT (SELECT coalesce(max(series), 0) FROM value_series) + "
                        "row_number() OVER (ORDER BY dataset, proxy), dataset, proxy "
                        "FROM _harness_series ANTI JOIN value_series USING (dataset, proxy)")
        finally:
            con.unregister("_harness_series")
        con.execute(f"INSERT INTO run_values SELECT $run_no, s.series, v.arch_id, v.value FROM {values_sql} v "
                    "JOIN value_series s USING (dataset, proxy)", {"run_no": run_no, **params})
        if series["notes"].sum():
            con.execute(f"INSERT INTO run_notes SELECT $run_no, s.series, v.arch_id, v.note FROM {values_sql} v "
                        "JOIN value_series s USING (dataset, proxy) WHERE v.note IS NOT NULL", {"run_no": run_no, **params})
        con.execute(
            "INSERT INTO proxy_runs (run_id, proxy, bench, settings, code_version, started_at, seconds, n_archs, "
            "status, source, proxies, selection, scope, run_key, finished_at, n_rows, n_chunks, resumed_chunks, "
            "executor, merge_seconds, run_no) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'complete', ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?)",
            [run_id, job.family, job.bench, json.dumps(job.settings, default=str), code_version(),
             datetime.fromisoformat(started_at).replace(tzinfo=None), seconds, n_archs, job.source,
             list(job.proxies), json.dumps(job.selection.as_json()), job.scope, key, n_rows, n_chunks,
             resumed, json.dumps(executor), time.perf_counter() - t0, run_no])
        return runs.promote(con, run_id)
