"""Evaluation: how well each proxy ranks architectures, stored as SQL tables the app and users read.

``evaluate(con, Filters(...), Settings(...))`` fills ``correlations`` (Spearman/Kendall with bootstrap
CIs), ``topk``, ``search_sim`` and ``bias`` (DDL in :mod:`nasdb.evaluate.schema`), one ``eval_runs``
row per run. Pairing of proxy rows with ground truth, and the handling of missing or non-finite
values, is described in :mod:`nasdb.evaluate.pairing`; populations in :mod:`nasdb.evaluate.population`.
"""
from nasdb.evaluate.errors import EvaluationError
from nasdb.evaluate.runner import Filters, RunSummary, Settings, evaluate

__all__ = ["evaluate", "Filters", "Settings", "RunSummary", "EvaluationError"]
