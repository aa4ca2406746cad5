"""The lookup table a search replays against: one row per architecture with ground truth.

A *query* is a lookup of the validation value (what a NAS algorithm may see); the test value of the
incumbent is only reported, never used to decide. Optional columns: simulated training time (seconds,
from ``costs`` where the benchmark publishes it), a proxy (free, training-free score) and FLOPs (for
AutoShrink's penalty). The table knows nothing about a benchmark beyond what its rows say.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl

from nasdb import store
from nasdb.errors import NasdbError
from nasdb.evaluate.pairing import PRIMARY_METRICS, domain, for_dataset


class SearchError(NasdbError):
    """A search cannot be set up as asked (unknown dataset, proxy, algorithm setting)."""


@dataclass
class Table:
    """Columns of equal length, one entry per architecture (row order = arch_id order)."""

    bench: str
    keys: list[str]
    arch_ids: np.ndarray
    valid: np.ndarray                  # what a query returns, metric units
    test: np.ndarray                   # reported for the incumbent; NaN where the benchmark has none
    higher_is_better: bool = True
    seconds: np.ndarray | None = None  # simulated training time of one query
    proxy: np.ndarray | None = None    # larger = better, NaN where missing
    flops: np.ndarray | None = None
    sources: dict[str, str] = field(default_factory=dict)  # column -> where its values come from

    def __post_init__(self) -> None:
        self.row = {k: i for i, k in enumerate(self.keys)}
        n = len(self.keys)
        for name in ("arch_ids", "valid", "test", "seconds", "proxy", "flops"):
            col = getattr(self, name)
            if col is not None and len(col) != n:
                raise SearchError(f"table column {name} has {len(col)} entries for {n} architectures")

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def goodness(self) -> np.ndarray:
        """Validation values oriented so that larger is better."""
        return self.valid if self.higher_is_better else -self.valid


def _one(rows: list[tuple], what: str, dataset: str, bench: str) -> tuple:
    if not rows:
        raise SearchError(f"{bench} has no {what} ground truth for dataset {dataset!r}")
    return rows[0]


def target(con: duckdb.DuckDBPyConnection, bench: str, dataset: str, split: str,
            metric: str | None = None) -> tuple | None:
    """(metric, epochs, source, higher_is_better) of the benchmark's own headline column for a split:
    the first of PRIMARY_METRICS (or ``metric``), not a peer's copy, the longest training budget."""
    rows = con.execute(
        "SELECT DISTINCT metric, epochs, source, higher_is_better FROM ground_truth "
        "WHERE bench = ? AND dataset = ? AND split = ? AND source NOT LIKE 'peer:%'",
        [bench, dataset, split]).fetchall()
    wanted = (metric,) if metric else PRIMARY_METRICS
    rows = [r for r in rows if r[0] in wanted]
    rows.sort(key=lambda r: (wanted.index(r[0]), -(r[1] or 0), r[2]))
    return rows[0] if rows else None


def _column(con, bench: str, dataset: str, split: str, target: tuple, ids: pl.DataFrame) -> np.ndarray:
    metric, epochs, source, _ = target
    vals = store.frame(con, "SELECT arch_id, value FROM ground_truth WHERE bench = ? AND dataset = ? "
                            "AND split = ? AND metric = ? AND source = ? AND epochs IS NOT DISTINCT FROM ?",
                       [bench, dataset, split, metric, source, epochs])
    return ids.join(vals, on="arch_id", how="left")["value"].fill_null(np.nan).to_numpy().astype(float)


def _costs_seconds(con, bench: str, dataset: str, ids: pl.DataFrame) -> tuple[np.ndarray, str] | None:
    """Training time per architecture where the benchmark publishes one (a costs metric in seconds)."""
    metrics = [r[0] for r in con.execute("SELECT DISTINCT metric FROM costs WHERE bench = ? AND dataset = ? "
                                         "AND unit = 's' ORDER BY metric", [bench, dataset]).fetchall()]
    if len(metrics) != 1:
        return None
    vals = store.frame(con, "SELECT arch_id, value FROM costs WHERE bench = ? AND dataset = ? AND metric = ?",
                       [bench, dataset, metrics[0]])
    col = ids.join(vals, on="arch_id", how="left")["value"].fill_null(np.nan).to_numpy().astype(float)
    return col, f"costs.{metrics[0]}"


def proxy_column(con, bench: str, dataset: str, name: str, source: str | None, ids: pl.DataFrame
           ) -> tuple[np.ndarray, str] | None:
    """A proxy's values (paired with ``dataset`` as nasdb eval pairs them), from current runs only."""
    rows = store.frame(
        con, "SELECT arch_id, dataset, proxy, source, value FROM proxies WHERE bench = ? AND proxy = ?",
        [bench, name])
    paired = for_dataset(rows, dataset) if rows.height else {}
    sources = sorted(s for (_, s) in paired)
    if not sources:
        return None
    if source is None:
        source = "nasdb" if "nasdb" in sources else sources[0] if len(sources) == 1 else None
        if source is None:
            raise SearchError(f"proxy {name!r} of {bench}/{dataset} has several sources {sources}; "
                              "choose one with --proxy-source")
    if (name, source) not in paired:
        raise SearchError(f"proxy {name!r} has no {source!r} values for {bench}/{dataset}; sources: {sources}")
    used, vals = paired[(name, source)]
    col = ids.join(vals, on="arch_id", how="left")["value"].fill_null(np.nan).to_numpy().astype(float)
    col[~np.isfinite(col)] = np.nan
    return col, f"proxies {name} ({source}, dataset {used!r})"


