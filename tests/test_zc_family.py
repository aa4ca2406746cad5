"""The zc family on the real NB201 networks: rows, shared datasets, seeds that do not depend on
chunking or order, and params/FLOPs against NAS-Bench-Suite-Zero's published values."""
from __future__ import annotations

import json
import math

import polars as pl
import pytest

from nasdb.errors import NasdbError
from nasdb.proxies.zc import family
from nasdb.spaces import nb201

# (arch as published by Suite-Zero in NASLib's op ids, dataset in its file)
PUBLISHED = [("(0, 2, 3, 2, 3, 1)", "cifar10"), ("(0, 2, 3, 2, 3, 1)", "ImageNet16-120")]


def test_settings_record_what_changes_values():
    s = family.settings("nb201", ["synflow", "snip"], data="synthetic", seed=3)
    assert s["batch_size"] == 64 and s["data"] == "synthetic" and s["seed"] == 3
    assert s["proxies"] == ["synflow", "snip"] and s["implementation"] == family.registry.IMPLEMENTATION
    assert s["datasets"] == list(nb201.DATASETS)
    assert family.settings("nb201", ["params"], data="fashion-mnist")["data"] == "synthetic"  # data-free only
    assert family.settings("nb201", ["snip"], batch_size=16)["batch_size"] == 16
    with pytest.raises(NasdbError, match="unknown nb201 dataset 'cifar'"):
        family.settings("nb201", ["snip"], datasets=["cifar"])
    with pytest.raises(NasdbError, match="unknown data source"):
        family.settings("nb201", ["snip"], data="mnist")


def test_chunk_rows_shared_networks_and_order_independence():
    keys = [nb201.to_string(nb201.from_naslib(k)) for k in ("(0, 2, 3, 2, 3, 1)", "(4, 0, 3, 1, 4, 3)")]
    s = family.settings("nb201", ["params", "l2_norm", "snip", "nwot"], data="synthetic", batch_size=8,
                        datasets=["cifar10-valid", "cifar10", "cifar100"])
    both = family.compute_chunk("nb201", [(534, keys[0]), (7, keys[1])], s)
    assert both.columns == ["arch_id", "dataset", "proxy", "value", "note"]
    assert both.height == 2 * 3 * 4 and both["value"].null_count() == 0
    # the same values whatever the chunking and order
    apart = pl.concat([family.compute_chunk("nb201", [(7, keys[1])], s),
                       family.compute_chunk("nb201", [(534, keys[0])], s)])
    assert both.sort("arch_id", "dataset", "proxy").equals(apart.sort("arch_id", "dataset", "proxy"))
    wide = both.filter(pl.col("arch_id") == 534).pivot("dataset", index="proxy", values="value")
    # cifar10 and cifar10-valid train the same network: one build, the same values
    assert wide["cifar10"].to_list() == wide["cifar10-valid"].to_list()
    params = dict(zip(wide["proxy"], wide["cifar100"]))["params"]
    assert params > dict(zip(wide["proxy"], wide["cifar10"]))["params"]  # the 100-class head
    # another seed: other weights (l2_norm moves), the same architecture size
    other = family.compute_chunk("nb201", [(534, keys[0])], {**s, "seed": 1, "datasets": ["cifar10"]})
    get = lambda df, p: df.filter((pl.col("proxy") == p) & (pl.col("dataset") == "cifar10"))["value"][0]
    assert get(other, "params") == get(both.filter(pl.col("arch_id") == 534), "params")
    assert get(other, "l2_norm") != get(both.filter(pl.col("arch_id") == 534), "l2_norm")


@pytest.mark.parametrize("naslib,dataset", PUBLISHED)
def test_params_and_flops_match_suite_zero(mirror, naslib, dataset):
    published = json.loads((mirror / "zc/naslib_nbsuitezero_early/zc_nasbench201.json").read_text())[dataset][naslib]
    key = nb201.to_string(nb201.from_naslib(naslib))
    s = family.settings("nb201", ["params", "flops"], datasets=[dataset])
    got = dict(family.compute_chunk("nb201", [(0, key)], s).select("proxy", "value").iter_rows())
    assert got["params"] == pytest.approx(published["params"]["score"], abs=1e-9)
    # the same counting rules; only global pooling is counted without torchstat's window overlap (<0.01 M)
    assert got["flops"] == pytest.approx(published["flops"]["score"], abs=0.01)
    assert math.isfinite(got["flops"])


def test_tnb101_regression_head_gets_its_loss_and_no_epe_nas():
    """room_layout regresses 9 outputs: MSE on seeded targets; epe_nas (class labels only) is NULL."""
    s = family.settings("tnb101_micro", ["grad_norm", "epe_nas"], data="synthetic", batch_size=2,
                        datasets=["room_layout"])
    rows = family.compute_chunk("tnb101_micro", [(3256 + 2047, "64-41414-1_33_333")], s)
    got = {p: (v, n) for p, v, n in rows.select("proxy", "value", "note").iter_rows()}
    assert got["grad_norm"][0] > 0
    assert got["epe_nas"][0] is None and "epe_nas undefined" in got["epe_nas"][1]
