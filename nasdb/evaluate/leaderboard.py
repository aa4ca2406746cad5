"""A ranked table of proxies for one ground-truth target, read from the stored evaluation.

Like is compared with like: proxies are ranked only against proxies measured on exactly the same
architectures. Each proxy's covered archs (finite proxy and ground truth) define its group; groups are
labelled A, B, ... from the largest, each with its n, and ranks restart in every group. The trivial
baselines (pairing.BASELINES: n_conv, n_trainable_layers, params, FLOPs) appear in every group: where a
baseline covers more archs than the group, it is recomputed now on the group's archs. A group smaller
than SMALL_N gets a warning: at n = 26 a Spearman rho has a 95% interval about +-0.4 wide.

With ``common``, every proxy is judged on the same architectures: those all the compared proxies (the
ones ``--proxy``/``--source`` select) have a finite value for, so a proxy covering all 15,625 NB201 cells
and a peer proxy published for 9,444 of them are compared like for like. The baselines never define or
shrink that set (runner._common): each is recomputed on it, and one with values for only part of it (a
peer's params published for 724 cells) is ranked in its own group with its own n rather than next to
proxies judged on more archs. Stored ``arch_set = 'common'`` rows are used when they were made for exactly
the same compared proxies; otherwise the correlations are computed now (not stored: this is a read).
"""
from __future__ import annotations

import hashlib
import json
import string

import duckdb
import numpy as np
import polars as pl

from nasdb import store
from nasdb.evaluate import correlation, pairing, population, runner
from nasdb.evaluate.errors import EvaluationError

SMALL_N = 100
COLUMNS = ["proxy", "proxy_source", "proxy_dataset", "n", "spearman", "spearman_lo", "spearman_hi", "kendall",
           "kendall_lo", "kendall_hi", "n_missing", "n_null", "n_nan", "n_inf", "note", "stale"]


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
    if stored.height == 0 and not common:
        raise EvaluationError(f"no stored correlations for {bench} {t.label()} (population {population_name}); "
                              f"run `nasdb eval --bench {bench} --dataset {dataset} --split {t.split} "
                              f"--metric {t.metric} --population {population_name}` first")
    pairs, compared = _pairs(con, bench, t, population_name, proxies, sources, common)
    if common and stored.height:
        made_for = {tuple(json.loads(s)["common_with"] or []) for s in stored["settings"]}
        if made_for != {tuple(sorted(f"{p}@{src}" for p, src in compared))}:
            stored = stored.clear()
    source = f"stored evaluation ({bench} {t.label()}, population {population_name}, arch set {arch_set})"
    origin = "stored" if stored.height else "now"
    if stored.height == 0:
        stored = runner.correlations(
            con, runner.Filters(bench, dataset, proxies, sources, t.split, t.metric),
            runner.Settings(population=population_name, common=True, bootstrap=bootstrap, seed=seed, targets="all"))
        stored = stored.filter((pl.col("gt_source") == t.gt_source) & pl.col("epochs").eq_missing(t.epochs))
        n = pairs[compared[0]].x.size if compared else 0
        source = (f"computed now on the {n:,} archs the {len(compared)} compared proxies share, baselines "
                  f"recomputed on them ({bench} {t.label()}, population {population_name}, {bootstrap} bootstrap "
                  f"resamples, seed {seed}; not stored)")
    # rows stored before evaluations recorded their inputs count as stale
    stored = stored.with_columns(stale=pl.col("stale").fill_null(True) if "stale" in stored.columns else pl.lit(True))
    n_stale = int(stored["stale"].sum())
    if n_stale:
        source += (f"; {n_stale} STALE row(s): a proxy's current run or the ground truth changed since they "
                   "were computed, re-run `nasdb eval`")
    table = _grouped(pairs, common, stored.select(COLUMNS), origin, bootstrap, seed)
    return table, source


def warnings(table: pl.DataFrame) -> list[str]:
    """One line per group too small to rank reliably."""
    small = table.filter(pl.col("group_n") < SMALL_N).select("group", "group_n").unique(maintain_order=True)
    return [f"group {g}: only n = {n} archs; rank correlations this small are noisy (95% CIs about "
            f"+-{2 / max(n - 1, 1) ** 0.5:.2f}), read the CIs, not the order" for g, n in small.iter_rows()]


def _pairs(con, bench: str, t: pairing.Target, pop_name: str, proxies, sources,
           common: bool) -> tuple[dict, list[tuple[str, str]]]:
    """(proxy, source) -> its current finite pairs with the target (what each stored row was computed on;
    with ``common`` restricted to the common set), and the proxies that define the common set."""
    jobs = runner._jobs(con, runner.Filters(bench, t.dataset, proxies, sources, t.split, t.metric),
                        population.parse(pop_name), "all")
    job = next((j for j in jobs if j.target == t), None)
    if job is None:
        return {}, []
    compared = runner._common(job) if common else []  # first: it narrows job.proxies to the common set
    return job.proxies, compared


