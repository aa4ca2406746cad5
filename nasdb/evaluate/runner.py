"""`nasdb eval`: evaluate every (bench, ground-truth target, proxy) and replace the stored results atomically.

All numbers are computed first; then one transaction deletes the previous rows of the same scope
(bench/dataset/proxy filters, population, arch set) and inserts the new ones with their eval_runs row.
A failure or a kill before the commit leaves the database as it was (rerunning redoes the work; a full
run takes well under a minute, so it is not checkpointed).
"""
from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import scipy

from nasdb import __version__, store
from nasdb.runs import ground_truth_input, input_key, mark_stale, result_tables
from nasdb.evaluate import bias, correlation, pairing, population, reuse, schema, search, topk
from nasdb.evaluate.errors import EvaluationError


@dataclass(frozen=True)
class Settings:
    """Everything that changes the numbers; stored as JSON with every row and run."""

    population: str = "all"
    common: bool = False
    targets: str = "primary"          # primary (one headline target per dataset) or all
    bootstrap: int = 1000
    seed: int = 0
    trials: int = search.TRIALS
    sample_sizes: tuple[int, ...] = search.SAMPLE_SIZES
    rules: dict = field(default_factory=lambda: {
        "ci": "bootstrap percentile 95%, resamples drawn with numpy.random.default_rng(seed)",
        "nonfinite": "NULL/NaN/inf proxy values dropped and counted, never ranked",
        "direction": "ground truth negated for lower-is-better metrics before ranking",
        "pairing": "proxy dataset: exact > same domain > '' (any)",
        "topk_ties": "expectation over uniform random tie-breaking",
        "min_stratum": bias.MIN_STRATUM,
    })

    @property
    def arch_set(self) -> str:
        return "common" if self.common else "own"


@dataclass
class Filters:
    bench: str | None = None
    dataset: str | None = None
    proxies: list[str] | None = None
    sources: list[str] | None = None
    split: str | None = None
    metric: str | None = None


@dataclass
class RunSummary:
    run_id: str
    seconds: float
    rows: dict[str, int]
    reused: int = 0       # (target, proxy) evaluations copied from stored rows with identical inputs


def code_version() -> str:
    """nasdb version + a hash of this package's source, so stored rows name the code that made them."""
    h = hashlib.sha1()
    for p in sorted(Path(__file__).parent.glob("*.py")):
        h.update(p.read_bytes())
    return f"{__version__}+{h.hexdigest()[:10]}"


def benches(con: duckdb.DuckDBPyConnection, bench: str | None) -> list[str]:
    known = [r[0] for r in con.execute("SELECT DISTINCT bench FROM archs ORDER BY bench").fetchall()]
    if bench is None:
        return known
    if bench not in known:
        raise EvaluationError(f"unknown bench {bench!r}; benchmarks in this database: {', '.join(known) or 'none'}")
    return [bench]


@dataclass
class _Job:
    bench: str
    target: pairing.Target
    proxies: dict[tuple[str, str], pairing.Pairs]
    runs: dict[tuple[str, str], str | None]  # (proxy, source) -> proxies.run_id of its values
    gt_input: str | None = None              # the ground truth's ingest version (runs.ground_truth_input)
    selected: frozenset[tuple[str, str]] = frozenset()  # what the filters named (baselines ride along anyway)

    def inputs(self, keys) -> list[str]:
        """proxy@source#run_id of the given proxies that come from a run (baselines from archs/costs do not),
        and the version of the ground truth judged against."""
        used = [input_key(p, src, self.runs[(p, src)]) for p, src in keys if self.runs[(p, src)] is not None]
        return sorted(used + ([self.gt_input] if self.gt_input else []))


