"""The choices several pages share (benchmark, ground-truth target, proxy, population) and the
proxy-vs-truth pairs they all plot, so every page means the same thing by the same words.
"""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import streamlit as st

from app import ui

POPULATIONS = {
    "all": "every architecture",
    "non_degenerate": "without degenerate cells (output disconnected)",
    "unique": "one per isomorphism class (smallest index)",
}
_POPULATION_SQL = {
    "all": "TRUE",
    "non_degenerate": "NOT coalesce(a.is_degenerate, FALSE)",
    "unique": "(a.iso_class IS NULL OR a.arch_id = a.iso_class)",
}


@dataclass(frozen=True)
class Target:
    """One ground-truth column: what 'true accuracy' means on a page."""

    dataset: str
    split: str
    metric: str
    epochs: int | None
    source: str
    higher_is_better: bool

    @property
    def label(self) -> str:
        ep = f" @{self.epochs} ep" if self.epochs is not None else ""
        return f"{self.split} {self.metric}{ep} [{self.source}]"


@dataclass(frozen=True)
class Proxy:
    proxy: str
    source: str

    @property
    def label(self) -> str:
        return f"{self.proxy} ({self.source})"


def bench(key: str) -> str:
    benches = ui.query("SELECT bench FROM benchmarks ORDER BY bench")["bench"].to_list()
    default = benches.index("nb201") if "nb201" in benches else 0
    return ui.choose("Benchmark", benches, key=f"{key}_bench", index=default)


def target(bench_name: str, key: str) -> Target:
    """Dataset/task, then which ground-truth column of it (default: test split, a higher-is-better metric)."""
    opts = ui.query(
        "SELECT DISTINCT dataset, split, metric, epochs, source, higher_is_better FROM ground_truth "
        "WHERE bench = ? ORDER BY dataset, split = 'test' DESC, higher_is_better DESC, metric, epochs DESC, source",
        bench_name)
    dataset = ui.choose("Dataset / task", opts["dataset"].unique(maintain_order=True).to_list(),
                        key=f"{key}_dataset")
    targets = [Target(**r) for r in opts.filter(pl.col("dataset") == dataset).iter_rows(named=True)]
    return ui.choose("Ground truth", targets, key=f"{key}_target", format_func=lambda t: t.label)


def proxy(bench_name: str, dataset: str, key: str) -> Proxy:
    """Proxies with values for this dataset/task (or data-free ones, stored with dataset '')."""
    opts = ui.query(
        "SELECT DISTINCT proxy, source FROM proxies WHERE bench = ? AND dataset IN (?, '') "
        "ORDER BY source <> 'nasdb', proxy, source", bench_name, dataset)
    proxies = [Proxy(**r) for r in opts.iter_rows(named=True)]
    default = next((i for i, p in enumerate(proxies) if p.proxy == "nasgraph_avg_degree"), 0)
    return ui.choose("Proxy", proxies, key=f"{key}_proxy", format_func=lambda p: p.label, index=default)


def population(key: str) -> str:
    return st.radio("Population", list(POPULATIONS), key=f"{key}_population", horizontal=True,
                    format_func=lambda p: POPULATIONS[p])


def pairs(bench_name: str, t: Target, p: Proxy, pop: str) -> pl.DataFrame:
    """One row per architecture with both a proxy value and a ground-truth value."""
    return ui.query(
        f"""SELECT a.arch_id, a.arch_key, a.n_conv, a.iso_class, a.is_degenerate,
                   p.value AS proxy_value, g.value AS true_value
            FROM proxies p
            JOIN ground_truth g ON g.bench = p.bench AND g.arch_id = p.arch_id
            JOIN archs a ON a.bench = p.bench AND a.arch_id = p.arch_id
            WHERE p.bench = ? AND p.proxy = ? AND p.source = ? AND p.dataset IN (?, '')
              AND g.dataset = ? AND g.split = ? AND g.metric = ? AND g.epochs IS NOT DISTINCT FROM ?
              AND g.source = ? AND p.value IS NOT NULL AND isfinite(p.value) AND g.value IS NOT NULL
              AND {_POPULATION_SQL[pop]}
            ORDER BY a.arch_id""",
        bench_name, p.proxy, p.source, t.dataset, t.dataset, t.split, t.metric, t.epochs, t.source)