def _grouped(pairs: dict, common: bool, table: pl.DataFrame, origin: str, bootstrap: int,
             seed: int) -> pl.DataFrame:
    """``table`` with columns group, group_n, rank (within the group), computed (``origin`` of its rows: stored,
    or now); baselines in every group."""
    def coverage(proxy: str, source: str, n: int) -> str:
        p = pairs.get((proxy, source))
        if p is None or p.x.size != n:  # rows that predate the current values
            return f"n={n}"
        return hashlib.sha1(p.arch_id.tobytes()).hexdigest()

    table = table.with_columns(
        coverage=pl.struct("proxy", "proxy_source", "n").map_elements(
            lambda r: coverage(r["proxy"], r["proxy_source"], r["n"] or 0), return_dtype=pl.Utf8),
        computed=pl.lit(origin))
    extra = []
    if not common:
        for cov, members in table.partition_by("coverage", as_dict=True).items():
            member = next((pairs[k] for k in members.select("proxy", "proxy_source").iter_rows() if k in pairs), None)
            if member is None or members["proxy"].is_in(pairing.BASELINES).all():
                continue
            for (proxy, source), p in pairs.items():
                if proxy not in pairing.BASELINES or (proxy, source) in set(members.select("proxy", "proxy_source")
                                                                            .iter_rows()):
                    continue
                if np.isin(member.arch_id, p.arch_id).all():
                    extra.append(_baseline_row(p.subset(member.arch_id), proxy, source, cov[0], bootstrap, seed))
    if extra:
        table = pl.concat([table, pl.DataFrame(extra, schema=table.schema)], how="vertical")
    sizes = table.group_by("coverage").agg(group_n=pl.col("n").max()).sort("group_n", "coverage", descending=True)
    labels = sizes.with_columns(group=pl.Series([_label(i) for i in range(sizes.height)], dtype=pl.Utf8))
    table = table.join(labels, on="coverage").sort(["group_n", "group", "spearman"], descending=[True, False, True],
                                                   nulls_last=True)
    table = table.with_columns(rank=pl.int_range(1, pl.len() + 1).over("group").cast(pl.UInt32))
    return table.select("group", "group_n", "rank", *COLUMNS, "computed")


def _label(i: int) -> str:
    return string.ascii_uppercase[i] if i < 26 else f"G{i + 1}"


def _baseline_row(p: pairing.Pairs, proxy: str, source: str, coverage: str, bootstrap: int, seed: int) -> dict:
    """A baseline's correlation on one group's archs, computed now (the stored row used its own coverage)."""
    c = correlation.correlate(p.x, p.goodness, bootstrap, seed)
    return {"proxy": proxy, "proxy_source": source, "proxy_dataset": p.proxy_dataset, "n": c.n,
            "spearman": c.spearman, "spearman_lo": c.spearman_lo, "spearman_hi": c.spearman_hi,
            "kendall": c.kendall, "kendall_lo": c.kendall_lo, "kendall_hi": c.kendall_hi,
            "n_missing": p.n_population - p.x.size, "n_null": 0, "n_nan": 0, "n_inf": 0,
            "note": c.note or "baseline recomputed on this group's archs", "stale": False, "coverage": coverage,
            "computed": "now"}


def _check_known(con: duckdb.DuckDBPyConnection, bench: str, proxies: list[str] | None,
                 sources: list[str] | None) -> None:
    """A misspelled --proxy or --source is named with the known values (running `nasdb eval` would not help)."""
    known = store.frame(con, "SELECT DISTINCT proxy, source FROM proxies WHERE bench = ?", [bench])
    costs = store.frame(con, "SELECT DISTINCT lower(metric) AS proxy, 'cost:' || source AS source FROM costs "
                             "WHERE bench = ? AND lower(metric) IN ('params', 'flops')", [bench])
    names = {"proxy": {*known["proxy"], *costs["proxy"], "n_conv"},
             "source": {*known["source"], *costs["source"], pairing.BASELINE_SOURCE}}
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
        if wanted:  # the baselines are in every leaderboard
            sql += f" AND ({col} IN ({', '.join('?' * len(wanted))}) OR proxy IN ({', '.join('?' * len(pairing.BASELINES))}))"
            params += [*wanted, *pairing.BASELINES]
    tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    if ("correlations",) not in tables:
        return pl.DataFrame()
    return store.frame(con, sql, params)

