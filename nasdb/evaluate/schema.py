"""SQL tables of evaluation results: one row per (target, proxy, population, setting), each tied to its run.

Every result row names the ground-truth target (bench, dataset, split, metric, epochs, gt_source), the
proxy (proxy, proxy_source and the proxy_dataset whose rows were paired with the target), the
population, the arch set ('own' = every arch the proxy has a finite value for; 'common' = only archs
that all proxies of the run share), the run (eval_runs.run_id) and its settings as JSON, and the proxy
runs it read (``proxy_run_id``, ``inputs``) with ``stale`` set once one of them stops being current. Columns are
commented so that the export README can describe them.
"""
from __future__ import annotations

import functools

import duckdb

_TARGET = """
    run_id          VARCHAR NOT NULL,  -- eval_runs.run_id that wrote this row
    bench           VARCHAR NOT NULL,  -- benchmark, as in archs.bench
    dataset         VARCHAR NOT NULL,  -- ground-truth dataset or task
    split           VARCHAR NOT NULL,  -- ground-truth split (train / valid / test)
    metric          VARCHAR NOT NULL,  -- ground-truth metric (accuracy, loss, ...)
    epochs          INTEGER,           -- ground-truth training budget
    gt_source       VARCHAR NOT NULL,  -- ground_truth.source of the target values
    higher_is_better BOOLEAN NOT NULL, -- metric direction; results are oriented so that larger = better architecture
    proxy           VARCHAR NOT NULL,  -- proxy name (proxies.proxy, or a baseline such as n_conv)
    proxy_source    VARCHAR NOT NULL,  -- proxies.source (nasdb, peer:<publisher>, baseline:archs)
    proxy_dataset   VARCHAR NOT NULL,  -- proxies.dataset of the paired rows ('' = valid for every dataset)
    population      VARCHAR NOT NULL,  -- all / unique / non_degenerate / sample:N:seed
    arch_set        VARCHAR NOT NULL,  -- own (the proxy's own coverage) or common (archs all proxies of the run share)
    proxy_run_id    VARCHAR,           -- proxies.run_id of the values used (proxy_runs or a peer ingest)
    inputs          VARCHAR[],         -- proxy@source#run_id of every proxy the row depends on (several for common)
    stale           BOOLEAN,           -- true once an input is no longer current (see nasdb.runs); re-run eval"""

