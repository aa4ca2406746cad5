"""Pair proxy values with ground-truth values, and account for every value that cannot be ranked.

Pairing rule (per ground-truth dataset D and per proxy+source, one level is chosen for all its rows):
  1. proxy rows whose dataset is D itself;
  2. else rows of the same data domain (``DOMAIN``: NB201 'cifar10-valid' and 'cifar10' are both CIFAR-10
     images, trained with different splits, so a CIFAR-10 proxy is valid for both);
  3. else rows with dataset '' (a data-free proxy, valid for every dataset of the bench).
Levels are never mixed within one proxy, so a proxy is evaluated on values computed one way.

Non-finite handling: proxy values that are NULL, NaN or +-inf are dropped (never ranked, so never
"largest by accident") and counted per row; ground-truth values that are not finite are dropped too.
Ground truth is oriented to "goodness" (``-value`` for lower-is-better metrics) so that larger is
better everywhere downstream.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from nasdb import store
from nasdb.evaluate.errors import EvaluationError

DOMAIN = {"cifar10-valid": "cifar10"}
BASELINE_SOURCE = "baseline:archs"
# Trivial size measures every proxy should beat, shown in every leaderboard where they exist (from any
# source: archs.n_conv, costs params/FLOPs as 'cost:<source>', peers' or nasdb's own rows of these names).
BASELINES = ("n_conv", "n_trainable_layers", "params", "flops")


def domain(dataset: str) -> str:
    return DOMAIN.get(dataset, dataset)


@dataclass(frozen=True)
class Target:
    """One ground-truth column: what a proxy is correlated with."""

    dataset: str
    split: str
    metric: str
    epochs: int | None
    gt_source: str
    higher_is_better: bool

    def label(self) -> str:
        return f"{self.dataset}/{self.split}/{self.metric}@{self.epochs}"


@dataclass
class Pairs:
    """Finite (proxy, goodness) pairs of one target and proxy, sorted by arch_id, with the drop counts."""

    arch_id: np.ndarray
    x: np.ndarray          # proxy value
    y: np.ndarray          # ground truth, metric units
    higher_is_better: bool
    proxy_dataset: str
    n_population: int      # population archs with finite ground truth
    n_missing: int
    n_null: int
    n_nan: int
    n_inf: int

    @property
    def goodness(self) -> np.ndarray:
        return self.y if self.higher_is_better else -self.y

    def subset(self, keep: np.ndarray) -> "Pairs":
        """Only the archs in ``keep`` (used for the common arch set); counts describe the whole population."""
        m = np.isin(self.arch_id, keep)
        return Pairs(self.arch_id[m], self.x[m], self.y[m], self.higher_is_better, self.proxy_dataset,
                     self.n_population, self.n_missing, self.n_null, self.n_nan, self.n_inf)


def ground_truth(con: duckdb.DuckDBPyConnection, bench: str, pop_ids: np.ndarray) -> pl.DataFrame:
    """Ground-truth rows of the population: arch_id, dataset, split, metric, epochs, gt_source, hib, value."""
    con.register("_eval_pop", pl.DataFrame({"arch_id": pop_ids}).to_arrow())
    try:
        df = store.frame(
            con, "SELECT g.arch_id, g.dataset, g.split, g.metric, g.epochs, g.source AS gt_source, "
            "g.higher_is_better, g.value FROM ground_truth g SEMI JOIN _eval_pop p USING (arch_id) "
            "WHERE g.bench = ? ORDER BY g.arch_id", [bench])
    finally:
        con.unregister("_eval_pop")
    key = ["arch_id", "dataset", "split", "metric", "epochs", "gt_source"]
    dup = df.filter(df.select(key).is_duplicated())
    if dup.height:
        raise EvaluationError(f"ground_truth of {bench} has duplicate rows for {dup.select(key).row(0, named=True)}")
    return df


PRIMARY_METRICS = ("accuracy", "top1", "mIoU", "ssim", "neg_loss")
SPLIT_PREFERENCE = ("test", "valid", "train")


def targets(gt: pl.DataFrame, which: str = "all") -> list[Target]:
    """Ground-truth targets: ``all``, or ``primary`` = per dataset the benchmark's own headline number.

    Primary: not a peer's copy (gt_source not 'peer:*'), the first of PRIMARY_METRICS the dataset has,
    split test > valid > train, the longest training budget.
    """
    cols = ["dataset", "split", "metric", "epochs", "gt_source", "higher_is_better"]
    found = [Target(*r) for r in gt.select(cols).unique().sort(cols[:5], nulls_last=True).iter_rows()]
    if which == "all":
        return found
    if which != "primary":
        raise EvaluationError(f"unknown target selection {which!r}; expected 'primary' or 'all'")
    best: dict[str, tuple[tuple, Target]] = {}
    for t in found:
        if t.gt_source.startswith("peer:") or t.metric not in PRIMARY_METRICS or t.split not in SPLIT_PREFERENCE:
            continue
        rank = (PRIMARY_METRICS.index(t.metric), SPLIT_PREFERENCE.index(t.split), -(t.epochs or 0))
        if t.dataset not in best or rank < best[t.dataset][0]:
            best[t.dataset] = (rank, t)
    return [t for _, t in sorted(best.values(), key=lambda rt: rt[1].dataset)]


def proxy_values(con: duckdb.DuckDBPyConnection, bench: str, only: list[str] | None = None) -> pl.DataFrame:
    """Proxy rows of ``bench`` (arch_id, dataset, proxy, source, value), plus the baselines: n_conv from
    archs and params/FLOPs from costs (source ``cost:<source>``).

    Only architectures that have ground truth are read: nothing else can be evaluated, and on NB101
    that is 20,001 of 423,624 cells (8x less memory). ``proxies`` shows only current runs, and
    ``run_id`` says which (evaluation rows record it).
    A run whose settings say ``direction: "min"`` (a user's lower-is-better import) is negated here, so
    larger = better for every proxy from here on. ``only``: just these proxies and the baselines (less to read).
    """
    named = "" if not only else "AND (p.proxy IN (SELECT unnest($only)) OR p.proxy IN (SELECT unnest($baselines))) "
    return store.frame(
        con, "WITH judged AS (SELECT DISTINCT arch_id FROM ground_truth WHERE bench = $bench) "
        "SELECT p.arch_id, p.dataset, p.proxy, p.source, "
        "CASE WHEN json_extract_string(r.settings, '$.direction') = 'min' THEN -p.value ELSE p.value END AS value, "
        "p.run_id FROM proxies p LEFT JOIN proxy_runs r USING (run_id) SEMI JOIN judged USING (arch_id) "
        f"WHERE p.bench = $bench {named}"
        "UNION ALL SELECT arch_id, '' AS dataset, 'n_conv' AS proxy, $baseline AS source, n_conv::DOUBLE AS value, "
        "NULL AS run_id FROM archs SEMI JOIN judged USING (arch_id) WHERE bench = $bench AND n_conv IS NOT NULL "
        "UNION ALL SELECT arch_id, dataset, lower(metric) AS proxy, 'cost:' || source AS source, value, NULL AS run_id "
        "FROM costs SEMI JOIN judged USING (arch_id) WHERE bench = $bench AND lower(metric) IN ('params', 'flops')",
        {"bench": bench, "baseline": BASELINE_SOURCE,
         **({"only": list(only), "baselines": list(BASELINES)} if only else {})})


def for_dataset(proxies: pl.DataFrame, gt_dataset: str) -> dict[tuple[str, str], tuple[str, pl.DataFrame]]:
    """(proxy, source) -> (proxy dataset used, its rows arch_id/value), following the pairing rule."""
    d = proxies.with_columns(level=pl.when(pl.col("dataset") == gt_dataset).then(0)
                             .when((pl.col("dataset") != "") &
                                   (pl.col("dataset").replace(DOMAIN) == domain(gt_dataset))).then(1)
                             .when(pl.col("dataset") == "").then(2)
                             .otherwise(None)).drop_nulls("level")
    d = d.filter(pl.col("level") == pl.col("level").min().over("proxy", "source"))
    out = {}
    for (proxy, source), rows in d.partition_by(["proxy", "source"], as_dict=True, maintain_order=True).items():
        datasets = rows["dataset"].unique().sort().to_list()
        if len(datasets) > 1:
            raise EvaluationError(f"proxy {proxy!r} ({source}) has rows for both {datasets} that pair with "
                                  f"dataset {gt_dataset!r}; cannot tell which to use")
        if rows["arch_id"].is_duplicated().any():
            dup = rows.filter(pl.col("arch_id").is_duplicated())["arch_id"][0]
            raise EvaluationError(f"proxy {proxy!r} ({source}, dataset {datasets[0]!r}) has several rows "
                                  f"for arch {dup}")
        out[(proxy, source)] = (datasets[0], rows.select("arch_id", "value"))
    return out


def finite_target(gt: pl.DataFrame, t: Target) -> pl.DataFrame:
    """arch_id, y of one target, finite values only."""
    f = gt.filter((pl.col("dataset") == t.dataset) & (pl.col("split") == t.split) & (pl.col("metric") == t.metric)
                  & (pl.col("gt_source") == t.gt_source) & pl.col("epochs").eq_missing(t.epochs))
    return f.select("arch_id", y="value").filter(pl.col("y").is_finite())


def pair(gt_t: pl.DataFrame, proxy_dataset: str, rows: pl.DataFrame, higher_is_better: bool) -> Pairs:
    """Join one target's finite ground truth with one proxy's rows; count what is dropped and why."""
    j = gt_t.join(rows, on="arch_id", how="left", coalesce=True).sort("arch_id")
    has_row = j.join(rows.select("arch_id"), on="arch_id", how="semi").height
    v = j["value"]
    null = v.is_null()
    nan = v.is_nan().fill_null(False)
    inf = v.is_infinite().fill_null(False)
    ok = ~(null | nan | inf)
    kept = j.filter(ok)
    return Pairs(kept["arch_id"].to_numpy(), kept["value"].to_numpy().astype(np.float64),
                 kept["y"].to_numpy().astype(np.float64), higher_is_better, proxy_dataset,
                 n_population=j.height, n_missing=j.height - has_row,
                 n_null=int(null.sum()) - (j.height - has_row), n_nan=int(nan.sum()), n_inf=int(inf.sum()))
