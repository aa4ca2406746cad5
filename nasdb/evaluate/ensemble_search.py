"""Ensemble search that never sees the target it is judged on.

Members are chosen on ONE selection task (bench + ground-truth dataset) by greedy forward selection
(add the candidate that raises the ensemble's Spearman most; stop when nothing helps or at
``max_size``), each candidate's direction fixed by the sign of its own Spearman on that task. The
choice is made by :func:`select`, which receives only the selection task's candidate matrix and
ground truth (no database handle, no other task); the report then computes the chosen ensemble on
every task and labels the selection task's row ``selection`` (in-sample) and the others ``held-out``.
"""
from __future__ import annotations

import fnmatch
import warnings
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl
from scipy.stats import ConstantInputWarning, kendalltau, spearmanr

from nasdb.errors import NasdbError
from nasdb.evaluate import pairing
from nasdb.proxies import ensemble


@dataclass(frozen=True)
class Task:
    """One judged ground-truth column: the bench's primary target of a dataset."""

    bench: str
    target: pairing.Target

    def label(self) -> str:
        return f"{self.bench}/{self.target.dataset}"


@dataclass(frozen=True)
class Selection:
    members: list[ensemble.Member]
    method: str
    spearman: float               # on the selection task (in-sample)
    steps: list[tuple[str, float]]  # member added, Spearman after adding it


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rho; NaN (no warning on the user's terminal) for a constant candidate."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantInputWarning)
        return float(spearmanr(x, y).statistic)


def select(values: np.ndarray, candidates: list[ensemble.Member], goodness: np.ndarray, method: str,
           max_size: int) -> Selection:
    """Greedy forward selection on one task: ``values`` (n_archs, n_candidates), ``goodness`` (n_archs,)."""
    signs = np.array([np.sign(_spearman(values[:, j], goodness)) or 1.0 for j in range(values.shape[1])])
    single = [abs(_spearman(values[:, j], goodness)) for j in range(values.shape[1])]
    chosen = [int(np.nanargmax(single))]
    steps = [(str(_signed(candidates[chosen[0]], signs[chosen[0]])), float(np.nanmax(single)))]
    best = steps[0][1]
    while len(chosen) < max_size:
        trial = {}
        for j in range(values.shape[1]):
            if j not in chosen:
                cols = chosen + [j]
                trial[j] = _spearman(ensemble.combine(values[:, cols], signs[cols], method), goodness)
        if not trial:
            break
        j, rho = max(trial.items(), key=lambda kv: (np.nan_to_num(kv[1], nan=-2.0), -kv[0]))
        if not rho > best:
            break
        chosen.append(j)
        best = rho
        steps.append((str(_signed(candidates[j], signs[j])), float(rho)))
    return Selection([_signed(candidates[j], signs[j]) for j in chosen], method, best, steps)


def _signed(m: ensemble.Member, sign: float) -> ensemble.Member:
    return ensemble.Member(m.proxy, m.source, int(sign) * m.sign)


def primary_task(con: duckdb.DuckDBPyConnection, bench: str, dataset: str, population: str = "all",
                 split: str | None = None, gt_source: str | None = None) -> tuple[Task, pl.DataFrame]:
    """The bench's primary target for ``dataset`` (or its headline metric on ``split``, e.g. ``valid``,
    from the bench's own files or the copy ``gt_source`` published, e.g. ``peer:graf``) and its finite
    ground truth (arch_id, y) on ``population`` (``nasdb eval``'s grammar; a ``set:`` the bench does not
    have means all its archs)."""
    from nasdb.evaluate import population as pop
    from nasdb.evaluate.errors import EvaluationError

    try:
        ids = pop.arch_ids(con, bench, pop.parse(population))
    except EvaluationError:
        if not population.startswith("set:"):
            raise
        ids = pop.arch_ids(con, bench, pop.parse("all"))
    gt = pairing.ground_truth(con, bench, ids)
    if split or gt_source:
        own = [t for t in pairing.targets(gt, "all") if t.dataset == dataset and t.metric in pairing.PRIMARY_METRICS
               and (t.gt_source == gt_source if gt_source else not t.gt_source.startswith("peer:"))]
        found = sorted((t for t in own if t.split == (split or t.split)),
                       key=lambda t: (pairing.PRIMARY_METRICS.index(t.metric), pairing.SPLIT_PREFERENCE.index(t.split)
                                      if t.split in pairing.SPLIT_PREFERENCE else 9, -(t.epochs or 0)))
        if not found:
            raise NasdbError(f"{bench}/{dataset} has no {split or 'any'!r} ground truth from "
                             f"{gt_source or 'its own files'}; there: splits "
                             f"{', '.join(sorted({t.split for t in own})) or 'none'}")
    else:
        found = [t for t in pairing.targets(gt, "primary") if t.dataset == dataset]
    if not found:
        have = sorted({t.dataset for t in pairing.targets(gt, "primary")})
        raise NasdbError(f"{bench} has no ground truth for dataset {dataset!r}; it has: {', '.join(have) or 'none'}")
    return Task(bench, found[0]), pairing.finite_target(gt, found[0])


def tasks(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Every (bench, dataset) with a primary ground-truth target."""
    out = []
    for bench in [r[0] for r in con.execute("SELECT DISTINCT bench FROM ground_truth ORDER BY 1").fetchall()]:
        ids = np.array([r[0] for r in con.execute("SELECT arch_id FROM archs WHERE bench = ?", [bench]).fetchall()])
        out += [(bench, t.dataset) for t in pairing.targets(pairing.ground_truth(con, bench, ids), "primary")]
    return out


def candidates(con: duckdb.DuckDBPyConnection, bench: str, patterns: list[str],
               at_least: int = 2) -> list[ensemble.Member]:
    """Current proxies of ``bench`` matching any of ``patterns`` (``glob`` = nasdb's own proxies,
    ``glob@source`` = another source's, e.g. ``synflow@peer:graf``); ensembles are never candidates."""
    rows = con.execute(
        "SELECT DISTINCT p.proxy, p.source FROM proxies p LEFT JOIN proxy_runs r USING (run_id) WHERE p.bench = ? "
        "AND coalesce(r.proxy, '') <> ? ORDER BY 1, 2",
        [bench, ensemble.FAMILY]).fetchall()
    wanted = [(p.partition("@")[0], p.partition("@")[2] or "nasdb") for p in patterns]
    picked = [ensemble.Member(n, src) for n, src in rows
              if any(src == s and fnmatch.fnmatchcase(n, g) for g, s in wanted)]
    if len(picked) < at_least:
        raise NasdbError(f"fewer than {at_least} stored {bench} proxies match {', '.join(patterns)}")
    return picked


def _task_matrix(con, bench: str, dataset: str, members: list[ensemble.Member], population: str = "all"):
    """(goodness, values) on the archs of ``population`` with ground truth and every member, plus the task."""
    task, gt = primary_task(con, bench, dataset, population)
    ids, values, _ = ensemble.matrix(ensemble.member_rows(con, bench, members), members, dataset)
    joined = pl.DataFrame({"arch_id": ids, "row": np.arange(len(ids))}).join(gt, on="arch_id", how="inner")
    y = joined["y"].to_numpy()
    goodness = y if task.target.higher_is_better else -y
    return task, goodness, values[joined["row"].to_numpy()]


COVERAGE = 0.95  # a candidate must be finite on this share of the selection task's architectures


def _covering(con, bench: str, dataset: str, cands: list[ensemble.Member],
              population: str) -> list[ensemble.Member]:
    """Candidates finite on >= COVERAGE of the labelled archs (an ensemble exists only where all members do)."""
    _, gt = primary_task(con, bench, dataset, population)
    rows = ensemble.member_rows(con, bench, cands, require_all=False)
    paired = pairing.for_dataset(rows, dataset)
    labelled = gt["arch_id"].implode()
    keep = [m for m in cands if (m.proxy, m.source) in paired
            and paired[(m.proxy, m.source)][1]["arch_id"].is_in(labelled).sum() >= COVERAGE * gt.height]
    if len(keep) < 2:
        raise NasdbError(f"fewer than two candidates have values for {COVERAGE:.0%} of {bench}/{dataset}")
    return keep


def search(con: duckdb.DuckDBPyConnection, bench: str, dataset: str, patterns: list[str], method: str,
           max_size: int, population: str = "all") -> tuple[Task, Selection, list[ensemble.Member]]:
    """Choose members on (bench, dataset) alone; also returns the candidates dropped for low coverage."""
    ensemble.check_method(method)
    cands = candidates(con, bench, patterns)
    kept = _covering(con, bench, dataset, cands, population)
    task, goodness, values = _task_matrix(con, bench, dataset, kept, population)
    if len(goodness) < 3:
        raise NasdbError(f"{task.label()}: fewer than 3 architectures with ground truth and every candidate")
    return task, select(values, kept, goodness, method, max_size), [m for m in cands if m not in kept]


def report(con: duckdb.DuckDBPyConnection, chosen: Selection, selection_task: Task,
           judged: list[tuple[str, str]], population: str = "all") -> pl.DataFrame:
    """The chosen ensemble on every judged (bench, dataset): Spearman, Kendall, n, role."""
    rows = []
    for bench, dataset in judged:
        role = "selection" if (bench, dataset) == (selection_task.bench, selection_task.target.dataset) else "held-out"
        base = {"bench": bench, "dataset": dataset, "role": role}
        stored = set(candidates(con, bench, [f"{m.proxy}@{m.source}" for m in chosen.members], at_least=0))
        missing = [str(m) for m in chosen.members if ensemble.Member(m.proxy, m.source) not in stored]
        if missing:
            rows.append({**base, "target": None, "n": 0, "spearman": None, "kendall": None,
                         "note": f"not a {bench} proxy: {', '.join(missing)}"})
            continue
        try:
            task, goodness, values = _task_matrix(con, bench, dataset, chosen.members, population)
        except NasdbError as e:  # e.g. a peer member published for some datasets only
            rows.append({**base, "target": None, "n": 0, "spearman": None, "kendall": None, "note": str(e)})
            continue
        signs = np.array([m.sign for m in chosen.members], dtype=np.float64)
        x = ensemble.combine(values, signs, chosen.method)
        rows.append({**base, "target": f"{task.target.split}/{task.target.metric}@{task.target.epochs} "
                                       f"({task.target.gt_source})", "n": len(goodness),
                     "spearman": _spearman(x, goodness), "kendall": float(kendalltau(x, goodness).statistic),
                     "note": None})
    return pl.DataFrame(rows, schema={"bench": pl.String, "dataset": pl.String, "role": pl.String,
                                      "target": pl.String, "n": pl.Int64, "spearman": pl.Float64,
                                      "kendall": pl.Float64, "note": pl.String})


DDL = """
CREATE TABLE IF NOT EXISTS ensemble_search_results (
    search_id          VARCHAR NOT NULL,   -- one `nasdb ensemble-search`: esearch:<settings hash>-<UTC time>
    selected_on        VARCHAR NOT NULL,   -- bench/dataset the members were chosen on (its truth only)
    candidates         VARCHAR NOT NULL,   -- the candidate patterns
    method             VARCHAR NOT NULL,   -- mean_rank / log_rank_sum / zscore
    max_size           INTEGER,
    population         VARCHAR NOT NULL,   -- archs judged (nasdb eval's grammar)
    members            VARCHAR[],          -- chosen members, in the order added ('-' = lower is better)
    selection_spearman DOUBLE,             -- the ensemble's Spearman on the selection task (in-sample)
    bench              VARCHAR NOT NULL,   -- the task this row judges the ensemble on
    dataset            VARCHAR NOT NULL,
    role               VARCHAR NOT NULL,   -- 'selection' (in-sample) or 'held-out' (never read by the choice)
    target             VARCHAR,            -- split/metric@epochs (gt_source) of that task's ground truth
    n                  BIGINT,             -- archs with ground truth and every member
    spearman           DOUBLE,
    kendall            DOUBLE,
    note               VARCHAR,            -- why spearman is NULL (a member missing on that bench, ...)
    inputs             VARCHAR[],          -- proxy@source#run_id of every member on this bench
    stored_as          VARCHAR,            -- run id of the ensemble stored with --store, if any
    code_version       VARCHAR,
    created_at         TIMESTAMP
);
"""


def inputs(con: duckdb.DuckDBPyConnection, bench: str, members: list[ensemble.Member]) -> list[str]:
    """proxy@source#run_id of the current values of ``members`` on ``bench`` (the runs a row read)."""
    rows = con.execute("SELECT DISTINCT proxy, source, coalesce(run_id, '') FROM proxies WHERE bench = ? "
                       "ORDER BY 1, 2, 3", [bench]).fetchall()
    wanted = {(m.proxy, m.source) for m in members}
    return [f"{p}@{s}#{r}" for p, s, r in rows if (p, s) in wanted]


def record(con: duckdb.DuckDBPyConnection, chosen: Selection, selection_task: Task, settings: dict,
           report_rows: pl.DataFrame) -> pl.DataFrame:
    """The rows `ensemble_search_results` gets for one search (read-only: inputs looked up here)."""
    import hashlib
    import json
    from datetime import datetime, timezone

    from nasdb.proxies.harness.run import code_version

    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]
    search_id = f"esearch:{digest}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}"
    runs = {b: inputs(con, b, chosen.members) for b in report_rows["bench"].unique()}
    return report_rows.with_columns(
        search_id=pl.lit(search_id), selected_on=pl.lit(selection_task.label()),
        candidates=pl.lit(settings["candidates"]), method=pl.lit(chosen.method),
        max_size=pl.lit(settings["max_size"], pl.Int32), population=pl.lit(settings["population"]),
        members=pl.lit([str(m) for m in chosen.members], pl.List(pl.String)),
        selection_spearman=pl.lit(chosen.spearman),
        inputs=pl.col("bench").replace_strict(runs, return_dtype=pl.List(pl.String)),
        stored_as=pl.lit(None, pl.String), code_version=pl.lit(code_version()))


def store_results(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame) -> None:
    """Append one search's rows (a search never replaces another: each is its own search_id)."""
    con.execute(DDL)
    con.register("_esearch_rows", rows)
    try:
        con.execute("INSERT INTO ensemble_search_results BY NAME SELECT *, now() AS created_at FROM _esearch_rows")
    finally:
        con.unregister("_esearch_rows")
