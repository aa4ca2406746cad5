"""How faithful nasdb's zero-cost values are: its runs next to the published NAS-Bench-Suite-Zero values.

For one stored zc run, per (dataset, proxy): Spearman(nasdb, published) on the archs both have, and
Spearman of each with the bench's primary ground truth on those same archs, all with percentile 95%
bootstrap intervals (``nasdb.evaluate.correlation``), so a small sample says how little it knows.
The ``ceiling`` column is the agreement of the two published copies with each other (NASLib's files
and GRAF's republication, two independent NASLib computations, on every arch they share): a
random-init or random-batch proxy cannot be expected to agree with one copy better than the copies
agree with each other.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import numpy as np

from nasdb.evaluate.correlation import Correlation, correlate
from nasdb.proxies.zc.family import PUBLISHED_SOURCE, SUITE_ZERO_COPIES

RESAMPLES = 1000


@dataclass(frozen=True)
class Row:
    bench: str
    dataset: str
    proxy: str
    copy: str                    # which published copy the comparison uses ("" = not published)
    vs_published: Correlation | None  # Spearman(nasdb, published) on the shared archs
    ours_vs_truth: Correlation   # Spearman(nasdb, ground truth) on the same archs
    published_vs_truth: Correlation | None
    ceiling: Correlation | None  # Spearman(NASLib's copy, GRAF's copy) on every arch both have
    truth: str                   # the ground-truth column


def _values(con: duckdb.DuckDBPyConnection, where: str, params: list, table: str = "proxies") -> dict[int, float]:
    return dict(con.execute(f"SELECT arch_id, value FROM {table} WHERE {where} AND value IS NOT NULL "
                            f"AND isfinite(value)", params).fetchall())


def _published(con, bench: str, dataset: str, proxy: str) -> dict[str, dict[int, float]]:
    return {src: _values(con, "bench = ? AND dataset = ? AND proxy = ? AND source = ?", [bench, dataset, proxy, src])
            for src in SUITE_ZERO_COPIES}


def _run(con, run_id: str, dataset: str, proxy: str) -> dict[int, float]:
    """The run's own values (``proxy_values``: every stored run, also one a later run displaced from
    ``proxies``, which shows only the current run of each proxy)."""
    return _values(con, "run_id = ? AND dataset = ? AND proxy = ?", [run_id, dataset, proxy], "proxy_values")


def _corr(a: dict[int, float], b: dict[int, float], ids: list[int], resamples: int) -> Correlation:
    return correlate(np.array([a[i] for i in ids], dtype=float), np.array([b[i] for i in ids], dtype=float),
                     resamples=resamples)


def _truth(con, bench: str, dataset: str, ids: list[int]) -> tuple[str, dict[int, float]]:
    """The bench's primary ground truth of ``dataset`` (``nasdb eval``'s choice); where it covers fewer
    than 90% of ``ids`` (NB101: the official file holds 20,001 cells), the headline metric of the
    dataset with the best coverage of them (there: the accuracy Suite-Zero published with its values).
    Values are signed so that larger = better."""
    from nasdb.evaluate import pairing

    gt = pairing.ground_truth(con, bench, np.array(ids, dtype=np.int64))
    primary = [t for t in pairing.targets(gt, "primary") if t.dataset == dataset]
    others = [t for t in pairing.targets(gt, "all") if pairing.domain(t.dataset) == pairing.domain(dataset)
              and t.metric in pairing.PRIMARY_METRICS]
    cover = {t: pairing.finite_target(gt, t) for t in primary + others}
    best = primary[0] if primary and cover[primary[0]].height >= 0.9 * len(ids) else \
        max(others, key=lambda t: cover[t].height, default=None)
    if best is None:
        return "none", {}
    sign = 1.0 if best.higher_is_better else -1.0
    return best.label() + f" ({best.gt_source})", {int(a): sign * float(y) for a, y in cover[best].iter_rows()}


def table(con: duckdb.DuckDBPyConnection, run_id: str, resamples: int = RESAMPLES) -> list[Row]:
    """The faithfulness rows of one stored zc run (a proxy nobody published gets its truth column only)."""
    settings = json.loads(con.execute("SELECT settings FROM proxy_runs WHERE run_id = ?", [run_id]).fetchone()[0])
    bench = settings["bench"]
    rows = []
    for dataset in settings["datasets"]:
        for proxy in settings["proxies"]:
            ours = _run(con, run_id, dataset, proxy)
            copies = _published(con, bench, dataset, proxy)
            shared = {src: sorted(set(ours) & set(vals)) for src, vals in copies.items()}
            src = max(SUITE_ZERO_COPIES, key=lambda s: (len(shared[s]), s == PUBLISHED_SOURCE))
            if not ours:
                continue
            if not shared[src]:  # nobody published it (zico, meco, swap, ...): its truth column only
                ids = sorted(ours)
                truth_label, truth = _truth(con, bench, dataset, ids)
                on_truth = [i for i in ids if i in truth]
                rows.append(Row(bench, dataset, proxy, "", None, _corr(ours, truth, on_truth, resamples), None,
                                None, truth_label))
                continue
            ids = shared[src]
            truth_label, truth = _truth(con, bench, dataset, ids)
            pub = copies[src]
            on_truth = [i for i in ids if i in truth]
            both = sorted(set(copies[SUITE_ZERO_COPIES[0]]) & set(copies[SUITE_ZERO_COPIES[1]]))
            rows.append(Row(bench, dataset, proxy, src, _corr(ours, pub, ids, resamples),
                            _corr(ours, truth, on_truth, resamples), _corr(pub, truth, on_truth, resamples),
                            _corr(copies[SUITE_ZERO_COPIES[0]], copies[SUITE_ZERO_COPIES[1]], both, resamples)
                            if both else None, truth_label))
    return rows


def _fmt(c: Correlation | None) -> str:
    if c is None or c.spearman is None:
        return "-"
    if c.spearman_lo is None:
        return f"{c.spearman:.3f}"
    return f"{c.spearman:.3f} [{c.spearman_lo:.3f}, {c.spearman_hi:.3f}]"


def markdown(rows: list[Row]) -> str:
    """The rows as the docs/benchmarks.md table (rho [95% bootstrap interval])."""
    out = ["| bench | dataset | proxy | n | Spearman(nasdb, published) | copy | ceiling (copy vs copy, n) "
           "| Spearman(nasdb, truth) | Spearman(published, truth) | truth |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ceiling = f"{_fmt(r.ceiling)}, {r.ceiling.n}" if r.ceiling and r.ceiling.spearman is not None else "-"
        copy = {PUBLISHED_SOURCE: "NASLib", "": "not published"}.get(r.copy, "GRAF")
        out.append(f"| {r.bench} | {r.dataset} | {r.proxy} | {r.ours_vs_truth.n} | {_fmt(r.vs_published)} | {copy} "
                   f"| {ceiling} | {_fmt(r.ours_vs_truth)} | {_fmt(r.published_vs_truth)} | {r.truth} |")
    return "\n".join(out)
