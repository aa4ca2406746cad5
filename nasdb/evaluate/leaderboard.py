"""A ranked table of proxies for one ground-truth target, read from the stored evaluation.

With ``common``, every proxy is judged on the same architectures (those all the listed proxies have a
finite value for), so a proxy covering all 15,625 NB201 cells and a peer proxy published for 9,445 of
them are compared like for like. Stored ``arch_set = 'common'`` rows are used when they were made for
exactly the listed proxies; otherwise the correlations are computed now (not stored: this is a read).
"""
from __future__ import annotations

import json

import duckdb
import polars as pl

from nasdb import store
from nasdb.evaluate import pairing, population, runner
from nasdb.evaluate.errors import EvaluationError

COLUMNS = ["proxy", "proxy_source", "proxy_dataset", "n", "spearman", "spearman_lo", "spearman_hi", "kendall",
           "kendall_lo", "kendall_hi", "n_missing", "n_null", "n_nan", "n_inf", "note"]


def _target(con: duckdb.DuckDBPyConnection, bench: str, dataset: str, metric: str | None,
            split: str | None) -> pairing.Target:
    """The requested target; missing metric/split default to the dataset's primary target."""
    gt = pairing.ground_truth(con, bench, population.arch_ids(con, bench, population.parse("all")))
    if gt.filter(pl.col("dataset") == dataset).height == 0:
        known = ", ".join(sorted(gt["dataset"].unique())) or "none"
        raise EvaluationError(f"no {bench} ground truth for dataset {dataset!r}; datasets: {known}")
    found = pairing.targets(gt.filter(pl.col("dataset") == dataset))
    primary = pairing.targets(gt.filter(pl.col("dataset") == dataset), "primary")
    metric = metric or (primary[0].metric if primary else found[0].metric)
    split = split or (primary[0].split if primary else found[0].split)
    match = [t for t in found if t.metric == metric and t.split == split]
    own = [t for t in match if not t.gt_source.startswith("peer:")]
    if not match:
        options = ", ".join(sorted({f"--metric {t.metric} --split {t.split}" for t in found}))
        raise EvaluationError(f"{bench}/{dataset} has no ground truth {metric}/{split}; available: {options}")
    return max(own or match, key=lambda t: t.epochs or 0)


def leaderboard(con: duckdb.DuckDBPyConnection, bench: str, dataset: str, metric: str | None = None,
                split: str | None = None, population_name: str = "all", common: bool = False,
                proxies: list[str] | None = None, sources: list[str] | None = None,
                bootstrap: int = 1000, seed: int = 0) -> tuple[pl.DataFrame, str]:
    """(ranked table, a one-line description of where the numbers come from)."""
    population.parse(population_name)
    runner.benches(con, bench)
    t = _target(con, bench, dataset, metric, split)
    _check_known(con, bench, proxies, sources)
    arch_set = "common" if common else "own"
    stored = _stored(con, t, bench, population_name, arch_set, proxies, sources)
    if common and stored.height:
        wanted = _proxy_set(con, bench, t, proxies, sources)
        made_for = {tuple(json.loads(s)["common_with"] or []) for s in stored["settings"]}
        if made_for != {tuple(wanted)}:
            stored = stored.clear()
    source = f"stored evaluation ({bench} {t.label()}, population {population_name}, arch set {arch_set})"
    if stored.height == 0:
        if not common:
            raise EvaluationError(f"no stored correlations for {bench} {t.label()} (population {population_name}); "
                                  f"run `nasdb eval --bench {bench} --dataset {dataset} --split {t.split} "
                                  f"--metric {t.metric} --population {population_name}` first")
        stored = runner.correlations(
            con, runner.Filters(bench, dataset, proxies, sources, t.split, t.metric),
            runner.Settings(population=population_name, common=True, bootstrap=bootstrap, seed=seed, targets="all"))
        stored = stored.filter((pl.col("gt_source") == t.gt_source) & pl.col("epochs").eq_missing(t.epochs))
        source = (f"computed now on the archs all {stored.height} proxies share ({bench} {t.label()}, population "
                  f"{population_name}, {bootstrap} bootstrap resamples, seed {seed}; not stored)")
    table = stored.select(COLUMNS).sort("spearman", descending=True, nulls_last=True)
    return table.with_row_index("rank", offset=1), source


def _check_known(con: duckdb.DuckDBPyConnection, bench: str, proxies: list[str] | None,
                 sources: list[str] | None) -> None:
    """A misspelled --proxy or --source is named with the known values (running `nasdb eval` would not help)."""
    known = store.frame(con, "SELECT DISTINCT proxy, source FROM proxies WHERE bench = ?", [bench])
    names = {"proxy": {*known["proxy"], "n_conv"}, "source": {*known["source"], pairing.BASELINE_SOURCE}}
    for what, wanted in (("proxy", proxies), ("source", sources)):
        unknown = sorted(set(wanted or []) - names[what])
        if unknown:
            raise EvaluationError(f"unknown {what} {unknown[0]!r} for {bench}; {what}s in this database: "
                                  f"{', '.join(sorted(names[what]))}")


def _stored(con, t: pairing.Target, bench: str, pop: str, arch_set: str, proxies, sources) -> pl.DataFrame:
    sql = ("SELECT * FROM correlations WHERE bench = ? AND dataset = ? AND split = ? AND metric = ? "
           "AND epochs IS NOT DISTINCT FROM ? AND gt_source = ? AND population = ? AND arch_set = ?")
    params = [bench, t.dataset, t.split, t.metric, t.epochs, t.gt_source, pop, arch_set]
    for col, wanted in (("proxy", proxies), ("proxy_source", sources)):
        if wanted:
            sql += f" AND {col} IN ({', '.join('?' * len(wanted))})"
            params += wanted
    tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    if ("correlations",) not in tables:
        return pl.DataFrame()
    return store.frame(con, sql, params)


def _proxy_set(con, bench: str, t: pairing.Target, proxies, sources) -> list[str]:
    """'proxy@source' of every proxy that pairs with the target (what a common arch set is made of)."""
    values = pairing.proxy_values(con, bench)
    if proxies:
        values = values.filter(pl.col("proxy").is_in(proxies))
    if sources:
        values = values.filter(pl.col("source").is_in(sources))
    return sorted(f"{p}@{s}" for p, s in pairing.for_dataset(values, t.dataset))
