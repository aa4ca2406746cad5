"""nasdb: NAS benchmark ground truth, graph proxies and their evaluation in one DuckDB database.

    import nasdb
    con = nasdb.connect()                         # read-only, data/nasdb.duckdb or $NASDB_DB
    nasdb.lookup("nb201", 1)                      # by official index
    nasdb.lookup("nb201", "|nor_conv_3x3~0|+...") # by the benchmark's own string
    nasdb.query("SELECT * FROM ground_truth LIMIT 5")
    nasdb.network("nb201", 1, "cifar100", seed=0)  # the torch network the benchmark trained
    nasdb.convert("nb201", "(2, 2, 0, 4, 2, 0)", to="official")  # official / naslib / index / hash / spec
"""
from __future__ import annotations

__version__ = "0.1.0"

from nasdb.api import arch_id, arch_key, archs, connect, convert, ground_truth, lookup, query  # noqa: E402

__all__ = ["connect", "archs", "lookup", "arch_id", "arch_key", "convert", "ground_truth", "query", "score",
           "network", "import_proxy", "evaluate_values", "__version__"]
# Evaluation lives in the subpackage: nasdb.evaluate.evaluate(con, Filters(...), Settings(...)).


def score(*args, **kwargs):
    """Score one architecture with a proxy; see :func:`nasdb.proxies.api.score` (imported lazily: torch is heavy)."""
    from nasdb.proxies.api import score as _score

    return _score(*args, **kwargs)



def network(bench: str, arch: object, dataset: str | None = None, seed: int | None = None, device=None):
    """The network ``bench`` trained for ``arch`` (any encoding its space accepts, or an official index)
    on ``dataset`` (None: the space's default), as a ``torch.nn.Module`` with BatchNorm and torch's
    default initialisation, seeded by ``seed``, on ``device`` (CPU when None)."""
    from nasdb import spaces
    from nasdb.errors import NasdbError

    space = spaces.get(bench)
    if space.network is None:
        raise NasdbError(f"{bench} has no network builder yet")
    return space.network(spaces.spec_of(bench, arch), dataset, seed=seed, device=device)


def import_proxy(values, name: str, bench: str, **kwargs):
    """Store your own proxy's values (a file path or a DataFrame) as source ``user:<label>``; see
    :func:`nasdb.proxies.user_import.import_proxy` (every row must be placed, else nothing is written)."""
    from nasdb.proxies.user_import import import_proxy as _import

    return _import(values, name, bench, **kwargs)


def evaluate_values(values, bench: str, dataset: str | None = None, **kwargs):
    """Evaluate values in memory or in a file like ``nasdb eval`` does, writing nothing; see
    :func:`nasdb.evaluate.user.evaluate_values` (returns DataFrames: correlations, topk, ..., rank)."""
    from nasdb.evaluate.user import evaluate_values as _evaluate

    return _evaluate(values, bench, dataset, **kwargs)