DDL = f"""
CREATE TABLE IF NOT EXISTS eval_runs (
    run_id       VARCHAR PRIMARY KEY,  -- eval-<UTC time>-<random hex>
    started_at   TIMESTAMP,            -- when the run started (UTC)
    seconds      DOUBLE,               -- wall time of the run
    settings     JSON,                 -- filters, bootstrap, seed, trials, k values, N values, rules
    code_version VARCHAR,              -- nasdb version + hash of the evaluation code
    n_rows       BIGINT,               -- result rows written (all tables)
    status       VARCHAR               -- complete (a failed run writes nothing)
);
CREATE TABLE IF NOT EXISTS correlations ({_TARGET}
    n_population    BIGINT,            -- archs of the population with a finite ground-truth value
    n               BIGINT,            -- archs used: finite ground truth and finite proxy value
    n_missing       BIGINT,            -- population archs without a proxy row
    n_null          BIGINT,            -- proxy rows with value NULL (dropped, never ranked)
    n_nan           BIGINT,            -- proxy rows with value NaN (dropped, never ranked)
    n_inf           BIGINT,            -- proxy rows with value +-inf (dropped, never ranked)
    spearman        DOUBLE,            -- Spearman rho of proxy vs oriented ground truth (scipy.stats.spearmanr)
    spearman_p      DOUBLE,            -- its two-sided p-value
    spearman_lo     DOUBLE,            -- bootstrap 95% percentile interval, lower end
    spearman_hi     DOUBLE,            -- bootstrap 95% percentile interval, upper end
    kendall         DOUBLE,            -- Kendall tau-b (scipy.stats.kendalltau)
    kendall_p       DOUBLE,            -- its two-sided p-value
    kendall_lo      DOUBLE,            -- bootstrap 95% percentile interval, lower end
    kendall_hi      DOUBLE,            -- bootstrap 95% percentile interval, upper end
    bootstrap       INTEGER,           -- number of bootstrap resamples (0 = no interval)
    seed            BIGINT,            -- bootstrap seed
    note            VARCHAR,           -- why a value is NULL (too few archs, constant proxy)
    settings        JSON               -- everything needed to reproduce the row
);
CREATE TABLE IF NOT EXISTS topk ({_TARGET}
    k_spec          VARCHAR NOT NULL,  -- '10', '50', '100' (count) or '1%', '5%', '10%' (of n)
    k               BIGINT,            -- the number of archs taken
    n               BIGINT,            -- archs ranked (finite proxy and ground truth)
    precision_at_k  DOUBLE,            -- |proxy top-k and true top-k| / k, expectation over random tie-breaks
    best_true       DOUBLE,            -- best ground-truth value (metric units) among the proxy's top-k, expected
    mean_true       DOUBLE,            -- mean ground-truth value among the proxy's top-k, expected
    best_percentile DOUBLE,            -- population percentile (100 = best arch) of that best pick, expected
    ndcg_at_k       DOUBLE,            -- nDCG@k, gain = ground-truth percentile (0-1], log2 discount, ties averaged
    note            VARCHAR,           -- why values are NULL (k larger than n)
    settings        JSON
);
CREATE TABLE IF NOT EXISTS search_sim ({_TARGET}
    n_sample        INTEGER NOT NULL,  -- N: random archs drawn per trial (without replacement)
    trials          INTEGER,           -- seeded trials
    n               BIGINT,            -- archs drawn from (finite proxy and ground truth)
    mean_true       DOUBLE,            -- mean ground-truth value of the proxy's pick (its argmax in the sample)
    std_true        DOUBLE,            -- its standard deviation over trials
    mean_regret     DOUBLE,            -- mean |sample best - pick| in metric units
    std_regret      DOUBLE,            -- its standard deviation over trials
    p_best          DOUBLE,            -- fraction of trials whose pick is the sample's best
    mean_oracle     DOUBLE,            -- mean ground-truth value of the sample's best (the ceiling)
    seed            BIGINT,            -- seed of the samples (the same samples for every proxy of equal n)
    note            VARCHAR,           -- why values are NULL (N larger than n)
    settings        JSON
);
CREATE TABLE IF NOT EXISTS bias ({_TARGET}
    kind            VARCHAR NOT NULL,  -- cost (proxy vs size) / stratum (vs ground truth at one n_conv) / strata_mean
    against         VARCHAR NOT NULL,  -- n_conv, params, flops (kind cost) or the ground-truth metric (stratum kinds)
    stratum         INTEGER,           -- n_conv value of the stratum (kind stratum), else NULL
    n               BIGINT,            -- archs used
    spearman        DOUBLE,            -- Spearman rho
    kendall         DOUBLE,            -- Kendall tau-b
    note            VARCHAR,
    settings        JSON
);
"""

TABLES = ("eval_runs", "correlations", "topk", "search_sim", "bias")
RESULT_TABLES = TABLES[1:]
KEY = ("bench", "dataset", "split", "metric", "epochs", "gt_source", "proxy", "proxy_source", "population",
       "arch_set")


@functools.lru_cache(maxsize=None)
def columns(table: str) -> tuple[str, ...]:
    """Column names of a result table in DDL order (an in-memory database: no file needed)."""
    con = duckdb.connect()
    try:
        con.execute(DDL)
        return tuple(r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                               "WHERE table_name = ? ORDER BY ordinal_position", [table]).fetchall())
    finally:
        con.close()


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    """Create the evaluation tables if they are missing, add columns older databases lack (idempotent)."""
    con.execute(DDL)
    con.execute("ALTER TABLE topk ADD COLUMN IF NOT EXISTS ndcg_at_k DOUBLE")  # databases evaluated before nDCG
    for table in RESULT_TABLES:
        for column, kind in (("proxy_run_id", "VARCHAR"), ("inputs", "VARCHAR[]"), ("stale", "BOOLEAN")):
            con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")
