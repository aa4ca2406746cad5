"""Landscape smoothness: how well the accuracy of an architecture's neighbours predicts its own.

Two neighbourhoods: the space's one-edit moves (``neighbours`` of the Space protocol, what a local
search or an evolution step sees) and the ``k`` most WL-similar cells (what a similarity-based search
such as NASGEM sees). For each architecture with ground truth: its validation value, the mean over
its neighbours that have one, and how many they are. A smooth landscape has a high Spearman rho
between the two; 0 would mean neighbours carry no information.
"""
from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

from nasdb.search.problem import Moves
from nasdb.search.table import Table
from nasdb.similarity.index import Index

DDL = """
CREATE TABLE IF NOT EXISTS landscape (
    bench            VARCHAR NOT NULL,
    dataset          VARCHAR NOT NULL,   -- dataset of the validation values
    arch_id          BIGINT NOT NULL,
    value            DOUBLE,             -- the architecture's validation value
    neighbour_mean   DOUBLE,             -- mean over its one-edit neighbours with a value (NULL: none has one)
    n_neighbours     INTEGER,            -- how many neighbours have a value
    wl_knn_mean      DOUBLE              -- mean over its k most WL-similar other cells
);
CREATE TABLE IF NOT EXISTS landscape_summary (
    bench            VARCHAR NOT NULL,
    dataset          VARCHAR NOT NULL,
    n                BIGINT,             -- archs with at least one neighbour with a value
    spearman_neighbours DOUBLE,          -- Spearman rho(value, neighbour_mean)
    pearson_neighbours  DOUBLE,
    spearman_wl_knn  DOUBLE,             -- Spearman rho(value, wl_knn_mean)
    k                INTEGER,            -- WL neighbours per arch
    mean_neighbours  DOUBLE,             -- average n_neighbours
    settings         JSON,               -- value column source, WL iterations, code version
    computed_at      TIMESTAMP
);
"""


def neighbour_means(t: Table, space) -> tuple[np.ndarray, np.ndarray]:
    moves = Moves(space, t)
    means = np.full(len(t), np.nan)
    counts = np.zeros(len(t), dtype=np.int64)
    for r in range(len(t)):
        nb = moves.neighbours(r)
        if len(nb):
            means[r] = t.valid[nb].mean()
            counts[r] = len(nb)
    return means, counts


def wl_knn_means(t: Table, idx: Index, k: int = 5, chunk: int = 2000) -> np.ndarray:
    """Mean value of each arch's ``k`` most WL-similar other cells (ties broken by index order)."""
    pos = np.array([idx.row.get(key, -1) for key in t.keys])
    m = idx.matrix[pos[pos >= 0]]
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    x = m.multiply(1.0 / norms[:, None]).tocsr()
    values = t.valid[pos >= 0]
    out = np.full(len(t), np.nan)
    where = np.flatnonzero(pos >= 0)
    for s in range(0, x.shape[0], chunk):
        sims = (x[s:s + chunk] @ x.T).toarray()
        sims[np.arange(sims.shape[0]), np.arange(s, s + sims.shape[0])] = -np.inf  # not itself
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        out[where[s:s + chunk]] = values[top].mean(axis=1)
    return out


def smoothness(t: Table, space, idx: Index, k: int = 5) -> tuple[pl.DataFrame, dict]:
    means, counts = neighbour_means(t, space)
    knn = wl_knn_means(t, idx, k)
    rows = pl.DataFrame({"arch_id": t.arch_ids, "value": t.valid, "neighbour_mean": means,
                         "n_neighbours": counts, "wl_knn_mean": knn}).with_columns(
        pl.col("neighbour_mean", "wl_knn_mean").fill_nan(None))
    has = counts > 0
    ok_knn = np.isfinite(knn)
    summary = {
        "n": int(has.sum()),
        "spearman_neighbours": float(stats.spearmanr(t.valid[has], means[has])[0]) if has.sum() > 2 else None,
        "pearson_neighbours": float(stats.pearsonr(t.valid[has], means[has])[0]) if has.sum() > 2 else None,
        "spearman_wl_knn": float(stats.spearmanr(t.valid[ok_knn], knn[ok_knn])[0]) if ok_knn.sum() > 2 else None,
        "k": k, "mean_neighbours": float(counts[has].mean()) if has.any() else 0.0,
    }
    return rows, summary
