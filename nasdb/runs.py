"""Immutable proxy runs: every run's values kept, one current run per proxy, results that know their inputs.

Rules (the README's "Runs" section says the same):

* A run's values go to the history once, when the run is complete, and are never changed by
  another run (stored compactly in ``run_values``/``run_notes`` under the run's number and a code per
  (dataset, proxy) in ``value_series``; the ``proxy_values`` view shows them with names).
  ``current_runs`` points, per (bench, proxy, source), at the run ``proxies`` shows.
* A complete run becomes current for its proxies in the transaction that stores it, unless the current
  run is *full* and the new one is not: a sample, an id list or a reference-mode run never displaces a
  full-space run (``scope`` in ``proxy_runs``). It stays queryable in ``proxy_values`` by its run_id,
  and ``nasdb runs use RUN_ID`` makes it current on purpose. :func:`retire` (``nasdb proxy remove``)
  drops a pointer and nothing else: the proxy stops showing, its runs stay.
* Evaluation rows record their inputs (``inputs``: ``proxy@source#run_id`` of every proxy used and
  ``ground_truth@source#version`` of the ground truth, its ingest job and the digest of that job's files);
  whenever a pointer moves (a run, ``runs use``, a re-ingest of peer values or of ground truth whose
  files changed) rows whose inputs are no longer all current get ``stale = true`` in the same
  transaction. ``nasdb build`` re-evaluates stale rows at its end, so a build never leaves any.
"""
from __future__ import annotations

import duckdb
import polars as pl

from nasdb import store
from nasdb.errors import NasdbError

RANK = {"full": 2, "partial": 1}

# every input a result row may name, as it reads today: own current runs, peer ingests, ground-truth ingests
CURRENT_INPUTS = """
SELECT bench, proxy || '@' || source || '#' || run_id AS input FROM current_runs
UNION SELECT DISTINCT bench, proxy || '@' || source || '#' || coalesce(run_id, '') FROM peer_proxies
UNION SELECT bench, 'ground_truth@' || source || '#' || version FROM ground_truth_versions
"""


def input_key(proxy: str, source: str, run_id: str | None) -> str:
    return f"{proxy}@{source}#{run_id or ''}"


def ground_truth_input(con: duckdb.DuckDBPyConnection, bench: str, source: str) -> str | None:
    """``ground_truth@source#version`` of the ground truth an ingest job wrote (None for ground truth written
    otherwise, e.g. by hand: nothing to compare it with later)."""
    row = con.execute("SELECT version FROM ground_truth_versions WHERE bench = ? AND source = ?",
                      [bench, source]).fetchall()
    return input_key("ground_truth", source, row[0][0]) if row else None


def promote(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """Inside the storing transaction: point each proxy of the run at it unless that would displace a full run
    by a partial one; mark results stale. Returns the proxies the run became current for."""
    bench, source, scope, proxies = con.execute(
        "SELECT bench, source, scope, proxies FROM proxy_runs WHERE run_id = ?", [run_id]).fetchone()
    now_current = []
    for proxy in proxies:
        cur = con.execute("SELECT r.scope FROM current_runs c JOIN proxy_runs r USING (run_id) "
                          "WHERE c.bench = ? AND c.proxy = ? AND c.source = ?", [bench, proxy, source]).fetchall()
        if cur and RANK.get(cur[0][0], 0) > RANK[scope]:
            continue
        _point(con, bench, proxy, source, run_id)
        now_current.append(proxy)
    mark_stale(con)
    return now_current


def _point(con: duckdb.DuckDBPyConnection, bench: str, proxy: str, source: str, run_id: str) -> None:
    con.execute("INSERT OR REPLACE INTO current_runs VALUES (?, ?, ?, ?, now())", [bench, proxy, source, run_id])


def result_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Evaluation tables present in this database that carry inputs."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT table_name FROM information_schema.columns WHERE column_name = 'inputs' "
        "AND table_name IN ('correlations', 'topk', 'search_sim', 'bias') ORDER BY 1").fetchall()]


