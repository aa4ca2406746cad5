"""The ``plugin`` family: a user's function scored over a benchmark by the one scoring harness.

``nasdb score plugin MODULE:FUNCTION --bench B --name NAME --needs arch|graph|network`` calls, per
architecture, ``FUNCTION(arch_key, spec)`` (``arch``: the canonical key and the space's decoded spec),
``FUNCTION(graph)`` (``graph``: the NASGraph networkx DiGraph of ``nasdb.score(..., return_graph=True)``,
one per distinct graph of the benchmark's datasets) or ``FUNCTION(network, batch)`` (``network``: the
torch network the benchmark trained and a data batch ``batch.x``/``batch.y`` of ``--data`` and
``--batch-size``, exactly as the zc family builds them: ``nasdb.proxies.zc.family.network_and_batch``).
It returns a float, larger = better architecture unless the run says ``lower_is_better``. An exception
or a non-finite result stores NULL with the reason in ``note``.

The run records the module, the function, the sha256 of the function's source and of its module's file,
``needs``, data and seed (all in the run key: editing the function makes a new run, not a resumed one).
Installed packages register proxies in the entry-point group ``nasdb.proxies`` (``name = "module:function"``;
the function may carry ``needs = "graph"`` and ``lower_is_better = True`` attributes); they appear in
``nasdb score`` under their entry-point name, stored as source ``user:<distribution>``.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import math
from collections.abc import Callable
from importlib import metadata

import polars as pl

from nasdb.errors import NasdbError

FAMILY = "plugin"
GROUP = "nasdb.proxies"
NEEDS = ("arch", "graph", "network")
BATCH_SIZE = 64  # images per batch of --needs network (``--batch-size``)


def load(target: str) -> Callable:
    """``module:function`` (dotted attribute path allowed after the colon) -> the callable."""
    module, _, attr = target.partition(":")
    if not module or not attr:
        raise NasdbError(f"plug-in {target!r} must be MODULE:FUNCTION, e.g. my_proxies:synflow_like")
    try:
        obj = importlib.import_module(module)
    except ImportError as e:
        raise NasdbError(f"plug-in module {module!r} cannot be imported: {e}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise NasdbError(f"plug-in module {module!r} has no {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise NasdbError(f"plug-in {target!r} is not callable")
    return obj


def entry_points() -> dict[str, metadata.EntryPoint]:
    """Installed proxies of the ``nasdb.proxies`` entry-point group, by name."""
    return {ep.name: ep for ep in metadata.entry_points(group=GROUP)}


def _sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def settings(target: str, needs: str, data: str | None = None, seed: int = 0, batch_size: int = BATCH_SIZE,
             datasets: tuple[str, ...] | None = None, lower_is_better: bool = False) -> dict:
    """What decides a plug-in run's values: the code (hashed), what it is given, data and seed."""
    if needs not in NEEDS:
        raise NasdbError(f"--needs {needs!r}: expected one of {', '.join(NEEDS)}")
    fn = load(target)
    module = inspect.getmodule(fn)
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        raise NasdbError(f"plug-in {target!r}: its source cannot be read, so a run could not record it") from None
    path = getattr(module, "__file__", None)
    s = {"target": target, "module": target.partition(":")[0], "function": target.partition(":")[2],
         "function_sha256": _sha(source), "module_file": path,
         "module_sha256": _sha(open(path, "rb").read()) if path else None,
         "needs": needs, "seed": seed, "direction": "min" if lower_is_better else "max"}
    if needs == "network":
        from nasdb.proxies.zc import data as datasources

        s |= {"data": datasources.parse(data or "fashion-mnist"), "batch_size": batch_size,
              "weights": "torch default init, seeded per arch: zc.family.seed_of(seed, bench, arch_key)"}
    if datasets:
        s["datasets"] = list(datasets)
    return s


