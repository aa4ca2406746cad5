"""One entry point for both modes: the graph measures of a list of surrogates.

``fast``: deterministic per-block weights, array assembly (``fast.py``). ``reference``: one
networkx graph per surrogate with fresh N(0, 1) weights from a generator seeded by ``item_seed``
(``reference.py``) — the published recipe, reproducible.
"""
from __future__ import annotations

import hashlib

import numpy as np

from nasdb.proxies.nasgraph import fast, measures
from nasdb.surrogate.blocks import Surrogate


def item_seed(seed: int, *key: object) -> int:
    """Seed of the fresh weights of one item (e.g. arch_id and dataset) in reference mode."""
    return int.from_bytes(hashlib.sha256(repr((seed, *key)).encode()).digest()[:8], "little") >> 1


def compute(surrogates: list[Surrogate], mode: str, seed: int = 0, keys: list[tuple] | None = None,
            cache: fast.BlockCache | None = None) -> dict[str, np.ndarray]:
    """Measures (name -> array, one entry per surrogate). ``keys`` name the items for reference seeds."""
    if mode == "fast":
        return fast.measures_of(surrogates, cache or fast.BlockCache(seed))
    import torch  # reference mode only: fast mode with stored block matrices needs no torch

    from nasdb.proxies.nasgraph import reference

    keys = keys or [(i,) for i in range(len(surrogates))]
    out = {name: np.empty(len(surrogates)) for name in measures.NAMES}
    for i, (s, key) in enumerate(zip(surrogates, keys)):
        g = reference.graph(s, generator=torch.Generator().manual_seed(item_seed(seed, *key)))
        for name, value in reference.graph_measures(g).items():
            out[name][i] = value
    return out
