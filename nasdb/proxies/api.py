"""Score one architecture from Python: ``score("nb201", "|nor_conv_3x3~0|+...", proxy=...)``.

Re-exported as ``nasdb.score``. Works without a database: the architecture is parsed by its space
(any encoding it accepts) and the surrogate is built from it directly.
"""
from __future__ import annotations

import math

import networkx as nx
import torch

from nasdb import spaces
from nasdb.errors import NasdbError
from nasdb.proxies import registry
from nasdb.proxies.nasgraph import engine, fast, reference

_caches: dict[int, fast.BlockCache] = {}  # fast-mode block matrices, per seed, reused across calls


def score(bench: str, arch: str, proxy: str = "nasgraph_avg_degree", mode: str = "fast",
          return_graph: bool = False, task: str | None = None, seed: int = 0
          ) -> float | None | tuple[float | None, nx.DiGraph]:
    """The value of ``proxy`` for one architecture (None if undefined for its graph).

    ``task`` is required for TransNAS-Bench-101 (the decoder head is part of the graph).
    ``mode="fast"`` uses the deterministic per-block weights of ``nasdb score``, so the value equals
    the stored one; ``"reference"`` draws fresh weights (seeded by ``seed``). ``return_graph`` also
    returns the networkx DiGraph the value was measured on (nodes ``"<block>_<channel>"``).
    """
    registry.check_proxy(proxy)
    registry.check_mode(mode)
    space = spaces.get(bench)
    if space.surrogate is None:
        raise NasdbError(f"{bench} has no NASGraph surrogate (nothing to probe); NASGraph scores "
                         f"{', '.join(registry.bench_names())}")
    if (task is None and space.per_dataset) or (task is not None and task not in space.datasets):
        raise NasdbError(f"{bench} proxies need task= one of {', '.join(space.datasets)} (got {task!r})")
    spec = space.parse(arch)  # exactly the space's architectures, else a named ArchStringError
    arch = space.key(spec)
    s = space.surrogate(spec, task or space.datasets[0])
    if mode == "fast":
        values = engine.compute([s], mode, seed, cache=_caches.setdefault(seed, fast.BlockCache(seed)))
        value = float(values[proxy][0])
        g = reference.graph(s, seed=seed, fresh=False) if return_graph else None
    else:
        g = reference.graph(s, generator=torch.Generator().manual_seed(engine.item_seed(seed, arch, task)))
        value = reference.graph_measures(g)[proxy]
    value = None if math.isnan(value) else value
    return (value, g) if return_graph else value