def mark_stale(con: duckdb.DuckDBPyConnection) -> int:
    """Flag result rows whose inputs are not all current any more (rows without recorded inputs too)."""
    n = 0
    for table in result_tables(con):
        n += con.execute(
            f"UPDATE {table} t SET stale = true WHERE NOT coalesce(t.stale, false) AND (t.inputs IS NULL OR NOT "
            f"list_has_all((SELECT coalesce(list(ci.input), []) FROM ({CURRENT_INPUTS}) ci WHERE ci.bench = t.bench), "
            "t.inputs))").fetchone()[0]
    return n


def run_row(con: duckdb.DuckDBPyConnection, run_id: str) -> dict:
    rows = store.frame(con, "SELECT * FROM proxy_runs WHERE run_id = ?", [run_id])
    if rows.height == 0:
        known = [r[0] for r in con.execute("SELECT run_id FROM proxy_runs ORDER BY started_at DESC LIMIT 5").fetchall()]
        raise NasdbError(f"no proxy run {run_id!r} in this database (latest: {', '.join(known) or 'none'}; "
                         "`nasdb runs list` shows all)")
    return rows.row(0, named=True)


def listing(con: duckdb.DuckDBPyConnection, bench: str | None = None) -> pl.DataFrame:
    """One row per run: what it computed, its scope and whether (for which proxies) it is current."""
    where, params = ("WHERE r.bench = ?", [bench]) if bench else ("", [])
    return store.frame(con, f"""
        SELECT r.run_id, r.proxy AS family, r.bench, r.source, r.status, r.scope, r.n_archs, r.n_rows,
               round(r.seconds, 1) AS seconds, round(r.merge_seconds, 2) AS merge_s,
               coalesce(len(r.resumed_chunks), 0) AS resumed, count(c.proxy) AS current_for, r.finished_at
        FROM proxy_runs r LEFT JOIN current_runs c USING (run_id) {where}
        GROUP BY ALL ORDER BY r.finished_at NULLS FIRST, r.run_id""", params)


def use(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """Make a complete run current for every proxy it computed (an explicit choice: scope is not checked)."""
    r = run_row(con, run_id)
    if r["status"] != "complete":
        raise NasdbError(f"run {run_id} is {r['status']}: its values are gone; score again to get them back")
    with store.transaction(con):
        for proxy in r["proxies"]:
            _point(con, r["bench"], proxy, r["source"], run_id)
        mark_stale(con)
    return list(r["proxies"])


def retire(con: duckdb.DuckDBPyConnection, bench: str, proxy: str, source: str) -> str:
    """Stop showing a proxy: drop its current pointer (the run and its values stay, as every run's do;
    ``runs use RUN_ID`` brings it back, ``runs prune`` then deletes its values). Returns the retired run."""
    row = con.execute("SELECT run_id FROM current_runs WHERE bench = ? AND proxy = ? AND source = ?",
                      [bench, proxy, source]).fetchone()
    if row is None:
        raise NasdbError(f"no current {bench} proxy {proxy!r} from source {source!r}")
    with store.transaction(con):
        con.execute("DELETE FROM current_runs WHERE bench = ? AND proxy = ? AND source = ?", [bench, proxy, source])
        mark_stale(con)
    return row[0]


def prune(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Delete the values of runs that are current for no proxy (their proxy_runs rows stay, status 'pruned')."""
    with store.transaction(con):
        gone = [r[0] for r in con.execute(
            "SELECT run_id FROM proxy_runs WHERE status = 'complete' "
            "AND run_id NOT IN (SELECT run_id FROM current_runs)").fetchall()]
        numbers = "(SELECT run_no FROM proxy_runs WHERE run_id IN (SELECT unnest(?)))"
        n_rows = con.execute(f"DELETE FROM run_values WHERE run_no IN {numbers}", [gone]).fetchone()[0]
        con.execute(f"DELETE FROM run_notes WHERE run_no IN {numbers}", [gone])
        con.execute("UPDATE proxy_runs SET status = 'pruned' WHERE run_id IN (SELECT unnest(?))", [gone])
    return len(gone), n_rows
