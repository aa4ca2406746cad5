"""Counts and provenance of a database, shared by `nasdb info`, `nasdb build` and the app."""
from __future__ import annotations

import duckdb
import polars as pl

from nasdb import store

COUNTS_SQL = """
WITH a AS (SELECT bench, count(*) AS archs FROM archs GROUP BY bench),
     g AS (SELECT bench, count(*) AS ground_truth_rows, count(DISTINCT dataset) AS datasets
           FROM ground_truth GROUP BY bench),
     c AS (SELECT bench, count(*) AS cost_rows FROM costs GROUP BY bench),
     p AS (SELECT bench,
                  count(*) FILTER (WHERE source = 'nasdb') AS nasdb_proxy_rows,
                  count(*) FILTER (WHERE source LIKE 'peer:%') AS peer_proxy_rows,
                  count(*) FILTER (WHERE source <> 'nasdb' AND source NOT LIKE 'peer:%') AS other_proxy_rows,
                  count(DISTINCT proxy) AS proxies
           FROM proxies GROUP BY bench)
SELECT b.bench, b.n_archs, coalesce(a.archs, 0) AS archs, coalesce(g.datasets, 0) AS datasets,
       coalesce(g.ground_truth_rows, 0) AS ground_truth_rows, coalesce(c.cost_rows, 0) AS cost_rows,
       coalesce(p.proxies, 0) AS proxies, coalesce(p.nasdb_proxy_rows, 0) AS nasdb_proxy_rows,
       coalesce(p.peer_proxy_rows, 0) AS peer_proxy_rows, coalesce(p.other_proxy_rows, 0) AS other_proxy_rows
FROM benchmarks b LEFT JOIN a USING (bench) LEFT JOIN g USING (bench) LEFT JOIN c USING (bench)
LEFT JOIN p USING (bench)
ORDER BY b.bench
"""


def counts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per benchmark: archs, datasets, ground-truth / cost / proxy rows.

    Proxy rows are counted by who made them: nasdb's own (source 'nasdb'), peers' published values
    ('peer:<publisher>'), and any other source (rows a user inserted or imported under their own name).
    """
    return store.frame(con, COUNTS_SQL)


def provenance(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every ingested source file with its origin, checksum, license and when it was ingested."""
    return store.frame(con, 
        "SELECT path, license, sha256, origin_url, ingested_by, ingested_at FROM sources ORDER BY path")


def runs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return store.frame(con, 
        "SELECT run_id, proxy, bench, status, n_archs, round(seconds, 2) AS seconds, code_version, started_at "
        "FROM proxy_runs ORDER BY started_at")


def meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT key, value FROM meta ORDER BY key").fetchall())


HEADLINE_SQL = """
SELECT c.bench, c.dataset, c.split || ' ' || c.metric AS ground_truth, c.n,
       printf('%.3f [%.3f, %.3f]', c.spearman, c.spearman_lo, c.spearman_hi) AS "nasgraph spearman [95% CI]",
       round(c.kendall, 3) AS kendall,
       (SELECT b.proxy || printf(' %.3f', b.spearman) FROM correlations b
        WHERE b.bench = c.bench AND b.dataset = c.dataset AND b.split = c.split AND b.metric = c.metric
          AND b.gt_source = c.gt_source AND b.population = c.population AND b.proxy_source <> 'nasdb'
          AND b.spearman IS NOT NULL
        ORDER BY b.spearman DESC LIMIT 1) AS "best other proxy (own archs)"
FROM correlations c
WHERE c.proxy = 'nasgraph_avg_degree' AND c.population = 'all' AND c.split IN ('test', 'valid')
QUALIFY row_number() OVER (PARTITION BY c.bench, c.dataset ORDER BY c.split = 'test' DESC) = 1
ORDER BY c.bench, c.dataset
"""


def headline(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """NASGraph's rank correlation with ground truth per benchmark/dataset (test split, else valid: NB101's
    mirrored data has only validation accuracy), next to the best other proxy."""
    if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'correlations'"
                       ).fetchone()[0]:
        return pl.DataFrame()
    return store.frame(con, HEADLINE_SQL)
