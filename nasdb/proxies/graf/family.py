"""The ``graf`` proxy family: graph features of every architecture of a benchmark, as one run.

Rows: one per (arch, feature), ``dataset = ''`` (data-free: valid for every dataset of the bench,
see ``nasdb.evaluate.pairing``); NULL values carry the reason in ``note``.
``compute_chunk`` has the scoring harness's shape, so the harness can run it in chunks or workers.
"""
from __future__ import annotations

import duckdb
import numpy as np
import polars as pl

from nasdb import spaces
from nasdb.errors import NasdbError
from nasdb.proxies import stored_values
from nasdb.proxies.graf import features

FAMILY = "graf"
VERSION = 2  # bump when a feature definition changes (2: trainable = not parameter-free)


def op_names(bench: str, arch_key: str) -> tuple[str, ...]:
    """Every op of the space (the keys of its op counts), so a sample lacking an op keeps its columns."""
    space = spaces.get(bench)
    return tuple(space.op_counts(space.parse(arch_key)))


def dags(bench: str, arch_keys: list[str]) -> features.Dags:
    """The cells as padded op-node DAGs: the space's ``cell_arrays`` where it has them, else its graphs."""
    space = spaces.get(bench)
    if space.cell_arrays is not None:
        return features.Dags(*space.cell_arrays(arch_keys))
    specs = [space.parse(k) for k in arch_keys]
    return features.from_graphs([space.cell_graph(s) for s in specs], op_names(bench, arch_keys[0]))


def settings(bench: str, arch_key: str) -> dict:
    """Everything that determines the values (the run's settings); ``arch_key``: any arch of the bench."""
    return {"family": FAMILY, "version": VERSION, "bench": bench,
            "proxies": features.names(op_names(bench, arch_key)),
            "graph": "the space's cell_graph (op on nodes); path lengths count op nodes; "
                     "'none'/'zero' ops carry no signal; trainable = not none/zero/skip/identity/pool",
            "reference": "Kadlecova et al., ICML 2024 (GRAF), zc_combine/features"}


def compute_chunk(bench: str, chunk: list[tuple[int, str]], settings: dict) -> pl.DataFrame:
    """Feature rows (arch_id, dataset, proxy, value, note) of a chunk of (arch_id, arch_key)."""
    vals = features.features(dags(bench, [key for _, key in chunk]))
    names = settings["proxies"]
    missing = set(names) - set(vals)
    if missing:
        raise NasdbError(f"graf features {sorted(missing)} not computed for {bench}")
    n = len(chunk)
    values = np.concatenate([vals[k] for k in names])
    proxy = pl.Series(names, dtype=pl.String).gather(np.repeat(np.arange(len(names)), n))
    notes = pl.Series([features.null_reason(p) for p in names], dtype=pl.String).gather(
        np.repeat(np.arange(len(names)), n))
    return pl.DataFrame({
        "arch_id": np.tile(np.array([a for a, _ in chunk], dtype=np.int64), len(names)),
        "dataset": pl.Series([""] * (n * len(names)), dtype=pl.String),
        "proxy": proxy, "value": pl.Series(values).fill_nan(None),
    }).with_columns(note=pl.when(pl.col("value").is_null()).then(notes).otherwise(None))


def score(con: duckdb.DuckDBPyConnection, bench: str, progress: bool = True) -> tuple[str, int, float]:
    """Compute and store every architecture's features; returns (run id, rows, seconds)."""
    rows, s, seconds = compute(con, bench)
    return stored_values.store_run(con, FAMILY, bench, s, rows, seconds), rows.height, seconds


def compute(con: duckdb.DuckDBPyConnection, bench: str) -> tuple[pl.DataFrame, dict, float]:
    """Every architecture's features, their settings and the seconds it took (reads only: ``con`` may be
    read-only, so ``nasdb score graf`` holds the writer only to store them)."""
    timer = stored_values.Timer()
    archs = con.execute("SELECT arch_id, arch_key FROM archs WHERE bench = ? ORDER BY arch_id", [bench]).fetchall()
    if not archs:
        raise NasdbError(f"no {bench} architectures in the database; run `nasdb ingest` first")
    s = settings(bench, archs[0][1])
    return compute_chunk(bench, archs, s), s, timer()