def job(bench: str, name: str, target: str, needs: str, selection, label: str | None = None, chunk_size: int = 64,
        **kw):
    """A harness job running ``target`` over ``selection``; ``kw``: data, seed, batch_size, datasets,
    lower_is_better (see :func:`settings`)."""
    from nasdb import spaces
    from nasdb.proxies import harness

    space = spaces.get(bench)
    datasets = kw.pop("datasets", None)
    if datasets:
        unknown = sorted(set(datasets) - set(space.datasets))
        if unknown:
            raise NasdbError(f"{bench} has no dataset {unknown[0]!r}; expected {', '.join(space.datasets)}")
    if needs == "network" and space.network is None:
        raise NasdbError(f"{bench} has no network builder; --needs network cannot run on it")
    if needs == "graph" and space.surrogate is None:
        raise NasdbError(f"{bench} has no NASGraph surrogate; --needs graph cannot run on it")
    return harness.Job(family=FAMILY, bench=bench, proxies=(name,),
                       settings={"proxy": name, **settings(target, needs, datasets=tuple(datasets or ()), **kw)},
                       compute_chunk=compute_chunk, selection=selection, source=f"user:{label or name}",
                       label=name, chunk_size=chunk_size)


def _call(fn: Callable, *args) -> tuple[float | None, str | None]:
    try:
        v = float(fn(*args))
    except Exception as e:  # a user's function: its failure is recorded per arch, never a lost run
        return None, f"plug-in raised {type(e).__name__}: {str(e)[:200]}"
    return (v, None) if math.isfinite(v) else (None, f"plug-in returned {v}")


def _groups(space, settings: dict, key: Callable[[str], str]) -> list[tuple[str, ...]]:
    """Datasets in groups sharing one input (equal ``key``)."""
    found: dict[str, list[str]] = {}
    for d in settings.get("datasets") or space.datasets:
        found.setdefault(key(d), []).append(d)
    return [tuple(g) for g in found.values()]


def compute_chunk(bench: str, items: list[tuple[int, str]], settings: dict) -> pl.DataFrame:
    """Rows (arch_id, dataset, proxy, value, note): the plug-in on each architecture of the chunk."""
    from nasdb import spaces

    space = spaces.get(bench)
    fn = load(settings["target"])
    rows: dict[str, list] = {"arch_id": [], "dataset": [], "value": [], "note": []}

    def emit(arch_id: int, datasets: tuple[str, ...], result: tuple[float | None, str | None]) -> None:
        for d in datasets:
            rows["arch_id"].append(arch_id)
            rows["dataset"].append(d)
            rows["value"].append(result[0])
            rows["note"].append(result[1])

    needs = settings["needs"]
    if needs == "graph":
        groups = _groups(space, settings, space.graph_of) if space.per_dataset or settings.get("datasets") else [("",)]
    else:
        groups = [tuple(settings.get("datasets") or ("",))]
    for arch_id, arch_key in items:
        spec = space.parse(arch_key)
        if needs == "arch":
            emit(arch_id, groups[0], _call(fn, arch_key, spec))
        elif needs == "graph":
            from nasdb.proxies.nasgraph import reference

            for g in groups:  # the graph nasdb.score(..., return_graph=True) measures (fast-mode weights)
                surrogate = space.surrogate(spec, g[0] or space.datasets[0])
                emit(arch_id, g, _call(fn, reference.graph(surrogate, seed=settings["seed"], fresh=False)))
        else:
            import torch

            from nasdb.proxies.zc import family as zc

            torch.set_num_threads(1)
            for g, net, batch in zc.networks(bench, arch_key, settings.get("datasets") or space.datasets,
                                              seed=settings["seed"], data=settings["data"],
                                              batch_size=settings["batch_size"]):
                emit(arch_id, g, _call(fn, net, batch))
    return pl.DataFrame(rows, schema={"arch_id": pl.Int64, "dataset": pl.String, "value": pl.Float64,
                                      "note": pl.String}).with_columns(proxy=pl.lit(settings["proxy"]))

