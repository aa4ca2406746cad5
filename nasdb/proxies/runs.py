"""Scoring a benchmark into the database: chunked, resumable, recorded in ``proxy_runs``.

The architectures come from the ``archs`` table (TransNAS-Bench-101 falls back to the official
index rule in ``nasdb.spaces.tnb101`` while its ingest job has not run), in the benchmark's chunk
order (NB101: by wiring, so a chunk spans few wirings). Work is cut into chunks of
architectures; each chunk's rows are written in one transaction that first deletes that chunk's
rows of the same run, so a kill loses at most the chunk in flight and re-running never duplicates.
A run's id is a hash of its settings: running the same command again resumes an unfinished run
(finished chunks are skipped) or recomputes a complete one. When a run completes, it replaces all
other nasgraph rows of the benchmark (see ``registry``).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from nasdb import config, store
from nasdb.errors import NasdbError
from nasdb.proxies import registry
from nasdb.proxies.nasgraph import engine, fast, measures

CHUNK = {"fast": 4096, "reference": 4}


@dataclass
class RunResult:
    run_id: str
    bench: str
    n_archs: int
    n_rows: int
    seconds: float
    resumed_chunks: int


def arch_list(con: duckdb.DuckDBPyConnection, bench_name: str) -> list[tuple[int, str]]:
    """(arch_id, arch_key) of every architecture of the benchmark, in its chunk order."""
    order = registry.bench(bench_name).chunk_order
    rows = con.execute(f"SELECT arch_id, arch_key FROM archs WHERE bench = ? ORDER BY {order}", [bench_name]).fetchall()
    if rows:
        return rows
    if bench_name.startswith("tnb101_"):
        from nasdb.spaces import tnb101

        if bench_name == "tnb101_macro":
            return list(enumerate(tnb101.macro_archs()))
        return [(tnb101.MICRO_OFFSET + i, a) for i, a in enumerate(tnb101.micro_archs())]
    raise NasdbError(f"no {bench_name} architectures in the database; run `nasdb ingest {bench_name}` first")


def _sample(archs: list[tuple[int, str]], n: int | None, seed: int) -> list[tuple[int, str]]:
    if n is None or n >= len(archs):
        return archs
    if n <= 0:
        raise NasdbError(f"--sample must be a positive number of architectures, got {n}")
    picked = np.sort(np.random.default_rng(seed).choice(len(archs), size=n, replace=False))
    return [archs[i] for i in picked]


def _rows(b: registry.Bench, chunk: list[tuple[int, str]], mode: str, seed: int,
          cache: fast.BlockCache, run_id: str) -> pl.DataFrame:
    """The chunk's proxies rows: one per (arch, dataset, measure); NULL values carry their reason."""
    graphs = list(dict.fromkeys(b.graph_of(d) for d in b.datasets))  # distinct graphs, in dataset order
    first = {g: next(d for d in b.datasets if b.graph_of(d) == g) for g in graphs}
    vals = _measures(b, chunk, [first[g] for g in graphs], mode, seed, cache)
    # rows are (arch, dataset) in arch-major order; each takes the value of its dataset's graph
    take = (np.arange(len(chunk))[:, None] * len(graphs)
            + np.array([graphs.index(b.graph_of(d)) for d in b.datasets])[None, :]).ravel()
    vals = {k: v[take] for k, v in vals.items()}
    names, n_ds = measures.NAMES, len(b.datasets)
    per_measure = len(chunk) * n_ds
    values = np.concatenate([vals[name] for name in names])
    missing = np.isnan(values)
    proxy_idx = np.repeat(np.arange(len(names), dtype=np.int32), per_measure)
    notes = None
    if missing.any():
        nodes = np.tile(vals["nasgraph_nodes"], len(names))
        notes = [measures.null_reason(names[p], n) if m else None for p, n, m in zip(proxy_idx, nodes, missing)]
    # polars, not pyarrow, from numpy: pyarrow would import pandas for it (~1 s of a cold run)
    return pl.DataFrame({
        "arch_id": np.tile(np.repeat(np.array([aid for aid, _ in chunk], dtype=np.int64), n_ds), len(names)),
        "dataset": pl.Series(b.datasets, dtype=pl.String).gather(np.tile(np.arange(n_ds), len(chunk) * len(names))),
        "proxy": pl.Series(names, dtype=pl.String).gather(proxy_idx),
        "value": pl.Series(values).fill_nan(None),
    }).with_columns(bench=pl.lit(b.name), source=pl.lit("nasdb"), run_id=pl.lit(run_id),
                    note=pl.Series(notes, dtype=pl.String) if notes is not None else pl.lit(None, pl.String))


