"""Few-shot performance predictors (NASLib's predictor-evaluation protocol) on stored proxies.

For each training size n and seed s: draw n labelled architectures at random (numpy
``default_rng([seed, n])``), fit a scikit-learn model on their features (``random_state = seed``),
predict every other labelled architecture of the population and score that ranking against the
ground truth: Spearman, Kendall tau-b, and precision@top-5% (share of the true top 5% of the test
set among the predicted top 5%). Means over seeds with 95% t-intervals go to ``predictor_results``;
the per-seed Spearman values are kept with them, so any row can be re-derived from its seed. Each
(train size, seed) trial is staged as a checksummed part the moment it finishes, so a killed run
resumes with the trials it had done; the database is written once, in one short transaction.

Feature groups (rows of ``proxies``, paired with the dataset as in evaluation):
``graph`` = nasdb's ``graf_*``; ``nasgraph`` = nasdb's ``nasgraph_*``; ``zc`` = the 13 zero-cost
proxies GRAF published (``peer:graf``: NB201 CIFAR-10 / ImageNet16-120 and TNB101-micro class_scene
only). The population is the architectures of ``population`` (default all) with ground truth and a
row for every feature (with ``zc`` that is GRAF's 9,445 "valid" NB201 nets); a NULL
feature value (e.g. no path avoiding an op) becomes -1, like GRAF's fill values for missing paths.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
from scipy import stats

from nasdb import store
from nasdb.errors import NasdbError
from nasdb.evaluate import pairing

GROUPS = {"graph": ("nasdb", "graf_*"), "nasgraph": ("nasdb", "nasgraph_*"), "zc": ("peer:graf", "*")}
MODELS = ("rf", "gbm", "ridge")
TOP_FRACTION = 0.05
MISSING = -1.0

DDL = """
CREATE TABLE IF NOT EXISTS predictor_results (
    run_id       VARCHAR NOT NULL,
    bench        VARCHAR NOT NULL,
    dataset      VARCHAR NOT NULL,
    target       VARCHAR NOT NULL,      -- split/metric@epochs of the ground truth predicted
    gt_source    VARCHAR NOT NULL,
    features     VARCHAR NOT NULL,      -- feature groups, e.g. 'graph+zc'
    population   VARCHAR NOT NULL,      -- which labelled architectures (nasdb eval's population grammar)
    n_features   INTEGER,
    model        VARCHAR NOT NULL,      -- rf / gbm / ridge (scikit-learn)
    train_size   INTEGER NOT NULL,
    n_test       INTEGER,               -- the rest of the labelled population
    n_seeds      INTEGER,
    spearman     DOUBLE, spearman_lo DOUBLE, spearman_hi DOUBLE,   -- mean over seeds, 95% t-interval
    kendall      DOUBLE, kendall_lo  DOUBLE, kendall_hi  DOUBLE,
    top_k        INTEGER,               -- k of precision@k (5% of the test set)
    precision    DOUBLE, precision_lo DOUBLE, precision_hi DOUBLE,
    per_seed_spearman DOUBLE[],         -- seed 0, 1, ... in order
    settings     JSON,
    code_version VARCHAR,
    created_at   TIMESTAMP
);
"""


@dataclass(frozen=True)
class Settings:
    bench: str
    dataset: str
    features: tuple[str, ...]
    model: str = "rf"
    train_sizes: tuple[int, ...] = (10, 20, 50, 100, 200, 500, 1000)
    seeds: int = 20
    population: str = "all"     # nasdb.evaluate.population grammar
    split: str = ""             # ground-truth split; "" = the bench's primary target (test where it has one)
    gt_source: str = ""         # "" = the bench's own files; e.g. "peer:graf" = the copy GRAF published
    rules: dict = field(default_factory=lambda: {
        "split": "train = default_rng([seed, n]).choice(population, n); test = the rest",
        "model_seed": "random_state = seed", "missing_feature": MISSING, "top_fraction": TOP_FRACTION,
        "ci": "mean over seeds +- t(0.975, seeds-1) * sd / sqrt(seeds)"})

    def run_id(self) -> str:
        return "predict:" + hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


def parse_groups(text: str) -> tuple[str, ...]:
    groups = tuple(g.strip() for g in text.split(",") if g.strip())
    bad = [g for g in groups if g not in GROUPS]
    if bad or not groups:
        raise NasdbError(f"--features {text!r}: expected a comma-separated subset of {', '.join(GROUPS)}")
    return groups


def check(s: Settings) -> None:
    if s.model not in MODELS:
        raise NasdbError(f"unknown model {s.model!r}; expected one of {', '.join(MODELS)}")
    if s.seeds < 2:
        raise NasdbError(f"--seeds must be at least 2 (for an interval over seeds), got {s.seeds}")
    if not s.train_sizes or min(s.train_sizes) < 2:
        raise NasdbError(f"--train-sizes must be integers >= 2, got {list(s.train_sizes)}")


def dataset_matrix(con: duckdb.DuckDBPyConnection, s: Settings) -> tuple[np.ndarray, np.ndarray, list[str], object]:
    """(X, y as goodness, feature names, target) on the labelled population."""
    from nasdb.evaluate.ensemble_search import primary_task

    from nasdb.evaluate import population

    task, gt = primary_task(con, s.bench, s.dataset, split=s.split or None, gt_source=s.gt_source or None)
    gt = gt.filter(pl.col("arch_id").is_in(population.arch_ids(con, s.bench, population.parse(s.population))))
    which = " OR ".join("(source = ? AND proxy GLOB ?)" for _ in s.features)
    rows = store.frame(
        con, "SELECT arch_id, dataset, proxy, source, value FROM proxies SEMI JOIN "
        "(SELECT DISTINCT arch_id FROM ground_truth WHERE bench = ?) USING (arch_id) "
        f"WHERE bench = ? AND ({which})",
        [s.bench, s.bench, *[x for g in s.features for x in GROUPS[g]]])
    paired = pairing.for_dataset(rows, s.dataset)
    if not paired:
        raise NasdbError(f"no {s.bench} values of feature group(s) {'+'.join(s.features)} pair with dataset "
                         f"{s.dataset!r}; compute them first (e.g. `nasdb score graf --bench {s.bench}`)")
    names = sorted(paired)
    wide = gt
    for i, key in enumerate(names):
        wide = wide.join(paired[key][1].rename({"value": f"f{i}"}), on="arch_id", how="inner")
    if wide.height < max(s.train_sizes) + 10:
        raise NasdbError(f"{s.bench}/{s.dataset}: {wide.height} labelled architectures have every feature; "
                         f"too few for training size {max(s.train_sizes)} plus a test set")
    X = wide.select([f"f{i}" for i in range(len(names))]).to_numpy().astype(np.float64)
    X = np.where(np.isfinite(X), X, MISSING)
    y = wide["y"].to_numpy().astype(np.float64)
    return X, (y if task.target.higher_is_better else -y), [f"{p}@{src}" for p, src in names], task


def _model(name: str, seed: int):
    if name == "rf":
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(n_estimators=100, random_state=seed, n_jobs=1)
    if name == "gbm":
        from sklearn.ensemble import GradientBoostingRegressor

        return GradientBoostingRegressor(random_state=seed)
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), Ridge(alpha=1.0))


def trial(X: np.ndarray, y: np.ndarray, n: int, seed: int, model: str) -> tuple[float, float, float, int]:
    """One (train size, seed): Spearman, Kendall, precision@top-5% on the held-out rest, and k."""
    rng = np.random.default_rng([seed, n])
    train = rng.choice(len(y), size=n, replace=False)
    test = np.setdiff1d(np.arange(len(y)), train)
    m = _model(model, seed).fit(X[train], y[train])
    pred = m.predict(X[test])
    truth = y[test]
    k = max(1, int(round(TOP_FRACTION * len(test))))
    top_true = set(np.argsort(-truth, kind="stable")[:k])
    top_pred = np.argsort(-pred, kind="stable")[:k]
    precision = sum(int(i in top_true) for i in top_pred) / k
    rho = stats.spearmanr(pred, truth).statistic
    tau = stats.kendalltau(pred, truth).statistic
    return float(np.nan_to_num(rho)), float(np.nan_to_num(tau)), precision, k


def _interval(v: np.ndarray) -> tuple[float, float, float]:
    mean = float(v.mean())
    half = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return mean, mean - half, mean + half


def _units(s: Settings) -> list[tuple[int, int]]:
    """Every (train size, seed) of a run, in the order their staged parts are numbered."""
    return [(n, seed) for n in s.train_sizes for seed in range(s.seeds)]


def _data_digest(X: np.ndarray, y: np.ndarray, names: list[str]) -> str:
    """What the trials read: staged parts of a run count only while these bytes stay the same."""
    h = hashlib.sha256(json.dumps(names).encode())
    for a in (X, y):
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    return h.hexdigest()


def staged_trials(X: np.ndarray, y: np.ndarray, names: list[str], s: Settings,
                  progress: bool = True) -> tuple[pl.DataFrame, int, Path]:
    """Every (train size, seed) trial, each staged as a checksummed part (the harness's staging) as soon
    as it is done; a rerun of the same settings on the same data reuses the verified parts of an
    interrupted attempt. Returns one row per unit, how many units were resumed and the staging folder."""
    from tqdm import tqdm

    from nasdb import config
    from nasdb.proxies.harness import staging

    key = hashlib.sha256(f"{s.run_id()}:{_data_digest(X, y, names)}".encode()).hexdigest()
    folder = staging.run_dir(config.cache_dir(), f"predict-{key}")
    # the claim is held while fitting and reading the parts back (`runs prune` keeps the folder), and
    # released on any exit
    with staging.start(folder, key, {"settings": asdict(s)}):
        units = _units(s)
        parts = {i: staging.verified(folder, key, i, f"{n}:{seed}") for i, (n, seed) in enumerate(units)}
        resumed = sum(p is not None for p in parts.values())
        bar = tqdm(total=len(units), initial=resumed, unit="fit", disable=not progress,
                   desc=f"predict {s.bench}/{s.dataset} {'+'.join(s.features)} {s.model}")
        for i, (n, seed) in enumerate(units):
            if parts[i] is None:
                started = time.perf_counter()
                rho, tau, precision, k = trial(X, y, n, seed, s.model)
                row = pl.DataFrame({"train_size": [n], "seed": [seed], "spearman": [rho], "kendall": [tau],
                                    "precision": [precision], "top_k": [k]})
                parts[i] = staging.write_part(folder, key, i, f"{n}:{seed}", row, time.perf_counter() - started)
                bar.update(1)
        bar.close()
        return pl.concat([pl.read_parquet(parts[i].path) for i in range(len(units))]), resumed, folder


def summarise(trials: pl.DataFrame, s: Settings, n_population: int) -> pl.DataFrame:
    """Per train size: means over seeds with 95% t-intervals, and the per-seed Spearman values in seed order."""
    out = []
    for n in s.train_sizes:
        r = trials.filter(pl.col("train_size") == n).sort("seed")
        sp, kd, pr = (_interval(r[c].to_numpy()) for c in ("spearman", "kendall", "precision"))
        out.append({"train_size": n, "n_test": n_population - n, "spearman": sp[0], "spearman_lo": sp[1],
                    "spearman_hi": sp[2], "kendall": kd[0], "kendall_lo": kd[1], "kendall_hi": kd[2],
                    "top_k": int(r["top_k"][0]), "precision": pr[0], "precision_lo": pr[1], "precision_hi": pr[2],
                    "per_seed_spearman": r["spearman"].to_list()})
    return pl.DataFrame(out)


def run(db, s: Settings, progress: bool = True) -> tuple[pl.DataFrame, int]:
    """Read the features (database opened read-only, then closed), run the staged trials, store the
    summary in one short transaction (replacing the same scope). Returns it and the resumed units."""
    from nasdb import dbfile
    from nasdb.proxies.harness.run import code_version

    check(s)
    con = store.connect(db, read_only=True)
    try:
        X, y, names, task = dataset_matrix(con, s)
    finally:
        con.close()
    trials, resumed, folder = staged_trials(X, y, names, s, progress)
    t = task.target
    frame = summarise(trials, s, len(y)).with_columns(
        run_id=pl.lit(s.run_id()), bench=pl.lit(s.bench), dataset=pl.lit(s.dataset),
        target=pl.lit(f"{t.split}/{t.metric}@{t.epochs}"), gt_source=pl.lit(t.gt_source),
        features=pl.lit("+".join(s.features)), population=pl.lit(s.population),
        n_features=pl.lit(len(names), pl.Int32), model=pl.lit(s.model),
        n_seeds=pl.lit(s.seeds, pl.Int32),
        settings=pl.lit(json.dumps(asdict(s) | {"feature_names": names, "n_population": len(y)})),
        code_version=pl.lit(code_version()))
    with dbfile.writing(db) as con, store.transaction(con):
        con.execute(DDL)
        con.execute("DELETE FROM predictor_results WHERE bench = ? AND dataset = ? AND features = ? AND model = ? "
                    "AND population = ? AND target = ? AND gt_source = ?",
                    [s.bench, s.dataset, "+".join(s.features), s.model, s.population, f"{t.split}/{t.metric}@{t.epochs}",
                     t.gt_source])
        con.register("_predictor_rows", frame)
        try:
            con.execute("INSERT INTO predictor_results BY NAME SELECT *, now() AS created_at FROM _predictor_rows")
        finally:
            con.unregister("_predictor_rows")
    shutil.rmtree(folder, ignore_errors=True)  # stored: a rerun computes afresh (and must give the same numbers)
    return frame, resumed
