"""The architectures most similar to one cell: itself, then the cells computing the same function
(the benchmark's isomorphism class, ``archs.iso_class``), then the rest by WL similarity — each with
its accuracies and proxy values."""
from __future__ import annotations

import duckdb
import numpy as np
import polars as pl

from nasdb import store
from nasdb.search.table import SearchError, proxy_column, target
from nasdb.similarity.index import indexed


def _resolve(con, space, arch: object):
    from nasdb.spaces import convert

    key = convert(space.bench, arch, "official", con)
    return space.parse(key), key


def neighbours_by_wl(con: duckdb.DuckDBPyConnection, space, arch: object, k: int = 10) -> pl.DataFrame:
    """arch_id, arch_key, wl_similarity, same_function of the ``k`` nearest cells (the query first)."""
    spec, key = _resolve(con, space, arch)
    idx = indexed(con, space)
    if not idx.keys:
        raise SearchError(f"no {space.bench} architecture has ground truth in the database: nothing to compare with")
    sims = idx.similarities(space, spec)
    iso = store.frame(con, "SELECT arch_id, iso_class FROM archs WHERE bench = ? ORDER BY arch_id", [space.bench])
    iso_of = dict(zip(iso["arch_id"].to_list(), iso["iso_class"].to_list()))
    me = idx.row.get(key)
    my_id = int(idx.arch_ids[me]) if me is not None else None
    my_iso = iso_of.get(my_id)
    same = np.array([my_iso is not None and iso_of.get(int(a)) == my_iso for a in idx.arch_ids])
    is_me = np.zeros(len(idx.keys), dtype=bool)
    if me is not None:
        is_me[me] = True
    order = np.lexsort((idx.arch_ids, -sims, ~same, ~is_me))[:k]
    out = pl.DataFrame({"arch_id": idx.arch_ids[order], "arch_key": [idx.keys[i] for i in order],
                        "wl_similarity": sims[order], "same_function": same[order] | is_me[order]})
    if me is None:  # a cell without ground truth: show it first, with what the database knows of it
        row = con.execute("SELECT arch_id FROM archs WHERE bench = ? AND arch_key = ?", [space.bench, key]).fetchone()
        first = pl.DataFrame({"arch_id": [row[0] if row else None], "arch_key": [key], "wl_similarity": [1.0],
                              "same_function": [True]}, schema=out.schema)
        out = pl.concat([first, out.head(k - 1)])
    return out.with_row_index("rank", offset=1)


def with_values(con: duckdb.DuckDBPyConnection, bench: str, found: pl.DataFrame, dataset: str,
                proxies: list[str]) -> pl.DataFrame:
    """``found`` plus the validation/test value of ``dataset`` and each proxy's value."""
    ids = found.select(pl.col("arch_id").cast(pl.Int64))
    out = found
    for split in ("valid", "test"):
        t = target(con, bench, dataset, split)
        if t is None:
            continue
        vals = store.frame(con, "SELECT arch_id, value FROM ground_truth WHERE bench = ? AND dataset = ? AND split = ? "
                                "AND metric = ? AND source = ? AND epochs IS NOT DISTINCT FROM ?",
                           [bench, dataset, split, t[0], t[2], t[1]])
        col = ids.join(vals, on="arch_id", how="left")["value"]
        out = out.with_columns(col.alias(f"{split}_{t[0]}"))
    for name in proxies:
        found_p = proxy_column(con, bench, dataset, name, None, ids)
        if found_p is None:
            raise SearchError(f"no values of proxy {name!r} for {bench}/{dataset}")
        out = out.with_columns(pl.Series(name, found_p[0]))
    return out