def _size(con, bench: str, dataset: str, ids: pl.DataFrame, name: str) -> tuple[np.ndarray, str] | None:
    """A size measure (FLOPs by default) from ``costs`` if ingested there, else the proxy of that name
    (nasdb's own first, else the source covering most architectures)."""
    for ds in dict.fromkeys((dataset, domain(dataset))):  # the dataset itself, else its data domain
        vals = store.frame(con, "SELECT arch_id, value FROM costs WHERE bench = ? AND dataset = ? AND metric = ?",
                           [bench, ds, name])
        if vals.height:
            return ids.join(vals, on="arch_id", how="left")["value"].fill_null(np.nan).to_numpy().astype(float), \
                f"costs.{name} (dataset {ds!r})"
    try:
        return proxy_column(con, bench, dataset, name, None, ids)
    except SearchError:  # several peer sources
        rows = store.frame(con, "SELECT source, count(value) AS n FROM proxies WHERE bench = ? AND proxy = ? "
                                "GROUP BY source ORDER BY n DESC, source", [bench, name])
        return proxy_column(con, bench, dataset, name, rows["source"][0], ids)


def load(con: duckdb.DuckDBPyConnection, bench: str, dataset: str, test_dataset: str | None = None,
         proxy: str | None = None, proxy_source: str | None = None, flops: str | None = None) -> Table:
    """The replay table of ``bench``/``dataset``: every architecture with a finite validation value.
    ``flops``: the costs metric or proxy that AutoShrink penalises (normally 'flops')."""
    valid_t = target(con, bench, dataset, "valid")
    if valid_t is None:
        known = [r[0] for r in con.execute("SELECT DISTINCT dataset FROM ground_truth WHERE bench = ? AND split = 'valid' "
                                           "ORDER BY 1", [bench]).fetchall()]
        raise SearchError(f"{bench} has no validation ground truth for dataset {dataset!r}; "
                          f"datasets with one: {', '.join(known) or 'none (run nasdb ingest)'}")
    test_ds = test_dataset or dataset
    test_t = target(con, bench, test_ds, "test", metric=valid_t[0])
    if test_dataset and test_t is None:
        raise SearchError(f"{bench} has no test {valid_t[0]} for dataset {test_dataset!r}")
    ids = store.frame(con, "SELECT a.arch_id, a.arch_key FROM archs a SEMI JOIN ground_truth g "
                           "ON g.bench = a.bench AND g.arch_id = a.arch_id AND g.dataset = ? AND g.split = 'valid' "
                           "AND g.metric = ? AND g.source = ? AND g.epochs IS NOT DISTINCT FROM ? AND isfinite(g.value) "
                           "WHERE a.bench = ? ORDER BY a.arch_id",
                      [dataset, valid_t[0], valid_t[2], valid_t[1], bench])
    sel = ids.select("arch_id")
    valid = _column(con, bench, dataset, "valid", valid_t, sel)
    test = _column(con, bench, test_ds, "test", test_t, sel) if test_t else np.full(len(valid), np.nan)
    sources = {"valid": f"ground_truth {dataset}/valid/{valid_t[0]}@{valid_t[1]} ({valid_t[2]})",
               "test": (f"ground_truth {test_ds}/test/{test_t[0]}@{test_t[1]} ({test_t[2]})" if test_t
                        else "none: the benchmark has no test split here")}
    extra = {}
    found = _costs_seconds(con, bench, dataset, sel)
    if found:
        extra["seconds"], sources["seconds"] = found
    if proxy:
        found = proxy_column(con, bench, dataset, proxy, proxy_source, sel)
        if found is None:
            raise SearchError(f"no values of proxy {proxy!r} for {bench}/{dataset}; see `nasdb query "
                              f"\"SELECT DISTINCT proxy, source FROM proxies WHERE bench = '{bench}'\"`")
        extra["proxy"], sources["proxy"] = found
    if flops:
        found = _size(con, bench, dataset, sel, flops)
        if found is None:
            raise SearchError(f"no {flops!r} values for {bench}/{dataset} (neither in costs nor as a proxy)")
        extra["flops"], sources["flops"] = found
    for name, col in extra.items():
        sources[name] += f", {int(np.isfinite(col).sum()):,} of {len(col):,} archs"
    return Table(bench, ids["arch_key"].to_list(), ids["arch_id"].to_numpy(), valid, test,
                 higher_is_better=bool(valid_t[3]), sources=sources, **extra)
