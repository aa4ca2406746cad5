"""Zero-cost proxies on small networks built here: each value against an independent computation
(closed forms, numpy, torch.func), and the shared passes against computing each proxy alone."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nasdb.proxies.zc import measures, registry, suite
from nasdb.proxies.zc.data import Batch

torch.set_num_threads(1)


def linear_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(4, 3, bias=False))


def batch(n: int = 8, shape=(1, 2, 2), classes: int = 3, seed: int = 1) -> Batch:
    g = torch.Generator().manual_seed(seed)
    return Batch(torch.randn((n, *shape), generator=g), torch.randint(0, classes, (n,), generator=g))


class TinyCellNet(nn.Module):
    """A small net with the pieces of the benchmark networks: stem conv+BN, a two-branch cell
    (ReLU-conv-BN, avg-pool, skip), a strided block, BN+ReLU head, global pooling, classifier."""

    def __init__(self, c: int = 4, classes: int = 5):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        self.conv = nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        self.pool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.reduce = nn.Sequential(nn.ReLU(), nn.Conv2d(c, 2 * c, 3, stride=2, padding=1, bias=False),
                                    nn.BatchNorm2d(2 * c))
        self.head = nn.Sequential(nn.BatchNorm2d(2 * c), nn.ReLU())
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(2 * c, classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.conv(x) + self.pool(x) + x
        return self.classifier(self.gap(self.head(self.reduce(x))).flatten(1))


def tiny_cell_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return TinyCellNet()


def test_registry_declares_every_proxy():
    required = {"params", "flops", "l2_norm", "plain", "grad_norm", "snip", "grasp", "fisher", "jacov", "nwot",
                "synflow", "epe_nas", "zen", "n_trainable_layers"}
    assert required <= set(registry.NAMES)
    post_2023 = set(registry.NAMES) - required
    assert len(post_2023) >= 2
    for p in registry.PROXIES.values():
        assert p.direction == "max" and p.definition
        assert set(p.settings) <= {"data", "batch_size", "seed"}
        assert p.needs_data == ("data" in p.settings)
    assert set(registry.ANALYTIC) <= {n for n, p in registry.PROXIES.items() if not p.settings}
    covered = [n for names in suite.PASSES.values() for n in names] + ["flops"]
    assert sorted(covered) == sorted(registry.NAMES)  # every proxy has exactly one pass


def test_unknown_proxy_is_a_named_error():
    from nasdb.errors import NasdbError

    with pytest.raises(NasdbError, match="unknown zero-cost proxy 'synflo'.*synflow"):
        registry.check(["synflo"])


def test_linear_classifier_against_closed_forms():
    """Softmax regression: dL/dW = (softmax(Wx) - onehot)^T x / N, computed with numpy."""
    net, b = linear_net(), batch()
    W = net[1].weight.detach().numpy().astype(np.float64)
    X = b.x.reshape(len(b.x), -1).numpy().astype(np.float64)
    Y = np.eye(3)[b.y.numpy()]
    logits = X @ W.T
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    G = (p - Y).T @ X / len(X)
    v = suite.compute(net, b, registry.NAMES, seed=0)
    assert v["params"] == 12 / 1e6 and v["n_trainable_layers"] == 1 and v["flops"] == 12 / 1e6
    assert v["l2_norm"] == pytest.approx(np.linalg.norm(W), rel=1e-6)
    assert v["grad_norm"] == pytest.approx(np.linalg.norm(G), rel=1e-5)
    assert v["snip"] == pytest.approx(np.abs(W * G).sum(), rel=1e-5)
    assert v["plain"] == pytest.approx((W * G).sum(), rel=1e-4, abs=1e-7)
    # synflow without BatchNorm and with an all-ones input: R = sum |W| 1, so dR/dW = 1 and s = sum |W|
    assert v["synflow"] == pytest.approx(math.log(np.abs(W).sum()), rel=1e-9)
    # fisher: activation a = Wx, its gradient (p - y)/N, per output 0.5 mean_n (a g)^2, times fan-in 4
    A, dA = logits, (p - Y) / len(X)
    assert v["fisher"] == pytest.approx(4 * (0.5 * ((A * dA) ** 2).mean(0)).sum(), rel=1e-4)
    # jacov: d(sum of outputs)/dx = column sums of W for every sample: all correlations 1,
    # eigenvalues N and N-1 zeros
    n, k = len(X), measures.JACOV_K
    assert v["jacov"] == pytest.approx(-((math.log(n + k) + 1 / (n + k)) + (n - 1) * (math.log(k) + 1 / k)), rel=1e-6)


def test_grasp_is_minus_w_times_hessian_gradient():
    """Against torch.func: H g from the Hessian of the loss as a function of the weight matrix."""
    net, b = linear_net(3), batch(seed=4)
    W = net[1].weight.detach().clone()
    X = b.x.reshape(len(b.x), -1)

    def loss(w):
        return F.cross_entropy(X @ w.T, b.y)

    g = torch.func.grad(loss)(W)
    H = torch.func.hessian(loss)(W).reshape(W.numel(), W.numel())
    hg = (H @ g.reshape(-1)).reshape(W.shape)
    assert suite.compute(net, b, ["grasp"], seed=0)["grasp"] == pytest.approx(float((-W * hg).sum()), rel=1e-4)


def test_zico_against_two_half_batch_gradients():
    net, b = linear_net(5), batch(n=10, seed=6)
    W = net[1].weight.detach()
    halves = []
    for sl in (slice(0, 5), slice(5, 10)):
        X = b.x[sl].reshape(5, -1)
        halves.append(torch.func.grad(lambda w: F.cross_entropy(X @ w.T, b.y[sl]))(W).numpy().ravel())
    g = np.stack(halves).astype(np.float64)
    std, mean_abs = g.std(0), np.abs(g).mean(0)
    keep = std != 0
    assert suite.compute(net, b, ["zico"], seed=0)["zico"] == pytest.approx(
        math.log((mean_abs[keep] / std[keep]).sum()), rel=1e-5)


def relu_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(2, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(72, 16), nn.ReLU(),
                         nn.Linear(16, 3))


def test_nwot_and_swap_from_relu_codes():
    net, b = relu_net(), batch(n=6, shape=(2, 3, 3), seed=2)
    with torch.no_grad():
        h1 = net[0](b.x)
        h2 = net[3](F.relu(h1).flatten(1))
    c1 = (h1.reshape(6, -1) > 0).numpy().astype(np.float64)
    c2 = (h2 > 0).numpy().astype(np.float64)
    K = sum(c @ c.T + (1 - c) @ (1 - c).T for c in (c1, c2))
    v = suite.compute(net, b, ["nwot", "swap"], seed=0)
    assert np.linalg.matrix_rank(K) == 6
    assert v["nwot"] == pytest.approx(np.linalg.slogdet(K)[1], rel=1e-9)
    # swap reads only the ReLU fed by a feature map (the first): distinct columns of its codes
    assert v["swap"] == len({tuple(col) for col in c1.T})


@pytest.mark.parametrize("n", [6, 64, 65, 130])  # one 64-bit word per pattern, then two and three
def test_swap_counts_distinct_patterns_at_every_batch_width(n):
    net, b = relu_net(), batch(n=n, shape=(2, 3, 3), seed=3)
    b.x[:] = b.x[:, :, :1, :1]  # spatially constant images: interior units repeat their channel's pattern
    with torch.no_grad():
        codes = (net[0](b.x).reshape(n, -1) > 0).numpy()
    distinct = len({tuple(col) for col in codes.T})
    assert distinct < codes.shape[1]  # the case has repeated patterns to collapse
    assert suite.compute(net, b, ["swap"], seed=0)["swap"] == distinct


def test_meco_sums_min_eigenvalues_over_feature_maps():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(4, 3))
    torch.manual_seed(0)
    for m in net:
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()
    b = batch(n=4, shape=(3, 6, 6), seed=3)
    with torch.no_grad():
        conv = net[0](b.x[:1])[0].reshape(4, -1).numpy().astype(np.float64)
    relu = np.maximum(conv, 0)

    def lam(f):
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.nan_to_num(np.corrcoef(f), nan=0.0, posinf=0.0, neginf=0.0)
        return np.linalg.eigvalsh(c).min()

    # conv and ReLU outputs are feature maps; the pooled 4x1x1 map has one position (0); the rest is 2-D
    assert suite.compute(net, b, ["meco"], seed=0)["meco"] == pytest.approx(lam(conv) + lam(relu), rel=1e-6)


def test_zen_against_a_hand_written_forward():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    shape = (5, 3, 6, 6)
    b = batch(n=5, shape=shape[1:], seed=3)
    g = torch.Generator().manual_seed(11)
    w = torch.randn((4, 3, 3, 3), generator=g)
    torch.randn((3, 4), generator=g)  # the classifier's weights: drawn in module order, unused by zen
    x = torch.randn(shape, generator=g)
    mixed = x + 0.01 * torch.randn(shape, generator=g)

    def features(inp):
        h = F.conv2d(inp, w, padding=1)
        return F.relu(F.batch_norm(h, None, None, training=True)), h

    (f1, h1), (f2, h2) = features(x), features(mixed)
    # torch's own BatchNorm bookkeeping: the running variance after the two forwards, from fresh stats
    running_var = torch.ones(4)
    for h in (h1, h2):
        F.batch_norm(h, torch.zeros(4), running_var, training=True, momentum=0.1)
    expected = math.log(float((f1 - f2).abs().flatten(1).sum(1).mean())) + math.log(math.sqrt(float(running_var.mean())))
    assert suite.compute(net, b, ["zen"], seed=11)["zen"] == pytest.approx(expected, rel=1e-5)


def test_flops_follow_the_torchstat_rules():
    net = TinyCellNet(c=4, classes=5)
    v = suite.compute(net, batch(n=2, shape=(3, 8, 8), classes=5), ["flops", "params"], seed=0)
    fmap, small = 4 * 8 * 8, 8 * 4 * 4  # elements of a 4x8x8 map and of the reduced 8x4x4 map
    ops = (fmap * 27 + 2 * fmap                # stem: conv 3->4 3x3 (27 MACs per output), affine BN
           + fmap + fmap * 36 + 2 * fmap       # cell conv branch: ReLU, conv 4->4 3x3, BN
           + fmap * 9                          # cell avg-pool 3x3: 9 per output element
           + fmap + small * 36 + 2 * small     # reduction: ReLU, conv 4->8 stride 2, BN
           + 2 * small + small                 # head: BN, ReLU
           + small                             # global average pooling: 1 per input element
           + 5 * (8 + 1))                      # classifier with bias
    assert v["flops"] == pytest.approx(ops / 1e6)
    # conv weights + BN affine (4 + 4 + 8 + 8 channels x 2) + classifier weight and bias
    assert v["params"] * 1e6 == pytest.approx(3 * 4 * 9 + 4 * 4 * 9 + 4 * 8 * 9 + 2 * (4 + 4 + 8 + 8) + 8 * 5 + 5)


def test_shared_passes_equal_each_proxy_alone():
    """The whole suite on one network equals each proxy computed alone on a fresh copy."""
    net, b = tiny_cell_net(), batch(n=8, shape=(3, 8, 8), classes=5, seed=9)
    together = suite.compute(copy.deepcopy(net), b, registry.NAMES, seed=3)
    assert set(together) == set(registry.NAMES)
    for name in registry.NAMES:
        alone = suite.compute(copy.deepcopy(net), b, [name], seed=3)[name]
        assert alone == pytest.approx(together[name], rel=1e-6, abs=1e-9), name
    assert all(math.isfinite(v) for v in together.values()), together


def test_values_do_not_depend_on_global_random_state():
    net, b = tiny_cell_net(), batch(n=8, shape=(3, 8, 8), classes=5, seed=9)
    torch.manual_seed(123)
    first = suite.compute(copy.deepcopy(net), b, registry.NAMES, seed=3)
    torch.manual_seed(456)
    np.random.seed(7)
    assert suite.compute(copy.deepcopy(net), b, registry.NAMES, seed=3) == first


def test_epe_nas_formula_both_regimes():
    rng = np.random.default_rng(0)
    J = rng.normal(size=(6, 5))
    labels = np.array([0, 0, 1, 1, 1, 2])
    k = measures.EPE_K

    def s(rows):
        return np.log(np.abs(np.corrcoef(rows)) + k).sum()

    s0, s1 = s(J[:2]), s(J[2:5])
    # <= 100 outputs: sum |s_c|, a single-sample class adds log(1 + k)
    assert measures.epe_nas(J, labels, 10) == pytest.approx(abs(s0) + abs(s1) + math.log(1 + k))
    # > 100 outputs: s_c / class size, singletons left out, mean pairwise |difference|
    a, c = s0 / 2, s1 / 3
    assert measures.epe_nas(J, labels, 120) == pytest.approx(2 * abs(a - c) / 2)


def test_undefined_values_are_nan_not_numbers():
    # a network whose output ignores its input: constant Jacobians, no correlation
    net = nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
    with torch.no_grad():
        net[1].weight.zero_()
    v = suite.compute(net, batch(), ["jacov", "epe_nas"], seed=0)
    assert math.isnan(v["jacov"]) and math.isnan(v["epe_nas"])
    assert math.isnan(suite.compute(linear_net(), batch(n=1), ["zico"], seed=0)["zico"])
