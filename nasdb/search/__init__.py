"""Search replay on the tabular benchmarks: NAS algorithms run against the stored ground truth.

``replay(table, space, algo, budget, seeds)`` runs one algorithm per seed (a query = a lookup of the
validation value), ``results.write`` stores the run, its per-seed trials and its best-so-far curves.
Algorithms are small modules with ``run(problem, **settings)`` and their ``DEFAULTS``.
"""
from __future__ import annotations

from nasdb.search import autoshrink, evolution, local, random_search

# name -> (run function, default settings, needs a proxy)
ALGORITHMS = {
    "random": (random_search.run, random_search.DEFAULTS, False),
    "re": (evolution.run, evolution.DEFAULTS, False),
    "local": (local.run, local.DEFAULTS, False),
    "autoshrink": (autoshrink.run, autoshrink.DEFAULTS, False),
    "zc-warmstart": (evolution.run_warm, {**evolution.DEFAULTS, "warm_start": 3000}, True),
}
