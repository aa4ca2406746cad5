"""The choices several pages share (benchmark, ground-truth target, proxy, population) and the
proxy-vs-truth pairs they plot. Pairing and populations are nasdb.evaluate's own rules, so a page
shows exactly the architectures `nasdb eval` ranks.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import streamlit as st

from app import db, ui
from nasdb.evaluate import pairing, population

POPULATIONS = {
    "all": "every architecture",
    "non_degenerate": "without degenerate cells",
    "unique": "one per isomorphism class",
}


@dataclass(frozen=True)
class Proxy:
    proxy: str
    source: str

    @property
    def label(self) -> str:
        return f"{self.proxy} ({self.source})"


def target_label(t: pairing.Target) -> str:
    ep = f" @{t.epochs} ep" if t.epochs is not None else ""
    return f"{t.split} {t.metric}{ep} [{t.gt_source}]"


# the benchmark pages open on (a preference, not benchmark knowledge: every page works for every space)
DEFAULT_BENCH = "nb201"


def bench(key: str) -> str:
    benches = ui.query("SELECT bench FROM benchmarks ORDER BY bench")["bench"].to_list()
    default = benches.index(DEFAULT_BENCH) if DEFAULT_BENCH in benches else 0
    return ui.choose("Benchmark", benches, key=f"{key}_bench", index=default)


def target(bench_name: str, key: str) -> pairing.Target:
    """Dataset/task, then which ground-truth column of it (test split and higher-is-better metrics first)."""
    opts = ui.query(
        "SELECT DISTINCT dataset, split, metric, epochs, source AS gt_source, higher_is_better FROM ground_truth "
        "WHERE bench = ? ORDER BY lower(dataset), split = 'test' DESC, higher_is_better DESC, metric, "
        "epochs DESC NULLS LAST, gt_source", bench_name)
    dataset = ui.choose("Dataset / task", opts["dataset"].unique(maintain_order=True).to_list(),
                        key=f"{key}_dataset")
    targets = [pairing.Target(**r) for r in opts.filter(pl.col("dataset") == dataset).iter_rows(named=True)]
    # choose by position: Streamlit keeps a keyed widget's old value object when its label still matches,
    # and two datasets' targets share labels ("test accuracy @200 ep"), so objects would go stale. The key
    # names the options: with a fixed key the box kept showing the previous benchmark's label (NB201's
    # accuracy over TNB101's SSIM) while the page used the new target
    labels = [target_label(t) for t in targets]
    digest = hashlib.sha1("\n".join(labels).encode()).hexdigest()[:8]
    i = ui.choose("Ground truth", list(range(len(targets))), key=f"{key}_target_{digest}",
                  format_func=lambda i: labels[i])
    return targets[i]


def proxy(bench_name: str, dataset: str, key: str) -> Proxy:
    """Proxies that pair with this dataset (its own rows, its data domain's, or data-free ones), plus
    the n_conv baseline that evaluation always includes."""
    rows = ui.query("SELECT DISTINCT proxy, source, dataset FROM proxies WHERE bench = ? AND isfinite(value)",
                    bench_name)
    pairs_with = (pl.col("dataset") == "") | (pl.col("dataset").replace(pairing.DOMAIN) == pairing.domain(dataset))
    found = rows.filter(pairs_with).select("proxy", "source").unique().sort(
        pl.col("source") != "nasdb", "proxy", "source")
    proxies = [Proxy(**r) for r in found.iter_rows(named=True)] + [Proxy("n_conv", pairing.BASELINE_SOURCE)]
    default = next((i for i, p in enumerate(proxies) if p.proxy == "nasgraph_avg_degree"), 0)
    return ui.choose("Proxy", proxies, key=f"{key}_proxy", format_func=lambda p: p.label, index=default)


def population_choice(key: str) -> str:
    return st.radio("Population", list(POPULATIONS), key=f"{key}_population", horizontal=True,
                    format_func=lambda p: POPULATIONS[p])


@st.cache_data(show_spinner=False, max_entries=32)
def _population_ids(path: str, bench_name: str, name: str) -> np.ndarray:
    con = db.connect(Path(path))
    try:
        return population.arch_ids(con, bench_name, population.parse(name))
    finally:
        con.close()


def _proxy_rows(bench_name: str, p: Proxy) -> pl.DataFrame:
    if p.source == pairing.BASELINE_SOURCE:
        return ui.query("SELECT arch_id, '' AS dataset, ? AS proxy, ? AS source, n_conv::DOUBLE AS value "
                        "FROM archs WHERE bench = ? AND n_conv IS NOT NULL", p.proxy, p.source, bench_name)
    return ui.query("SELECT arch_id, dataset, proxy, source, value FROM proxies "
                    "WHERE bench = ? AND proxy = ? AND source = ?", bench_name, p.proxy, p.source)


def pairs(bench_name: str, t: pairing.Target, p: Proxy, pop: str) -> pl.DataFrame:
    """One row per population architecture with a finite proxy value and finite ground truth."""
    chosen = pairing.for_dataset(_proxy_rows(bench_name, p), t.dataset).get((p.proxy, p.source))
    if chosen is None:
        return pl.DataFrame(schema={"arch_id": pl.Int64, "proxy_value": pl.Float64, "true_value": pl.Float64})
    _, values = chosen
    truth = ui.query(
        "SELECT arch_id, value AS true_value FROM ground_truth WHERE bench = ? AND dataset = ? AND split = ? "
        "AND metric = ? AND epochs IS NOT DISTINCT FROM ? AND source = ?",
        bench_name, t.dataset, t.split, t.metric, t.epochs, t.gt_source)
    archs = ui.query("SELECT arch_id, arch_key, n_conv, iso_class, is_degenerate FROM archs WHERE bench = ?",
                     bench_name)
    ids = pl.DataFrame({"arch_id": _population_ids(str(ui.snapshot_path()), bench_name, pop)})
    return (ids.join(archs, on="arch_id")
            .join(values.rename({"value": "proxy_value"}), on="arch_id")
            .join(truth, on="arch_id")
            .filter(pl.col("proxy_value").is_finite() & pl.col("true_value").is_finite())
            .sort("arch_id"))
