"""nasdb's own proxies: name -> how each is computed, with which settings, and its provenance record.

All proxies here come from one NASGraph graph per architecture (``nasdb.proxies.nasgraph``); each
graph measure is its own proxy name (definitions in ``nasgraph/measures.py``):
nasgraph_avg_degree (THE NASGraph proxy), nasgraph_edges, nasgraph_nodes, nasgraph_density,
nasgraph_degree_entropy, nasgraph_gini, nasgraph_resilience, nasgraph_wedges.

Rows in ``proxies`` (source = 'nasdb'), and the ``dataset`` convention:

* ``nb201``: the graph does not depend on data, but to make joins with ``ground_truth`` trivial the
  same value is written once per NB201 dataset name: ``cifar10-valid``, ``cifar10``, ``cifar100``,
  ``ImageNet16-120`` (so ``JOIN ... USING (bench, arch_id, dataset)`` works for each).
* ``nb101``: data-free too, one row per cell with ``dataset`` = ``cifar10`` (NB101's only dataset);
  ``arch_id`` = position in sorted module-hash order, as in ``archs``.
* ``tnb101_micro`` / ``tnb101_macro``: the surrogate includes the task's decoder head, so the graph
  is per task and ``dataset`` = the task name (class_scene, class_object, room_layout, jigsaw,
  segmentsemantic, normal, autoencoder), as in ``ground_truth``. ``arch_id`` = the official API index.
  Tasks with the same decoder head have the same graph and so the same values: class_scene,
  class_object, room_layout and jigsaw (pooling head); normal and autoencoder (generative decoder).

``value`` is NULL (with the reason in ``note``) when a measure is undefined for a graph.
Runs go through the scoring harness (``nasgraph/family.py``): each has one ``proxy_runs`` row (proxy =
'nasgraph', settings JSON with the mode, seed, sample and surrogate parameters) and its values in
``proxy_values``; ``proxies`` shows the current run's. Reference-mode and sample runs never displace a
full fast run (rules in ``nasdb.runs``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nasdb import spaces
from nasdb.errors import NasdbError
from nasdb.proxies.nasgraph.measures import NAMES

FAMILY = "nasgraph"
PROXIES = NAMES
MODES = ("fast", "reference")


@dataclass(frozen=True)
class Bench:
    """How a benchmark's architectures become surrogates, and which dataset names rows carry."""

    name: str
    datasets: tuple[str, ...]
    graph_of: Callable[[str], str]  # dataset -> which graph it uses (datasets sharing one share values)
    surrogate: Callable              # (arch_key, dataset) -> Surrogate
    surrogate_settings: dict
    # fast mode without one Surrogate per arch: (arch_keys, dataset, BlockCache) -> measure arrays
    bulk: Callable | None = None
    # archs column(s) to cut chunks in: archs sharing a wiring should sit together (fast mode groups them)
    chunk_order: str = "arch_id"

    @property
    def per_dataset(self) -> bool:
        """Whether the graph (so the proxy) depends on the dataset/task at all."""
        return len({self.graph_of(d) for d in self.datasets}) > 1


def _bench(space) -> Bench:
    """The NASGraph view of a space: its arch_keys are parsed by the space, its bulk groups assembled here."""
    bulk = None
    if space.bulk is not None:
        def bulk(arch_keys: list[str], dataset: str, cache, _groups=space.bulk):
            from nasdb.proxies.nasgraph import fast

            return fast.measures_of_groups(_groups(arch_keys, dataset), len(arch_keys), cache)
    return Bench(space.bench, space.datasets, space.graph_of,
                 lambda arch_key, dataset: space.surrogate(space.parse(arch_key), dataset),
                 dict(space.surrogate_settings), bulk=bulk, chunk_order=space.chunk_order)


def _benches() -> dict[str, Bench]:
    return {space.bench: _bench(space) for space in spaces.all_spaces() if space.surrogate is not None}


def bench_names() -> tuple[str, ...]:
    """Every benchmark NASGraph can be asked to score: every space with a surrogate (discovered when first
    asked; a space without one, such as NDS's ImageNet and ResNet-like sweeps, has nothing to probe)."""
    return tuple(_benches())


def held_benches(con) -> list[str]:
    """The benchmarks with architectures in the database (what ``all`` scores), in registry order."""
    held = {b for (b,) in con.execute("SELECT DISTINCT bench FROM archs").fetchall()}
    return [b for b in bench_names() if b in held]


def bench(name: str) -> Bench:
    benches = _benches()
    if name not in benches:
        raise NasdbError(f"NASGraph cannot score benchmark {name!r}; expected one of {', '.join(benches)}")
    return benches[name]


def check_proxy(name: str) -> str:
    if name not in PROXIES:
        raise NasdbError(f"unknown proxy {name!r}; nasdb computes: {', '.join(PROXIES)}")
    return name


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise NasdbError(f"unknown NASGraph mode {mode!r}; expected one of {', '.join(MODES)}")
    return mode


def settings(bench_name: str, mode: str, seed: int, sample: int | None) -> dict:
    """Everything that determines a run's values (the proxy_runs.settings JSON)."""
    b = bench(bench_name)
    return {
        "family": FAMILY, "proxies": list(PROXIES), "bench": bench_name, "mode": check_mode(mode),
        "seed": seed, "sample": sample, "datasets": list(b.datasets),
        "graph_of_dataset": {d: b.graph_of(d) for d in b.datasets},
        "surrogate": b.surrogate_settings,
        "weights": ("N(0,1), no biases, seeded per block (position, kind, shapes)" if mode == "fast"
                    else "N(0,1), no biases, fresh per architecture (generator seeded by seed, arch_id, dataset)"),
        "graph": "directed; edge iff one-hot probe output summed over pixels != 0; ReLU after conv blocks",
    }