def _measures(b: registry.Bench, chunk: list[tuple[int, str]], datasets: list[str], mode: str, seed: int,
              cache: fast.BlockCache) -> dict[str, np.ndarray]:
    """Measures of every (arch, graph) item, arch-major; ``datasets`` = one dataset per distinct graph."""
    if mode == "fast" and b.bulk is not None:
        keys = [key for _, key in chunk]
        per_graph = [b.bulk(keys, d, cache) for d in datasets]
        return {name: np.stack([v[name] for v in per_graph], axis=1).ravel() for name in measures.NAMES}
    items = [(aid, key, d) for aid, key in chunk for d in datasets]
    surrogates = [b.surrogate(key, d) for _, key, d in items]
    return engine.compute(surrogates, mode, seed, keys=[(aid, b.graph_of(d)) for aid, _, d in items], cache=cache)


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> tuple | None:
    """The single row of a query, or None; fetchall so no result is left open (DuckDB 2 refuses the
    next statement while a streaming result is unfinished)."""
    rows = con.execute(sql, params).fetchall()
    return rows[0] if rows else None


def _write_chunk(con: duckdb.DuckDBPyConnection, run_id: str, ids: list[int], table: pl.DataFrame,
                 seconds: float) -> None:
    """The chunk's rows and the run's seconds so far, in one transaction."""
    with store.transaction(con):
        con.execute("DELETE FROM proxies WHERE run_id = ? AND arch_id IN (SELECT unnest(?))", [run_id, ids])
        con.register("_nasgraph_rows", table)
        try:
            con.execute("INSERT INTO proxies (bench, arch_id, dataset, proxy, value, source, run_id, note) "
                        "SELECT bench, arch_id, dataset, proxy, value, source, run_id, note FROM _nasgraph_rows")
        finally:
            con.unregister("_nasgraph_rows")
        con.execute("UPDATE proxy_runs SET seconds = ? WHERE run_id = ?", [seconds, run_id])


def score_bench(con: duckdb.DuckDBPyConnection, bench_name: str, mode: str = "fast", seed: int = 0,
                sample: int | None = None, progress: bool = True, chunk_size: int | None = None) -> RunResult:
    """Score one benchmark into ``proxies``; resumable; returns what was done."""
    from tqdm import tqdm

    t0 = time.perf_counter()
    b = registry.bench(bench_name)
    s = registry.settings(bench_name, mode, seed, sample)
    rid = registry.run_id(s)
    archs = _sample(arch_list(con, bench_name), sample, seed)
    prior = _one(con, "SELECT status, seconds FROM proxy_runs WHERE run_id = ?", [rid])
    resuming = prior is not None and prior[0] == "running"
    done = set()
    if resuming:
        done = {r[0] for r in con.execute("SELECT DISTINCT arch_id FROM proxies WHERE run_id = ?", [rid]).fetchall()}
    spent = (prior[1] or 0.0) if resuming else 0.0
    with store.transaction(con):
        con.execute("DELETE FROM proxy_runs WHERE run_id = ?", [rid])
        con.execute("INSERT INTO proxy_runs VALUES (?, ?, ?, ?, ?, now(), ?, ?, 'running')",
                    [rid, registry.FAMILY, bench_name, json.dumps(s), registry.code_version(), spent, len(archs)])
    size = chunk_size or CHUNK[mode]
    chunks = [archs[i:i + size] for i in range(0, len(archs), size)]
    # probed block matrices are kept next to the downloads: later runs skip probing (and torch)
    cache = fast.BlockCache(seed, store=config.cache_dir() / "nasgraph")
    skipped = 0
    bar = tqdm(total=len(archs), desc=f"nasgraph {bench_name} ({mode})", unit="arch", disable=not progress)
    for chunk in chunks:
        ids = [aid for aid, _ in chunk]
        if resuming and done.issuperset(ids):
            skipped += 1
        else:
            rows = _rows(b, chunk, mode, seed, cache, rid)
            _write_chunk(con, rid, ids, rows, spent + time.perf_counter() - t0)
        bar.update(len(chunk))
    bar.close()
    cache.save()
    seconds = spent + time.perf_counter() - t0
    with store.transaction(con):
        con.execute("DELETE FROM proxies WHERE bench = ? AND source = 'nasdb' AND proxy IN (SELECT unnest(?)) "
                    "AND run_id <> ?", [bench_name, list(registry.PROXIES), rid])
        con.execute("UPDATE proxy_runs SET status = 'superseded' WHERE bench = ? AND proxy = ? AND run_id <> ?",
                    [bench_name, registry.FAMILY, rid])
        con.execute("UPDATE proxy_runs SET status = 'complete', seconds = ?, code_version = ? WHERE run_id = ?",
                    [seconds, registry.code_version(), rid])
    n_rows = _one(con, "SELECT count(*) FROM proxies WHERE run_id = ?", [rid])[0]
    return RunResult(rid, bench_name, len(archs), n_rows, seconds, skipped)
