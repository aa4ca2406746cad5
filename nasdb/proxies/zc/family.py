"""The ``zc`` scoring family: settings of a run and ``compute_chunk`` for the scoring harness.

Per architecture the network is built once per distinct network of the benchmark's datasets
(datasets whose networks are identical, such as NB201's ``cifar10`` and ``cifar10-valid``, share one
build and one set of values, written under each dataset name), and every requested proxy is
computed from it by :func:`nasdb.proxies.zc.suite.compute` with shared passes.

Seeds, so that a value never depends on chunking, order or worker:
* weights: ``seed_of(seed, bench, arch_key)`` (torch's default init, drawn in a forked RNG);
* zen's Gaussian re-draw: ``seed_of(seed, bench, arch_key, "zen")``;
* the batch: ``seed_of(seed, data, dataset)`` - the same images for every architecture of a run.
"""
from __future__ import annotations

import hashlib
import math
from functools import lru_cache

import polars as pl

from nasdb.proxies.zc import data as datasources, registry

FAMILY = "zc"
# spaces NAS-Bench-Suite-Zero did not score (no Space.proxy_batch_size) default to 64
DEFAULT_BATCH = 64
DEFAULT_DATA = "fashion-mnist"


def default_batch_size(bench: str) -> int:
    from nasdb.spaces import get

    return get(bench).proxy_batch_size or DEFAULT_BATCH


def settings(bench: str, proxies: list[str] | tuple[str, ...] | None = None, data: str = DEFAULT_DATA,
             batch_size: int | None = None, seed: int = 0, datasets: list[str] | tuple[str, ...] | None = None,
             device: str = "cpu", device_here: bool = True) -> dict:
    """Everything that determines a zc run's values (stored as the run's settings). ``device_here=False``:
    the device is checked where the chunks run (``Executor.check(device_problem)``), not in this process."""
    from nasdb.errors import NasdbError
    from nasdb.spaces import get

    space = get(bench)
    if space.network is None:
        raise NasdbError(f"{bench} has no network builder yet, so its zero-cost proxies cannot be computed")
    names = registry.check(list(proxies) if proxies else list(registry.NAMES))
    chosen = tuple(datasets) if datasets else space.datasets
    unknown = [d for d in chosen if d not in space.datasets]
    if unknown:
        raise NasdbError(f"unknown {bench} dataset {unknown[0]!r}; expected one of {', '.join(space.datasets)}")
    why = device_problem(device) if device_here else None
    if why:
        raise NasdbError(why)
    batch = batch_size or default_batch_size(bench)
    if batch < 1:
        raise NasdbError(f"--batch-size must be a positive number of images, got {batch}")
    return {
        "family": FAMILY, "implementation": registry.IMPLEMENTATION, "bench": bench,
        "proxies": list(names), "datasets": list(chosen),
        "data": datasources.parse(data) if any(registry.PROXIES[n].needs_data for n in names) else "synthetic",
        "batch_size": batch, "seed": seed,
        "weights": "torch default init of the benchmark's network, seeded per (seed, bench, arch_key)",
        "batch": "one batch per (seed, data, dataset), the same for every architecture",
        "mode": "train (BatchNorm on batch statistics), float32 (synflow float64)",
        "device": device,  # part of the run: a GPU's kernels (and zen's generator) give other last digits
    }


