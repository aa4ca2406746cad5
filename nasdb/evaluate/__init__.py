"""Evaluation: how well each proxy ranks architectures, stored as SQL tables the app and users read.

``evaluate(con, Filters(...), Settings(...))`` fills ``correlations`` (Spearman/Kendall with bootstrap
CIs), ``topk``, ``search_sim`` and ``bias`` (DDL in :mod:`nasdb.evaluate.schema`), one ``eval_runs``
row per run. Pairing of proxy rows with ground truth, and the handling of missing or non-finite
values, is described in :mod:`nasdb.evaluate.pairing`; populations in :mod:`nasdb.evaluate.population`.
"""
from nasdb.evaluate.errors import EvaluationError

__all__ = ["evaluate", "Filters", "Settings", "RunSummary", "EvaluationError"]


def __getattr__(name: str):
    """The runner (scipy, numba) loads on first use, so light submodules such as ``schema`` stay light."""
    if name in ("evaluate", "Filters", "Settings", "RunSummary"):
        from nasdb.evaluate import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'nasdb.evaluate' has no attribute {name!r}")
