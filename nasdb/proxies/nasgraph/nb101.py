"""Fast NASGraph scoring of the whole NB101 space (the surrogate itself is described by the space:
:mod:`nasdb.spaces.nb101_surrogate`, one SlotGroup per pruned matrix)."""
from __future__ import annotations

import numpy as np

from nasdb.proxies.nasgraph import fast
from nasdb.spaces import nb101, nb101_surrogate
from nasdb.spaces.nb101_surrogate import SURROGATE_DEFAULTS, surrogate  # noqa: F401  (re-exported)
from nasdb.surrogate.blocks import Surrogate


def fast_measures(cells, seed: int = 0, progress: bool = True, **surrogate_kw) -> dict[str, np.ndarray]:
    """Every NASGraph measure of every cell of ``cells`` (a ``nb101_enumerate.Cells``), fast mode."""
    return measures_of_cells(cells, fast.BlockCache(seed), progress, **surrogate_kw)


def measures_of_cells(cells, cache: fast.BlockCache, progress: bool = False,
                      **surrogate_kw) -> dict[str, np.ndarray]:
    """Fast-mode measures of ``cells`` (in their order): one degree assembly per pruned matrix."""
    return fast.measures_of_groups(nb101_surrogate.groups(cells, **surrogate_kw), len(cells), cache,
                                   progress, desc="nasgraph nb101 (fast)")


def surrogate_of_key(arch_key: str, dataset: str = "") -> Surrogate:
    """Surrogate of the cell with module hash ``arch_key`` (data-free: ``dataset`` is ignored)."""
    return surrogate(nb101.parse_any(arch_key))