def _jobs(con: duckdb.DuckDBPyConnection, f: Filters, pop: population.Population, which: str,
          extra: pl.DataFrame | None = None, within: np.ndarray | None = None) -> list[_Job]:
    """Pair every target with every proxy; check that the filters match something.

    Naming a split or metric selects among all targets (it would rarely be the primary one).
    ``extra``: values held in memory (bench, arch_id, dataset, proxy, source, value; larger = better),
    judged as if stored; ``within``: only these arch_ids count (a user's proxy judged on its own archs).
    """
    which = "all" if (f.split or f.metric) else which
    jobs, seen_datasets, seen_proxies = [], set(), set()
    for bench in benches(con, f.bench):
        ids = population.arch_ids(con, bench, pop)
        gt = pairing.ground_truth(con, bench, ids)
        values = pairing.proxy_values(con, bench, f.proxies)
        if extra is not None:
            values = pl.concat([values, extra.filter(pl.col("bench") == bench)
                                .select(values.columns[:-1], run_id=pl.lit(None, pl.Utf8))], how="vertical_relaxed")
        runs = {(p, src): r for p, src, r in values.select("proxy", "source", "run_id").unique().iter_rows()}
        values = values.drop("run_id")
        seen_datasets |= set(gt["dataset"].unique())
        seen_proxies |= set(values["proxy"].unique())
        baseline = pl.col("proxy").is_in(pairing.BASELINES)  # kept whatever the filters: the bar to beat
        if f.proxies:
            values = values.filter(pl.col("proxy").is_in(f.proxies) | baseline)
        if f.sources:
            values = values.filter(pl.col("source").is_in(f.sources) | baseline)
        by_dataset = {}
        for t in pairing.targets(gt, which):
            if (f.dataset and t.dataset != f.dataset) or (f.split and t.split != f.split) \
                    or (f.metric and t.metric != f.metric):
                continue
            if t.dataset not in by_dataset:
                by_dataset[t.dataset] = pairing.for_dataset(values, t.dataset)
            gt_t = pairing.finite_target(gt, t)
            pairs = {key: pairing.pair(gt_t, pds, rows, t.higher_is_better)
                     for key, (pds, rows) in by_dataset[t.dataset].items()}
            if within is not None:
                pairs = {key: p.subset(within) for key, p in pairs.items()}
            if pairs:
                jobs.append(_Job(bench, t, pairs, runs, ground_truth_input(con, bench, t.gt_source),
                                 _selected(pairs, f.proxies, f.sources)))
    if f.dataset and f.dataset not in seen_datasets:
        raise EvaluationError(f"unknown dataset {f.dataset!r}; datasets with ground truth: "
                              f"{', '.join(sorted(seen_datasets)) or 'none'}")
    missing = sorted(set(f.proxies or []) - seen_proxies - {"n_conv"})
    if missing:
        raise EvaluationError(f"unknown proxy {missing[0]!r}; proxies in this database: "
                              f"{', '.join(sorted(seen_proxies)) or 'none'}")
    if not jobs:
        wanted = ", ".join(f"{k}={v}" for k, v in asdict(f).items() if v)
        raise EvaluationError(f"nothing to evaluate ({wanted or 'no filters'}): no {which} ground-truth target "
                              "matches, or no proxy values pair with it (try --targets all)")
    return jobs


def _selected(keys, proxies: list[str] | None, sources: list[str] | None) -> frozenset[tuple[str, str]]:
    """The (proxy, source) keys the filters name (no filter names everything)."""
    return frozenset(k for k in keys if (not proxies or k[0] in proxies) and (not sources or k[1] in sources))


def _common(job: _Job) -> list[tuple[str, str]]:
    """Restrict every proxy of the job to the common arch set; return the proxies that define it.

    The set is the archs where every compared proxy has a finite value: the proxies the filters select,
    baselines excluded (baselines define it only when the filters select nothing else). A baseline is the bar
    to beat on that set and never shrinks it: it is judged on the archs of the set it has a value for, so one
    published for fewer archs (Suite-Zero's params on 724 NB201 cells) keeps its honest, smaller n.
    Proxies with no finite value for this target at all are left out (they would empty the set).
    """
    job.proxies = {k: p for k, p in job.proxies.items() if p.x.size}
    chosen = [k for k in job.proxies if k in job.selected] or list(job.proxies)
    compared = [k for k in chosen if k[0] not in pairing.BASELINES] or chosen
    keep = None
    for k in compared:
        keep = job.proxies[k].arch_id if keep is None else np.intersect1d(keep, job.proxies[k].arch_id)
    if keep is not None:
        job.proxies = {k: p.subset(keep) for k, p in job.proxies.items()}
    return compared