def device_problem(device: str) -> str | None:
    """Why ``device`` cannot run the networks in this process (None if it can): a bad ``--device`` fails
    in one line before any work, not as torch's traceback in a worker."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        return f"unknown --device {device!r}; expected cpu, cuda or cuda:N"
    if dev.type == "cuda" and not torch.cuda.is_available():
        return f"--device {device}: this machine's torch sees no CUDA device; use --device cpu"
    return None


PUBLISHED_SOURCE = "peer:nas-bench-suite-zero"
CHUNK = 8  # architectures per staged chunk: a chunk takes seconds to minutes, a kill loses one


# every copy of the Suite-Zero values: NASLib's own files and GRAF's republication (9,445 NB201 cells,
# 2,128 TNB101-micro cells, the only NB201 copy with zen)
SUITE_ZERO_COPIES = (PUBLISHED_SOURCE, "peer:graf")


def published_ids(con, bench: str) -> list[int]:
    """Architectures with published NAS-Bench-Suite-Zero values (the default selection, so that nasdb's
    values sit next to the published ones on the same archs)."""
    rows = con.execute("SELECT DISTINCT arch_id FROM proxies WHERE bench = ? AND source = ? ORDER BY arch_id",
                       [bench, PUBLISHED_SOURCE]).fetchall()
    return [r[0] for r in rows]


def published_sample(con, bench: str, proxies, datasets, n: int, seed: int) -> list[int]:
    """A seeded sample of ``n`` archs having a published value (either Suite-Zero copy, any of
    ``datasets``) of every one of ``proxies`` that is published at all there, so each requested
    proxy can be compared on every sampled arch. Fewer than ``n`` such archs: all of them."""
    import numpy as np

    from nasdb.errors import NasdbError
    from nasdb.spaces import get

    names = list(registry.check(list(proxies) if proxies else list(registry.NAMES)))
    chosen = list(datasets) if datasets else list(get(bench).datasets)
    where = (f"bench = ? AND source IN ({', '.join('?' * len(SUITE_ZERO_COPIES))}) "
             f"AND dataset IN (SELECT unnest(?)) AND proxy IN (SELECT unnest(?)) AND value IS NOT NULL")
    params = [bench, *SUITE_ZERO_COPIES, chosen, names]
    rows = con.execute(f"SELECT arch_id FROM proxies WHERE {where} GROUP BY arch_id "
                       f"HAVING count(DISTINCT proxy) = (SELECT count(DISTINCT proxy) FROM proxies WHERE {where}) "
                       f"ORDER BY arch_id", params + params).fetchall()
    ids = [r[0] for r in rows]
    if not ids:
        raise NasdbError(f"no {bench} archs with published Suite-Zero values of {', '.join(names)} on "
                         f"{', '.join(chosen)}; drop --published or choose other --proxy/--dataset")
    if n >= len(ids):
        return ids
    return sorted(ids[i] for i in np.random.default_rng(seed).choice(len(ids), size=n, replace=False))


def job(bench: str, selection, proxies=None, data: str = DEFAULT_DATA, batch_size: int | None = None,
        seed: int = 0, datasets=None, chunk_size: int | None = None, device: str = "cpu", device_here: bool = True):
    """The harness job computing ``proxies`` (default: all) for the selected archs of ``bench``."""
    from nasdb.proxies.harness import Job

    s = settings(bench, proxies, data, batch_size, seed, datasets, device, device_here)
    return Job(family=FAMILY, bench=bench, proxies=tuple(s["proxies"]), settings=s, compute_chunk=compute_chunk,
               selection=selection, chunk_size=chunk_size or CHUNK)


SIZE_CHUNK = 65_536  # archs per chunk of a size-only run counted in closed form (seconds each)


def build_job(bench: str):
    """The size-only job (params, flops, n_trainable_layers of every arch and dataset network) `nasdb
    build` runs for ``bench``: counted in closed form by ``Space.sizes``, so no network is built. None
    for a space without closed-form sizes (``nasdb score zc --all`` builds its networks instead)."""
    from nasdb.proxies.harness import Selection
    from nasdb.spaces import get

    if get(bench).sizes is None:
        return None
    return job(bench, Selection(), registry.ANALYTIC, data="synthetic", chunk_size=SIZE_CHUNK)


def seed_of(*parts: object) -> int:
    """A stable 63-bit seed from the parts' text (independent of Python's hash randomisation)."""
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big") >> 1


def compute_chunk(bench: str, items: list[tuple[int, str]], settings: dict) -> pl.DataFrame:
    """Rows (arch_id, dataset, proxy, value, note) for the chunk's architectures; a NaN value is
    stored as NULL with the reason in ``note``. Size-only runs (params, flops, n_trainable_layers)
    are counted in closed form by ``Space.sizes`` where the space has it (the same numbers as the
    built network's, without building it)."""
    import torch

    from nasdb.spaces import get

    torch.set_num_threads(1)  # chunks run one per core; a proxy pass is too small to split
    space = get(bench)
    names = settings["proxies"]
    if space.sizes is not None and set(names) <= set(registry.ANALYTIC):
        return _counted(space, items, settings)
    rows: dict[str, list] = {"arch_id": [], "dataset": [], "proxy": [], "value": [], "note": []}
    for arch_id, arch_key in items:
        spec = space.parse(arch_key)
        for datasets in _network_groups(bench, tuple(settings["datasets"]), arch_key):
            values = _values(space, spec, arch_key, datasets[0], settings)
            for d in datasets:
                for name in names:
                    v = values[name]
                    ok = math.isfinite(v)
                    rows["arch_id"].append(arch_id)
                    rows["dataset"].append(d)
                    rows["proxy"].append(name)
                    rows["value"].append(v if ok else None)
                    rows["note"].append(None if ok else f"{name} undefined for this network ({v})")
    return pl.DataFrame(rows, schema=_SCHEMA)


_SCHEMA = {"arch_id": pl.Int64, "dataset": pl.String, "proxy": pl.String, "value": pl.Float64, "note": pl.String}


def _counted(space, items: list[tuple[int, str]], settings: dict) -> pl.DataFrame:
    """The size-only proxies from ``Space.sizes``, in the units ``suite.compute`` gives them."""
    import numpy as np

    ids = [i for i, _ in items]
    keys = [k for _, k in items]
    frames = []
    for dataset in settings["datasets"]:
        size = space.sizes(keys, dataset)
        values = {"params": size.params / 1e6, "flops": size.flops / 1e6, "n_trainable_layers": size.layers}
        for name in settings["proxies"]:
            value = np.broadcast_to(np.asarray(values[name], dtype=np.float64), (len(ids),))
            frames.append(pl.DataFrame({"arch_id": ids, "dataset": dataset, "proxy": name, "value": value,
                                        "note": None}, schema=_SCHEMA))
    return pl.concat(frames)


def _values(space, spec, arch_key: str, dataset: str, settings: dict, fresh_batch: bool = False) -> dict[str, float]:
    """Every requested proxy of one architecture's network on ``dataset``: one build, shared passes."""
    from nasdb.proxies.zc import suite

    size_only = set(settings["proxies"]) <= set(registry.ANALYTIC)  # one image is enough to count
    net, batch = network_and_batch(space.bench, arch_key, dataset, settings["seed"], settings["data"],
                                   1 if size_only else settings["batch_size"], settings.get("device", "cpu"),
                                   fresh_batch=fresh_batch)
    return suite.compute(net, batch, settings["proxies"], seed=seed_of(settings["seed"], space.bench, arch_key, "zen"),
                         loss_fn=datasources.LOSSES[space.task_kind(dataset)])


def score_alone(bench: str, arch_key: str, dataset: str, settings: dict, proxy: str) -> float:
    """One proxy the reference way (how NAS-Bench-Suite-Zero computed each): its own network build, its own
    batch draw, only its passes. The same value as the shared suite's; the suite's benchmark and tests use it."""
    from nasdb.spaces import get

    space = get(bench)
    return _values(space, None, arch_key, dataset, {**settings, "proxies": [proxy]}, fresh_batch=True)[proxy]


def network_and_batch(bench: str, arch_key: str, dataset: str, seed: int = 0, data: str = DEFAULT_DATA,
                      batch_size: int = DEFAULT_BATCH, device: str = "cpu", fresh_batch: bool = False) -> tuple:
    """(network, batch) exactly as this family scores ``arch_key`` of ``bench`` on ``dataset``: the network
    the benchmark trained with torch's default init seeded by ``seed_of(seed, bench, arch_key)``, and the
    run's batch of ``data`` (the same images for every arch: ``seed_of(seed, data, dataset)``) with
    targets shaped for the dataset's task, both on ``device``. Plug-ins with ``--needs network`` get these.
    ``fresh_batch`` draws the batch anew instead of reusing this process's cached draw."""
    from nasdb.proxies.zc import suite
    from nasdb.spaces import get

    space = get(bench)
    net = space.network(space.parse(arch_key), dataset, seed=seed_of(seed, bench, arch_key), device=device)
    kind, n_out = space.task_kind(dataset), suite.n_outputs(net)
    batch_seed = seed_of(seed, data, dataset)
    draw = datasources.draw if fresh_batch else _batch
    batch = datasources.for_task(draw(data, batch_size, batch_seed, tuple(space.input_shape(dataset)), n_out),
                                 kind, n_out, batch_seed)
    return net, datasources.Batch(batch.x.to(device), batch.y.to(device))


def networks(bench: str, arch_key: str, datasets: tuple[str, ...], **kw):
    """Per group of ``datasets`` whose networks are identical (one build serves the group):
    ``(group, network, batch)`` from :func:`network_and_batch` (``kw``: seed, data, batch_size, device)."""
    for group in _network_groups(bench, tuple(datasets), arch_key):
        yield (group, *network_and_batch(bench, arch_key, group[0], **kw))


@lru_cache(maxsize=8)
def _batch(data: str, batch_size: int, seed: int, shape: tuple[int, ...], n_classes: int):
    return datasources.draw(data, batch_size, seed, shape, n_classes)


_groups: dict[tuple[str, tuple[str, ...]], tuple[tuple[str, ...], ...]] = {}


def _network_groups(bench: str, datasets: tuple[str, ...], arch_key: str) -> tuple[tuple[str, ...], ...]:
    """Datasets whose networks have the same modules and input shape, grouped in order (probed once
    per benchmark on ``arch_key``'s network: whether heads differ does not depend on the cell)."""
    from nasdb.spaces import get

    if (bench, datasets) not in _groups:
        space = get(bench)
        spec = space.parse(arch_key)
        found: dict[str, list[str]] = {}
        for d in datasets:
            found.setdefault(f"{space.input_shape(d)}|{space.network(spec, d, seed=0)!r}", []).append(d)
        _groups[(bench, datasets)] = tuple(tuple(g) for g in found.values())
    return _groups[(bench, datasets)]
