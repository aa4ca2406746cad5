"""Evaluate only what changed: reuse stored result rows whose inputs are exactly the ones at hand.

A proxy's result rows (correlations, top-k, search simulation, bias) are a pure function of the
evaluation code, the settings, the target and the row's identity (proxy, source, population, arch set,
proxy run), the finite (arch, proxy value, ground truth) pairs with their drop counts, and, for bias,
the bench's size references and conv-count strata. :func:`fingerprint` hashes all of them (sha256) and
every row stores it in its settings JSON. Stored, non-stale rows that carry the fingerprint the runner
would write now are therefore the rows it would compute; they are copied instead of recomputed (so
importing one proxy and evaluating it does not redo the baselines and every other proxy).
"""
from __future__ import annotations

import hashlib
import json

import duckdb
import numpy as np
import polars as pl

from nasdb import store
from nasdb.evaluate import schema

KEY = "fingerprint"  # the settings JSON key holding a row's fingerprint


def _arrays(h, *arrays: np.ndarray) -> None:
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype=np.float64 if a.dtype.kind == "f" else np.int64).tobytes())
        h.update(b"|")


def context(references: dict, strata_ids: np.ndarray, strata: np.ndarray) -> str:
    """Hash of what bias rows read besides the pairs: the size references and conv-count strata of a bench."""
    h = hashlib.sha256()
    for name, ref in sorted(references.items()):
        h.update(f"{name}:{ref.origin}".encode())
        _arrays(h, ref.arch_id, ref.values)
    _arrays(h, strata_ids, strata)
    return h.hexdigest()


def fingerprint(code_version: str, settings: dict, row_identity: dict, pairs, context_hash: str) -> str:
    """sha256 of every input of one proxy's rows for one target (see the module docstring)."""
    h = hashlib.sha256()
    h.update(json.dumps([code_version, settings, row_identity, context_hash, pairs.proxy_dataset,
                         pairs.higher_is_better, pairs.n_population, pairs.n_missing, pairs.n_null, pairs.n_nan,
                         pairs.n_inf], sort_keys=True, default=str).encode())
    _arrays(h, pairs.arch_id, pairs.x, pairs.y)
    return h.hexdigest()


def stored_rows(con: duckdb.DuckDBPyConnection, fingerprints: list[str]) -> dict[str, dict[str, list[dict]]]:
    """fingerprint -> table -> rows (as the runner builds them: settings parsed, no run_id) of the newest
    eval run holding a non-stale correlations row with that fingerprint. Only fingerprints found appear."""
    have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.columns WHERE column_name = 'stale'"
                                      ).fetchall()}
    if not fingerprints or not set(schema.RESULT_TABLES) <= have:  # older rows record no inputs: never reused
        return {}
    fp = f"json_extract_string(t.settings, '$.{KEY}')"
    con.register("_reuse_fps", pl.DataFrame({"fp": fingerprints}).to_arrow())
    try:
        picked = (f"SELECT {fp} AS fp, max(t.run_id) AS run_id FROM correlations t "
                  f"WHERE t.stale = false AND {fp} IN (SELECT fp FROM _reuse_fps) GROUP BY ALL")
        out: dict[str, dict[str, list[dict]]] = {}
        for table in schema.RESULT_TABLES:
            rows = store.frame(con, f"SELECT t.* EXCLUDE (run_id), p.fp AS _fp FROM {table} t "
                                    f"JOIN ({picked}) p ON {fp} = p.fp AND t.run_id = p.run_id WHERE t.stale = false "
                                    "ORDER BY t.rowid")  # as inserted: the order the runner made them in
            for r in rows.to_dicts():
                r["settings"] = json.loads(r["settings"])
                out.setdefault(r.pop("_fp"), {t: [] for t in schema.RESULT_TABLES})[table].append(r)
    finally:
        con.unregister("_reuse_fps")
    return {f: tables for f, tables in out.items() if tables["correlations"]}
