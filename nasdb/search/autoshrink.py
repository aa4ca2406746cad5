"""AutoShrink (Zhang et al., AAAI 2020) on a tabular space: start from a dense cell and greedily remove
the edge whose removal scores best, while a removal still improves the score.

Score (the paper's multi-objective reward): ``acc - flops_weight * (log10 FLOPs - 6)`` with ``acc`` the
validation accuracy as a fraction (a table in percent is divided by 100), or, when ``use_proxy`` is set,
the proxy's percentile among the table's archs (0..1) in its place, so that no candidate is trained and
only each shrunk cell's final accuracy is queried. Removing an edge is the space's ``shrinks`` move
(NB201: an edge set to ``none``; NB101: one DAG edge dropped). Dense starts are the table's archs with
the most removable edges; restarts take them in a seeded random order, each once. A candidate without
FLOPs (or proxy value) cannot be scored and is skipped. Only differences of log10 FLOPs between
candidates matter, so the unit of the FLOPs column (FLOPs, MFLOPs, or params as a stand-in) changes no
choice. An arch queried before in the trial is remembered, not trained again.
"""
from __future__ import annotations

import numpy as np

from nasdb.search.problem import Problem
from nasdb.search.table import SearchError

DEFAULTS = {"flops_weight": 0.1, "use_proxy": False}
FLOPS_REF = 6.0  # log10 FLOPs at which the penalty is zero, as in the paper


def percentiles(values: np.ndarray) -> np.ndarray:
    """Rank of each finite value among the finite ones (ties share their average rank), in (0, 1]; NaN stays NaN."""
    from scipy.stats import rankdata

    out = np.full(len(values), np.nan)
    ok = np.isfinite(values)
    out[ok] = rankdata(values[ok]) / ok.sum()
    return out


def run(p: Problem, flops_weight: float = 0.1, use_proxy: bool = False) -> None:
    t = p.table
    if flops_weight and t.flops is None:
        raise SearchError("AutoShrink's FLOPs penalty needs FLOPs for the table (or --flops-weight 0)")
    penalty = (flops_weight * (np.log10(np.where(t.flops > 0, t.flops, np.nan)) - FLOPS_REF)
               if flops_weight else np.zeros(len(t)))
    scale = 100.0 if np.nanmax(np.abs(t.valid)) > 1.0 else 1.0
    stand_in = percentiles(t.proxy) if use_proxy and t.proxy is not None else None
    if use_proxy and stand_in is None:
        raise SearchError("AutoShrink with --proxy needs the proxy's values")
    known: dict[int, float] = {}

    def score(row: int) -> float:
        if not np.isfinite(penalty[row]):
            return np.nan
        if stand_in is not None:
            p.score(row)
            acc = stand_in[row]
        else:
            if row not in known:
                known[row] = p.query(row)
            acc = known[row] / scale
        return acc - penalty[row]

    for cur in p.rng.permutation(p.moves.densest()):  # a path is deterministic: each start once
        cur = int(cur)
        cur_s = score(cur)
        while True:
            scored = [(score(int(c)), int(c)) for c in p.moves.shrinks(cur)]
            scored = [sc for sc in scored if np.isfinite(sc[0])]
            if not scored:
                break
            best_s, best = max(scored, key=lambda sc: sc[0])  # first best in row order on ties
            if np.isfinite(cur_s) and best_s <= cur_s:
                break
            cur, cur_s = best, best_s
        if stand_in is not None and cur not in known:
            known[cur] = p.query(cur)  # the shrunk cell is the one that gets trained
