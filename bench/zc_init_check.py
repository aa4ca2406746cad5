"""Does the published l2_norm follow from the published code's weight init? (docs/benchmarks.md, zero-cost
faithfulness, "l2_norm and the init")

On a seeded sample of archs of each NASLib Suite-Zero file, l2_norm (sum of Conv2d/Linear weight norms)
of nasdb's network three ways: as nasdb builds it; with torch's default init; with the init of the
code that computed the published values (TNB101: the official ``MacroNet._kaiming_init``, He-normal
fan_out on every encoder conv; NB101: NASLib's PyTorch port, conv N(0, sqrt(2 / (k^2 C_out))), Linear
N(0, 0.01); NB201: torch's default). Prints the median published/nasdb level and Spearman with the
published values for each. Builds networks only (no forward): about a minute on one core.

    NASDB_MIRROR=../shared/benchdata python bench/zc_init_check.py [--n 25] [--seed 5]
"""
from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr
from torch import nn

from nasdb.proxies.zc import family, measures, suite
from nasdb.spaces import get

EARLY = Path(os.environ.get("NASDB_MIRROR", "../shared/benchdata")) / "zc" / "naslib_nbsuitezero_early"


def torch_default(net: nn.Module) -> None:
    for m in suite.weighted_layers(net):
        m.reset_parameters()


def macronet(net: nn.Module) -> None:
    torch_default(net)
    for m in net.encoder.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


def naslib_nb101(net: nn.Module) -> None:
    for m in suite.weighted_layers(net):
        if isinstance(m, nn.Conv2d):
            m.weight.data.normal_(0, math.sqrt(2.0 / (m.kernel_size[0] * m.kernel_size[1] * m.out_channels)))
        else:
            m.weight.data.normal_(0, 0.01)


CASES = (("nb201", "zc_nasbench201.json", "cifar10", torch_default),
         ("tnb101_micro", "zc_transbench101_micro.json", "class_scene", macronet),
         ("tnb101_macro", "zc_transbench101_macro.json", "class_scene", macronet),
         ("nb101", "zc_nasbench101.json", "cifar10", naslib_nb101))


def l2(net: nn.Module) -> float:
    with torch.no_grad():
        return measures.l2_norm([m.weight for m in suite.weighted_layers(net)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=25)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print("| bench | n | init | published / nasdb level (median) | Spearman(nasdb, published) |\n|---|---|---|---|---|")
    for bench, name, dataset, published_init in CASES:
        published = json.loads((EARLY / name).read_text())
        published = published.get("nasbench101", published)[dataset]
        keys = sorted(published)
        archs = [keys[i] for i in np.random.default_rng(args.seed).choice(len(keys), args.n, replace=False)]
        y = np.array([published[a]["l2_norm"]["score"] if isinstance(published[a]["l2_norm"], dict)
                      else published[a]["l2_norm"] for a in archs])
        space = get(bench)
        got: dict[str, list[float]] = {"as nasdb builds it": [], "torch default": [], "published code's": []}
        for a in archs:
            spec = space.parse(a)
            seed = family.seed_of(0, bench, space.key(spec))
            net = space.network(spec, dataset, seed=seed)
            got["as nasdb builds it"].append(l2(net))
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed % 2**63)
                torch_default(net)
                got["torch default"].append(l2(net))
                published_init(net)
                got["published code's"].append(l2(net))
        for how, values in got.items():
            v = np.array(values)
            print(f"| {bench} | {args.n} | {how} | {np.median(y / v):.3f} | {spearmanr(v, y)[0]:.3f} |", flush=True)


if __name__ == "__main__":
    main()