def _references(con: duckdb.DuckDBPyConnection, bench: str, dataset: str) -> dict[str, bias.Reference]:
    """Size references for the bias table: n_conv, and params/FLOPs (costs first, else peer proxy rows)."""
    frame = store.frame(
        con, "SELECT arch_id, dataset, lower(metric) AS proxy, 'cost:' || source AS source, value FROM costs "
        "WHERE bench = ? AND lower(metric) IN ('params', 'flops') "
        "UNION ALL SELECT arch_id, dataset, proxy, source, value FROM proxies "
        "WHERE bench = ? AND proxy IN ('params', 'flops')", [bench, bench])
    refs = {}
    archs = con.execute("SELECT arch_id, n_conv::DOUBLE AS n_conv FROM archs WHERE bench = ? AND n_conv IS NOT NULL",
                        [bench]).fetchnumpy()
    if archs["arch_id"].size:
        refs["n_conv"] = bias.Reference(archs["arch_id"], archs["n_conv"], "archs.n_conv")
    paired = pairing.for_dataset(frame, dataset) if frame.height else {}

    def preference(item) -> tuple:  # a benchmark's own cost column first, then the widest coverage
        (_, source), (_, rows) = item
        return (not source.startswith("cost:"), -rows.height, source)

    for name in ("params", "flops"):
        found = sorted(((k, v) for k, v in paired.items() if k[0] == name), key=preference)
        if found:
            (_, source), (proxy_dataset, rows) = found[0]
            rows = rows.sort("arch_id")
            refs[name] = bias.Reference(rows["arch_id"].to_numpy(), rows["value"].to_numpy().astype(float),
                                        f"{source} dataset {proxy_dataset!r}")
    return refs


def _strata(con: duckdb.DuckDBPyConnection, bench: str) -> tuple[np.ndarray, np.ndarray]:
    a = con.execute("SELECT arch_id, coalesce(n_conv, -1) AS s FROM archs WHERE bench = ? ORDER BY arch_id",
                    [bench]).fetchnumpy()
    return a["arch_id"], a["s"]


def _compute(con, jobs: list[_Job], s: Settings, progress: bool, correlations_only: bool = False,
             reuse_stored: bool = True) -> tuple[dict[str, list[dict]], int]:
    """Result rows of every (job, proxy), and how many (job, proxy) were copied from rows stored earlier from
    identical inputs (:mod:`nasdb.evaluate.reuse`) instead of computed."""
    from tqdm import tqdm

    refs_cache, strata_cache, context_cache = {}, {}, {}
    code = f"{code_version()} numpy {np.__version__} scipy {scipy.__version__}"
    settings = {k: v for k, v in asdict(s).items() if k != "targets"}  # targets only selects, changes no number
    planned = []
    for job in jobs:
        compared = _common(job) if s.common else []
        t, at = job.target, (job.bench, job.target.dataset)
        if at not in refs_cache:
            refs_cache[at] = _references(con, job.bench, t.dataset)
        if job.bench not in strata_cache:
            strata_cache[job.bench] = _strata(con, job.bench)
        if at not in context_cache:
            context_cache[at] = reuse.context(refs_cache[at], *strata_cache[job.bench])
        others = sorted(f"{p}@{src}" for p, src in compared) if s.common else None
        for (proxy, source), p in job.proxies.items():
            base = {"bench": job.bench, "dataset": t.dataset, "split": t.split, "metric": t.metric,
                    "epochs": t.epochs, "gt_source": t.gt_source, "higher_is_better": t.higher_is_better,
                    "proxy": proxy, "proxy_source": source, "proxy_dataset": p.proxy_dataset,
                    "population": s.population, "arch_set": s.arch_set,
                    "proxy_run_id": job.runs[(proxy, source)], "stale": False,
                    "inputs": job.inputs({*compared, (proxy, source)})}
            fingerprint = reuse.fingerprint(code, {**settings, "common_with": others}, base, p, context_cache[at])
            planned.append((job, p, base, others, fingerprint))
    found = reuse.stored_rows(con, [f for *_, f in planned]) if reuse_stored and not correlations_only else {}
    out: dict[str, list[dict]] = {t: [] for t in schema.RESULT_TABLES}
    bar = tqdm(total=len(planned), desc="eval", unit="proxy", disable=not progress)
    for job, p, base, others, fingerprint in planned:
        bar.set_postfix_str(f"{job.bench} {job.target.dataset} {base['proxy']}", refresh=False)
        if fingerprint in found:
            for table, rows in found[fingerprint].items():
                out[table] += rows
        else:
            at = (job.bench, job.target.dataset)
            _evaluate_one(out, job.target, p, base, s, {"common_with": others, reuse.KEY: fingerprint},
                          refs_cache[at], strata_cache[job.bench], correlations_only)
        bar.update()
    bar.close()
    return out, sum(f in found for *_, f in planned)


