"""NASGraph as a harness family: ``job(bench, mode, seed, sample)`` and its pure ``compute_chunk``.

Fast mode keeps probed block matrices in ``<cache>/nasgraph`` (one file per seed, see ``fast.BlockCache``),
shared by every chunk a process computes and saved after a chunk probed new blocks.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from nasdb import config
from nasdb.proxies import registry
from nasdb.proxies.harness import Job, Selection
from nasdb.proxies.nasgraph import engine, fast, measures

CHUNK = {"fast": 4096, "reference": 4}

_caches: dict[tuple[int, str], fast.BlockCache] = {}  # per process: (seed, cache dir) -> block matrices


def job(bench: str, mode: str = "fast", seed: int = 0, sample: int | None = None,
        chunk_size: int | None = None) -> Job:
    """The harness job scoring every NASGraph measure of ``bench`` (or a seeded sample of it)."""
    b = registry.bench(bench)
    return Job(family=registry.FAMILY, bench=bench, proxies=tuple(registry.PROXIES),
               settings=registry.settings(bench, mode, seed, sample), compute_chunk=compute_chunk,
               selection=Selection.sample(sample, seed) if sample is not None else Selection(),
               primary=mode == "fast", label=mode, chunk_size=chunk_size or CHUNK[mode], chunk_order=b.chunk_order)


def _cache(seed: int) -> fast.BlockCache:
    store = config.cache_dir() / "nasgraph"
    key = (seed, str(store.resolve()))
    if key not in _caches:
        _caches[key] = fast.BlockCache(seed, store=store)
    return _caches[key]


def compute_chunk(bench: str, chunk: list[tuple[int, str]], settings: dict) -> pl.DataFrame:
    """One row per (arch, dataset, measure); NULL values carry their reason in ``note``."""
    b = registry.bench(bench)
    mode, seed = settings["mode"], settings["seed"]
    cache = _cache(seed)
    graphs = list(dict.fromkeys(b.graph_of(d) for d in b.datasets))  # distinct graphs, in dataset order
    first = {g: next(d for d in b.datasets if b.graph_of(d) == g) for g in graphs}
    vals = _measures(b, chunk, [first[g] for g in graphs], mode, seed, cache)
    cache.save()
    # rows are (arch, dataset) in arch-major order; each takes the value of its dataset's graph
    take = (np.arange(len(chunk))[:, None] * len(graphs)
            + np.array([graphs.index(b.graph_of(d)) for d in b.datasets])[None, :]).ravel()
    vals = {k: v[take] for k, v in vals.items()}
    names, n_ds = measures.NAMES, len(b.datasets)
    values = np.concatenate([vals[name] for name in names])
    missing = np.isnan(values)
    proxy_idx = np.repeat(np.arange(len(names), dtype=np.int32), len(chunk) * n_ds)
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
        "note": pl.Series(notes, dtype=pl.String) if notes is not None else pl.Series([None] * len(values), dtype=pl.String),
    })


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
