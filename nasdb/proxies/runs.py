"""Scoring a benchmark into the database: chunked, resumable, recorded in ``proxy_runs``.

The architectures come from the ``archs`` table (TransNAS-Bench-101 falls back to the official
index rule in ``nasdb.spaces.tnb101`` while its ingest job has not run). Work is cut into chunks of
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
import pyarrow as pa

from nasdb import store
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
    """(arch_id, arch_key) of every architecture of the benchmark, by arch_id."""
    rows = con.execute("SELECT arch_id, arch_key FROM archs WHERE bench = ? ORDER BY arch_id", [bench_name]).fetchall()
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
          cache: fast.BlockCache, run_id: str) -> pa.Table:
    """The chunk's proxies rows: one per (arch, dataset, measure); NULL values carry their reason."""
    graphs = list(dict.fromkeys(b.graph_of(d) for d in b.datasets))  # distinct graphs, in dataset order
    first = {g: next(d for d in b.datasets if b.graph_of(d) == g) for g in graphs}
    items = [(aid, key, g) for aid, key in chunk for g in graphs]
    surrogates = [b.surrogate(key, first[g]) for _, key, g in items]
    vals = engine.compute(surrogates, mode, seed, keys=[(aid, g) for aid, _, g in items], cache=cache)
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
    n = len(values)
    return pa.table({
        "bench": _constant(b.name, n),
        "arch_id": np.tile(np.repeat(np.array([aid for aid, _ in chunk], dtype=np.int64), n_ds), len(names)),
        "dataset": pa.DictionaryArray.from_arrays(np.tile(np.arange(n_ds, dtype=np.int32), len(chunk) * len(names)),
                                                  list(b.datasets)),
        "proxy": pa.DictionaryArray.from_arrays(proxy_idx, list(names)),
        "value": pa.array(values, mask=missing),
        "source": _constant("nasdb", n),
        "run_id": _constant(run_id, n),
        "note": pa.array(notes, pa.string()) if notes is not None else pa.nulls(n, pa.string()),
    })


def _constant(text: str, n: int) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(np.zeros(n, dtype=np.int32), [text])


def _write_chunk(con: duckdb.DuckDBPyConnection, run_id: str, ids: list[int], table: pa.Table) -> None:
    with store.transaction(con):
        con.execute("DELETE FROM proxies WHERE run_id = ? AND arch_id IN (SELECT unnest(?))", [run_id, ids])
        con.register("_nasgraph_rows", table)
        try:
            con.execute("INSERT INTO proxies (bench, arch_id, dataset, proxy, value, source, run_id, note) "
                        "SELECT bench, arch_id, dataset, proxy, value, source, run_id, note FROM _nasgraph_rows")
        finally:
            con.unregister("_nasgraph_rows")


def score_bench(con: duckdb.DuckDBPyConnection, bench_name: str, mode: str = "fast", seed: int = 0,
                sample: int | None = None, progress: bool = True, chunk_size: int | None = None) -> RunResult:
    """Score one benchmark into ``proxies``; resumable; returns what was done."""
    from tqdm import tqdm

    t0 = time.perf_counter()
    b = registry.bench(bench_name)
    s = registry.settings(bench_name, mode, seed, sample)
    rid = registry.run_id(s)
    archs = _sample(arch_list(con, bench_name), sample, seed)
    prior = con.execute("SELECT status, seconds FROM proxy_runs WHERE run_id = ?", [rid]).fetchone()
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
    cache = fast.BlockCache(seed)
    skipped = 0
    bar = tqdm(total=len(archs), desc=f"nasgraph {bench_name} ({mode})", unit="arch", disable=not progress)
    for chunk in chunks:
        ids = [aid for aid, _ in chunk]
        if resuming and done.issuperset(ids):
            skipped += 1
        else:
            _write_chunk(con, rid, ids, _rows(b, chunk, mode, seed, cache, rid))
            con.execute("UPDATE proxy_runs SET seconds = ? WHERE run_id = ?", [spent + time.perf_counter() - t0, rid])
        bar.update(len(chunk))
    bar.close()
    seconds = spent + time.perf_counter() - t0
    with store.transaction(con):
        con.execute("DELETE FROM proxies WHERE bench = ? AND source = 'nasdb' AND proxy IN (SELECT unnest(?)) "
                    "AND run_id <> ?", [bench_name, list(registry.PROXIES), rid])
        con.execute("UPDATE proxy_runs SET status = 'superseded' WHERE bench = ? AND proxy = ? AND run_id <> ?",
                    [bench_name, registry.FAMILY, rid])
        con.execute("UPDATE proxy_runs SET status = 'complete', seconds = ?, code_version = ? WHERE run_id = ?",
                    [seconds, registry.code_version(), rid])
    n_rows = con.execute("SELECT count(*) FROM proxies WHERE run_id = ?", [rid]).fetchone()[0]
    return RunResult(rid, bench_name, len(archs), n_rows, seconds, skipped)