def _evaluate_one(out: dict[str, list[dict]], t: pairing.Target, p: pairing.Pairs, base: dict, s: Settings,
                  row_settings: dict, refs: dict[str, bias.Reference], strata: tuple[np.ndarray, np.ndarray],
                  correlations_only: bool) -> None:
    """Compute one proxy's rows for one target and append them to ``out``."""
    g = p.goodness
    c = correlation.correlate(p.x, g, s.bootstrap, s.seed)
    out["correlations"].append({
        **base, "n_population": p.n_population, "n_missing": p.n_missing, "n_null": p.n_null,
        "n_nan": p.n_nan, "n_inf": p.n_inf, **asdict(c), "bootstrap": s.bootstrap, "seed": s.seed,
        "settings": {"bootstrap": s.bootstrap, "seed": s.seed, **row_settings, **s.rules}})
    if not p.x.size or correlations_only:
        return
    for r in topk.all_retrievals(p.x, g, t.higher_is_better):
        out["topk"].append({**base, **asdict(r), "settings": {**row_settings, **s.rules}})
    for r in search.simulate(p.x, g, t.higher_is_better, s.sample_sizes, s.trials, s.seed):
        out["search_sim"].append({**base, **asdict(r), "seed": s.seed, "settings": {
            "trials": s.trials, "sample_sizes": list(s.sample_sizes), "seed": s.seed, **row_settings}})
    strata_ids, strata_values = strata
    rows = bias.against_references(p.arch_id, p.x, refs)
    rows += bias.within_strata(p.x, g, strata_values[np.searchsorted(strata_ids, p.arch_id)], t.metric)
    for r in rows:
        out["bias"].append({**base, **asdict(r), "settings": {**row_settings, **s.rules}})


def _frame(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict], run_id: str) -> pl.DataFrame:
    """Rows as a DataFrame with exactly the table's columns and types (settings serialised as JSON)."""
    cols = con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                       "ORDER BY ordinal_position", [table]).fetchall()
    names = [c[0] for c in cols]
    data = {n: [r.get(n) for r in rows] for n in names if n not in ("run_id", "settings")}
    df = pl.DataFrame(data, strict=False, infer_schema_length=None)
    return df.with_columns(run_id=pl.lit(run_id),
                           settings=pl.Series([json.dumps(r["settings"]) for r in rows], dtype=pl.Utf8)).select(names)


