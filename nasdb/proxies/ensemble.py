"""Proxy ensembles: rank aggregations of stored proxies, stored as a proxy of their own.

A member is ``proxy`` or ``proxy@source`` (default source ``nasdb``), with a leading ``-`` to use it
reversed (lower is better). Over the architectures where every member has a finite value:

* ``mean_rank``: mean of the members' ranks, each divided by the population size (so in (0, 1]);
* ``log_rank_sum``: sum of log(rank / n) (AZ-NAS, Lee & Ham, CVPR 2024: an arch must rank well on
  every member, one bad rank costs much);
* ``zscore``: mean of the members' z-scores.
Ranks are ascending average ranks (scipy ``rankdata``): the best value gets rank n.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl
from scipy.stats import rankdata

from nasdb import store
from nasdb.errors import NasdbError
from nasdb.evaluate import pairing

METHODS = ("mean_rank", "log_rank_sum", "zscore")
FAMILY = "ensemble"


@dataclass(frozen=True)
class Member:
    proxy: str
    source: str = "nasdb"
    sign: int = 1

    def __str__(self) -> str:
        text = self.proxy if self.source == "nasdb" else f"{self.proxy}@{self.source}"
        return f"-{text}" if self.sign < 0 else text


def parse_members(text: str) -> list[Member]:
    """'a,-b,c@peer:graf' -> members; a clear error for an empty or repeated member."""
    out = []
    for raw in text.split(","):
        item = raw.strip()
        sign = -1 if item.startswith("-") else 1
        name, _, source = item.lstrip("-+").partition("@")
        if not name:
            raise NasdbError(f"--proxies {text!r}: empty member; expected a comma-separated list like "
                             f"'a,-b,c@peer:graf' ('-' = lower is better, '@source' defaults to nasdb)")
        out.append(Member(name, source or "nasdb", sign))
    keys = [(m.proxy, m.source) for m in out]
    if len(set(keys)) != len(keys):
        raise NasdbError(f"--proxies {text!r}: a proxy appears twice")
    if len(out) < 2:
        raise NasdbError(f"--proxies {text!r}: an ensemble needs at least two members")
    return out


def check_method(method: str) -> str:
    if method not in METHODS:
        raise NasdbError(f"unknown ensemble method {method!r}; expected one of {', '.join(METHODS)}")
    return method


def combine(values: np.ndarray, signs: np.ndarray, method: str) -> np.ndarray:
    """Aggregate a (n_archs, n_members) matrix of finite values (larger = better after ``signs``)."""
    v = values * signs[None, :]
    n = v.shape[0]
    if method == "zscore":
        sd = v.std(axis=0)
        return ((v - v.mean(axis=0)) / np.where(sd > 0, sd, 1.0)).mean(axis=1)
    ranks = rankdata(v, axis=0) / n
    if method == "mean_rank":
        return ranks.mean(axis=1)
    if method == "log_rank_sum":
        return np.log(ranks).sum(axis=1)
    raise NasdbError(f"unknown ensemble method {method!r}; expected one of {', '.join(METHODS)}")


def member_rows(con: duckdb.DuckDBPyConnection, bench: str, members: list[Member],
                require_all: bool = True) -> pl.DataFrame:
    """Current finite rows of the members (arch_id, dataset, proxy, source, value) on ``bench``;
    an error names the members without any finite value (unless ``require_all`` is False)."""
    con.register("_members", pl.DataFrame({"proxy": [m.proxy for m in members],
                                           "source": [m.source for m in members]}))
    try:
        df = store.frame(
            con, "SELECT p.arch_id, p.dataset, p.proxy, p.source, p.value FROM proxies p "
            "SEMI JOIN _members m USING (proxy, source) WHERE p.bench = ? AND isfinite(p.value)",
            [bench])
    finally:
        con.unregister("_members")
    found = set(df.select("proxy", "source").unique().iter_rows())
    absent = [str(m) for m in members if (m.proxy, m.source) not in found]
    if absent and require_all:
        raise NasdbError(f"no {bench} values for ensemble member(s) {', '.join(absent)}; "
                         f"see `nasdb query \"SELECT DISTINCT proxy, source FROM proxies WHERE bench = '{bench}'\"`")
    return df


def matrix(rows: pl.DataFrame, members: list[Member], dataset: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(arch_ids, values (n, m), level) of the archs where every member pairs with ``dataset``.

    Members pair with a dataset as in evaluation (its own rows, else its data domain, else data-free
    rows). ``level`` is '' when every member is data-free (the ensemble is then data-free too).
    """
    paired = pairing.for_dataset(rows, dataset)
    frames, levels = [], []
    for i, m in enumerate(members):
        if (m.proxy, m.source) not in paired:
            raise NasdbError(f"ensemble member {m} has no values that pair with dataset {dataset!r}")
        level, r = paired[(m.proxy, m.source)]
        levels.append(level)
        frames.append(r.rename({"value": f"m{i}"}))
    wide = frames[0]
    for f in frames[1:]:
        wide = wide.join(f, on="arch_id", how="inner")
    wide = wide.sort("arch_id")
    values = wide.select([f"m{i}" for i in range(len(members))]).to_numpy().astype(np.float64)
    return wide["arch_id"].to_numpy(), values, "" if all(lv == "" for lv in levels) else dataset


def datasets_of(con: duckdb.DuckDBPyConnection, bench: str) -> list[str]:
    """The bench's ground-truth datasets (an ensemble is formed per dataset unless all members are data-free)."""
    return [r[0] for r in con.execute("SELECT DISTINCT dataset FROM ground_truth WHERE bench = ? ORDER BY 1",
                                      [bench]).fetchall()]


def ensemble_rows(con: duckdb.DuckDBPyConnection, name: str, bench: str, members: list[Member], method: str,
                  dataset: str | None = None) -> pl.DataFrame:
    """Rows (arch_id, dataset, proxy, value, note) of the ensemble for one dataset or all of them."""
    check_method(method)
    rows = member_rows(con, bench, members)
    signs = np.array([m.sign for m in members], dtype=np.float64)
    out, done = [], set()
    for d in [dataset] if dataset else datasets_of(con, bench) or [""]:
        ids, values, level = matrix(rows, members, d)
        if level in done or not len(ids):
            continue
        done.add(level)
        out.append(pl.DataFrame({"arch_id": ids, "dataset": [level] * len(ids), "proxy": [name] * len(ids),
                                 "value": combine(values, signs, method), "note": [None] * len(ids)},
                                schema_overrides={"note": pl.String, "dataset": pl.String}))
    if not out:
        raise NasdbError(f"ensemble {name}: no {bench} architecture has a value for every member")
    return pl.concat(out)


def settings(bench: str, members: list[Member], method: str, dataset: str | None) -> dict:
    return {"family": FAMILY, "bench": bench, "members": [str(m) for m in members], "method": method,
            "dataset": dataset, "population": "archs where every member has a finite value"}
