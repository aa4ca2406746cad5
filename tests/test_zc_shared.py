"""The shared suite on the benchmarks' real networks gives every proxy the value it has when computed
alone (its own network build, its own batch draw, only its own passes: the baseline of
bench/bench_zc.py), and the proxies riding on the one batch pass match the reference code's
separate passes written out here (grasp's two stages, ``.backward()`` gradients, a no_grad forward
for nwot). Tolerance: relative 1e-6 between the suite and each proxy alone (the same kernels on the
same tensors), 1e-4 against the reference-style passes (grasp's g from a plain backward instead of a
create_graph one differs in the last float32 bits)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nasdb.proxies.zc import data, family, measures, registry, suite
from nasdb.spaces import get

torch.set_num_threads(1)

ARCHS = [  # (bench, arch, batch size): two NB201 cells (one with pooling and skips) and one NB101 cell
    ("nb201", "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|nor_conv_1x1~0|nor_conv_3x3~1|skip_connect~2|", 8),
    ("nb201", "|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|avg_pool_3x3~0|nor_conv_3x3~1|nor_conv_1x1~2|", 8),
    ("nb101", '{"matrix": [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], '
              '"ops": ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]}', 4),
]


def setup(bench: str, arch: str, batch_size: int):
    space = get(bench)
    key = space.key(space.parse(arch))
    dataset = space.datasets[0]
    return space, space.parse(key), key, dataset, family.settings(bench, data="synthetic", batch_size=batch_size,
                                                                   datasets=[dataset])


@pytest.mark.parametrize("bench,arch,batch_size", ARCHS)
def test_suite_equals_each_proxy_alone(bench, arch, batch_size):
    space, spec, key, dataset, s = setup(bench, arch, batch_size)
    together = family._values(space, spec, key, dataset, s)
    assert set(together) == set(registry.NAMES)
    assert all(math.isfinite(v) for v in together.values()), together
    for name in registry.NAMES:
        assert family.score_alone(space.bench, key, dataset, s, name) == pytest.approx(together[name], rel=1e-6, abs=1e-9), name


def test_batch_pass_matches_the_reference_codes_separate_passes():
    space, spec, key, dataset, s = setup(*ARCHS[0])
    together = family._values(space, spec, key, dataset, s)

    def fresh():
        net = space.network(spec, dataset, seed=family.seed_of(s["seed"], space.bench, key)).train()
        n_out = suite.n_outputs(net)
        bseed = family.seed_of(s["seed"], s["data"], dataset)
        b = data.draw(s["data"], s["batch_size"], bseed, tuple(space.input_shape(dataset)), n_out)
        return net, [m.weight for m in suite.weighted_layers(net)], b.x, b.y % n_out

    # grad_norm, snip, plain from .grad after loss.backward()
    net, weights, x, y = fresh()
    F.cross_entropy(net(x), y).backward()
    wg = [(w.detach(), w.grad) for w in weights]
    assert together["grad_norm"] == pytest.approx(sum(float(g.norm()) for _, g in wg), rel=1e-4)
    assert together["snip"] == pytest.approx(sum(float((w * g).abs().sum()) for w, g in wg), rel=1e-4)
    assert together["plain"] == pytest.approx(sum(float((w * g).sum()) for w, g in wg), rel=1e-4, abs=1e-6)

    # grasp in the reference's two stages: g from a first forward, then a second forward whose
    # create_graph gradient is dotted with g and differentiated (-w * Hg, summed)
    net, weights, x, y = fresh()
    g = torch.autograd.grad(F.cross_entropy(net(x), y), weights)
    gf = torch.autograd.grad(F.cross_entropy(net(x), y), weights, create_graph=True)
    sum((a * b).sum() for a, b in zip(g, gf)).backward()
    assert together["grasp"] == pytest.approx(sum(float((-w.detach() * w.grad).sum()) for w in weights), rel=1e-4)

    # nwot: its own no_grad forward, the kernel of ReLU agreements in float64 numpy
    net, weights, x, y = fresh()
    codes = []
    handles = [m.register_forward_hook(lambda m, i, o: codes.append((i[0] > 0).reshape(len(x), -1).numpy()))
               for m in net.modules() if isinstance(m, torch.nn.ReLU)]
    with torch.no_grad():
        net(x)
    for h in handles:
        h.remove()
    c = [k.astype(np.float64) for k in codes]
    kernel = sum(k @ k.T + (1 - k) @ (1 - k).T for k in c)
    assert together["nwot"] == pytest.approx(np.linalg.slogdet(kernel)[1], rel=1e-9)

    # jacov: the input gradient of the summed output from y.backward(ones), as the reference code
    net, weights, x, y = fresh()
    x = x.clone().requires_grad_(True)
    out = net(x)
    out.backward(torch.ones_like(out))
    v = np.linalg.eigvalsh(np.corrcoef(x.grad.reshape(len(x), -1).numpy().astype(np.float64)))
    k = measures.JACOV_K
    assert together["jacov"] == pytest.approx(-np.sum(np.log(v + k) + 1 / (v + k)), rel=1e-4)