def _write(con, out: dict[str, list[dict]], jobs: list[_Job], f: Filters, s: Settings, run_id: str,
           started: datetime, seconds: float) -> dict[str, int]:
    """Replace the rows of the evaluated targets (same population, arch set and proxy filters) in one transaction."""
    evaluated = pl.DataFrame([{"bench": j.bench, "dataset": j.target.dataset, "split": j.target.split,
                               "metric": j.target.metric, "epochs": j.target.epochs,
                               "gt_source": j.target.gt_source} for j in jobs],
                             schema_overrides={"epochs": pl.Int32})
    scope = ["r.population = ?", "r.arch_set = ?"]
    params: list = [s.population, s.arch_set]
    # a common arch set depends on every proxy of the run: then replace all rows of these targets
    by_proxy = Filters() if s.common else f
    for col, wanted in (("proxy", by_proxy.proxies), ("proxy_source", by_proxy.sources)):
        if wanted:  # baselines are evaluated with every filter, so their rows are replaced too
            scope.append(f"(r.{col} IN ({', '.join('?' * len(wanted))}) OR r.proxy IN "
                         f"({', '.join('?' * len(pairing.BASELINES))}))")
            params += [*wanted, *pairing.BASELINES]
    match = " AND ".join(f"r.{c} IS NOT DISTINCT FROM k.{c}" for c in evaluated.columns)
    counts = {}
    with store.transaction(con):
        con.register("_eval_targets", evaluated.to_arrow())
        try:
            for table, rows in out.items():
                con.execute(f"DELETE FROM {table} r USING _eval_targets k WHERE {match} AND {' AND '.join(scope)}",
                            params)
                counts[table] = len(rows)
                if rows:
                    con.register("_eval_rows", _frame(con, table, rows, run_id).to_arrow())
                    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _eval_rows")
                    con.unregister("_eval_rows")
        finally:
            con.unregister("_eval_targets")
        settings = {**asdict(s), "filters": asdict(f)}
        con.execute("INSERT INTO eval_runs VALUES (?, ?, ?, ?, ?, ?, 'complete')",
                    [run_id, started.replace(tzinfo=None), seconds, json.dumps(settings), code_version(),
                     sum(counts.values())])
        mark_stale(con)  # a proxy run may have become current since these numbers were read
    return counts


def _checked(s: Settings) -> population.Population:
    if s.bootstrap < 0 or s.trials < 1:
        raise EvaluationError(f"bootstrap must be >= 0 and trials >= 1 (got {s.bootstrap}, {s.trials})")
    return population.parse(s.population)


def correlations(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings,
                 progress: bool = False, extra: pl.DataFrame | None = None,
                 within: np.ndarray | None = None) -> pl.DataFrame:
    """Correlation rows computed now and not stored (for read-only callers such as the leaderboard);
    ``extra`` and ``within`` as in :func:`compute`."""
    jobs = _jobs(con, filters, _checked(settings), settings.targets, extra, within)
    rows = _compute(con, jobs, settings, progress, correlations_only=True)[0]["correlations"]
    return pl.DataFrame([{k: v for k, v in r.items() if k != "settings"} for r in rows], infer_schema_length=None)


@dataclass
class Computed:
    """Results computed from a (possibly read-only) connection, ready to be stored by a writer."""

    filters: Filters
    settings: Settings
    jobs: list[_Job]
    out: dict[str, list[dict]]
    started: datetime
    seconds: float
    reused: int = 0


def plan(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, settings: Settings | None = None,
         extra: pl.DataFrame | None = None, within: np.ndarray | None = None) -> list[_Job]:
    """Every (target, proxy pairs) to evaluate: one read of ground truth and proxy values (see :func:`compute`)."""
    s = settings or Settings()
    return _jobs(con, filters or Filters(), _checked(s), s.targets, extra, within)


def select(jobs: list[_Job], proxies: list[str] | None = None, sources: list[str] | None = None) -> list[_Job]:
    """Planned jobs narrowed to these proxies and sources, keeping the baselines (as :class:`Filters` does)."""
    out = []
    for j in jobs:
        chosen = _selected(j.proxies, proxies, sources)
        out.append(replace(j, proxies={k: p for k, p in j.proxies.items() if k in chosen or k[0] in pairing.BASELINES},
                           selected=chosen))
    return out


def compute(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, settings: Settings | None = None,
            progress: bool = True, extra: pl.DataFrame | None = None, within: np.ndarray | None = None,
            jobs: list[_Job] | None = None, reuse_stored: bool = True) -> Computed:
    """Every number of an evaluation, read from ``con`` (a read-only connection is enough).

    ``extra``: proxy values held in memory (bench, arch_id, dataset, proxy, source, value, oriented larger =
    better), evaluated as if stored (``nasdb.evaluate_values``; such results are never stored);
    ``within``: judge every proxy only on these arch_ids; ``jobs``: already :func:`plan`-ned for these filters;
    ``reuse_stored``: copy stored rows computed from identical inputs (False: compute everything)."""
    f = filters or Filters()
    s = settings or Settings()
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    pop = _checked(s)
    jobs = _jobs(con, f, pop, s.targets, extra, within) if jobs is None else jobs
    out, reused = _compute(con, jobs, s, progress, reuse_stored=reuse_stored)
    return Computed(f, s, jobs, out, started, time.perf_counter() - t0, reused)


def store_computed(con: duckdb.DuckDBPyConnection, c: Computed) -> RunSummary:
    """Replace the rows of the evaluated scope in one transaction (the writer's short part of ``nasdb eval``)."""
    t0 = time.perf_counter()
    schema.ensure(con)
    run_id = f"eval-{c.started:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    counts = _write(con, c.out, c.jobs, c.filters, c.settings, run_id, c.started, c.seconds)
    return RunSummary(run_id, c.seconds + time.perf_counter() - t0, counts, c.reused)


def evaluate(con: duckdb.DuckDBPyConnection, filters: Filters | None = None, settings: Settings | None = None,
             progress: bool = True, reuse_stored: bool = True) -> RunSummary:
    """Compute correlations, top-k, search simulation and bias for the filtered targets and proxies; store them."""
    return store_computed(con, compute(con, filters, settings, progress, reuse_stored=reuse_stored))


def evaluate_file(db: str | Path | None, filters: Filters | None = None, settings: Settings | None = None,
                  progress: bool = True, reuse_stored: bool = True) -> RunSummary:
    """``evaluate`` on a database file the way a long writer must: compute from a read-only connection (readers
    and other jobs keep working), then hold the writer only for the one transaction that stores."""
    from nasdb import dbfile

    con = store.connect(db, read_only=True)
    try:
        computed = compute(con, filters, settings, progress, reuse_stored=reuse_stored)
    finally:
        con.close()
    with dbfile.writing(db) as con:
        return store_computed(con, computed)


def refresh_stale(db: str | Path | None, progress: bool = True) -> list[RunSummary]:
    """Re-run, with its own filters and settings, every stored evaluation that has stale rows (each one
    computed read-only and stored in its own short write, as ``evaluate_file``)."""
    from nasdb import dbfile

    con = store.connect(db, read_only=True)
    try:
        tables = result_tables(con)
        if not tables:
            return []
        stale_runs = " UNION ".join(f"SELECT DISTINCT run_id FROM {t} WHERE stale IS NOT FALSE" for t in tables)
        stale = [row[0] for row in con.execute(f"SELECT DISTINCT settings FROM eval_runs WHERE run_id IN ({stale_runs})"
                                               ).fetchall()]
    finally:
        con.close()
    done = []
    for settings_json in stale:
        stored = json.loads(settings_json)
        f = Filters(**stored.pop("filters"))
        stored["sample_sizes"] = tuple(stored["sample_sizes"])
        try:
            done.append(evaluate_file(db, f, Settings(**stored), progress))
        except EvaluationError:  # its proxies or targets are gone: nothing current to show for it
            with dbfile.writing(db) as con, store.transaction(con):
                for t in tables:
                    con.execute(f"DELETE FROM {t} WHERE stale IS NOT FALSE AND run_id IN "
                                "(SELECT run_id FROM eval_runs WHERE settings = ?)", [settings_json])
    return done
