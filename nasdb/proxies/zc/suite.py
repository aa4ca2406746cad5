"""Every requested zero-cost proxy of one network on one batch, with the passes shared between them.

Passes, each run only if a requested proxy needs it (``PASSES``):

* weights (no forward): params, n_trainable_layers, l2_norm.
* shapes: flops is counted from the Conv2d/Linear output sizes seen in whichever forward runs first
  (a one-image forward under ``no_grad`` in eval mode if no other pass runs).
* batch: ONE forward of the batch (recording for autograd only if a requested proxy differentiates;
  the input requiring grad only for jacov/epe_nas) with hooks on the ReLUs (nwot's kernel, swap's
  patterns) and on the Conv2d/Linear outputs (fisher), then (a) the input gradient of the summed
  output -> jacov, epe_nas; (b) the loss gradient w.r.t. the Conv2d/Linear weights and the caught
  outputs -> grad_norm, snip, plain, fisher (activations x their gradients); (c) if grasp is asked,
  that gradient is taken with ``create_graph`` and differentiated once more (Hessian-gradient
  product, double backward: cheaper here than forward-over-reverse, see docs/benchmarks.md). The
  reference's grasp computes its g in a separate first pass; on the same init and batch it is this
  same loss gradient, so here it is read from the one backward.
* halves: two loss backward passes on the two halves of the batch -> zico.
* first sample: a ``no_grad`` forward of the batch's first image -> meco (its definition is per image).
* synflow: |weights|, BatchNorm bypassed, float64, an all-ones input; changes the weights.
* zen: weights re-drawn N(0, 1), two Gaussian inputs under ``no_grad``; changes the weights. Its
  features are the input of the last AdaptiveAvgPool2d, else the last 4-D feature map produced (else the output). The
  BatchNorm term reads the running variance each BatchNorm would hold after these two forwards from
  fresh statistics (momentum 0.1), as the Zen-NAS code does, whether or not the layer tracks it.
The network is in train mode throughout (BatchNorm on batch statistics), as in the reference code.
``compute`` consumes the network (synflow and zen rewrite its weights): build one per call.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from nasdb.nets import counting
from nasdb.proxies.zc import measures, registry
from nasdb.proxies.zc.data import Batch

WEIGHTED = (nn.Conv2d, nn.Linear)
ZEN_MIXUP = 0.01

PASSES = {
    "weights": ("params", "n_trainable_layers", "l2_norm"),
    "batch": ("nwot", "swap", "jacov", "epe_nas", "grad_norm", "snip", "plain", "grasp", "fisher"),
    "halves": ("zico",),
    "first_sample": ("meco",),
    "synflow": ("synflow",),
    "zen": ("zen",),
}
_FORWARD_PASSES = ("batch", "halves", "first_sample")


def weighted_layers(net: nn.Module) -> list[nn.Module]:
    """The layers the weight-based proxies sum over (Conv2d and Linear, as the reference code)."""
    return [m for m in net.modules() if isinstance(m, WEIGHTED)]


def n_outputs(net: nn.Module) -> int:
    """Output width of the network's last Linear or conv layer (classes, regression outputs, or the
    channels of a dense head)."""
    last = [m for m in net.modules() if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
    if not last:
        raise ValueError("the network has no Linear or conv layer to read its output width from")
    return last[-1].out_features if isinstance(last[-1], nn.Linear) else last[-1].out_channels


def compute(net: nn.Module, batch: Batch, names: list[str] | tuple[str, ...], seed: int,
            loss_fn: Callable = F.cross_entropy) -> dict[str, float]:
    """{proxy: value} for ``names`` (NaN where undefined). ``seed`` drives zen's Gaussian draws.

    Consumes ``net``. Each value equals what computing that proxy alone on a fresh copy of the same
    network and batch gives (tests check it), so sharing passes never changes a number.
    """
    want = set(registry.check(names))
    needed = [p for p, covers in PASSES.items() if want & set(covers)]
    out: dict[str, float] = {}
    net.train()
    layers = weighted_layers(net)
    flops = _FlopCounter(net) if "flops" in want else None
    if "weights" in needed:
        out.update(_weights(net, layers, want))
    if flops is not None and not set(needed) & set(_FORWARD_PASSES):
        with torch.no_grad():
            net.eval()
            net(batch.x[:1])
            net.train()
    if "batch" in needed:
        out.update(_batch_pass(net, layers, batch, loss_fn, want))
    if "halves" in needed:
        out["zico"] = _zico(net, layers, batch, loss_fn)
    if "first_sample" in needed:
        out["meco"] = _meco(net, batch.x[:1])
    if flops is not None:
        out["flops"] = flops.close()
    if "synflow" in needed:
        out["synflow"] = _synflow(net, layers, tuple(batch.x.shape[1:]))
    if "zen" in needed:
        out["zen"] = _zen(net, tuple(batch.x.shape), seed)
    return {n: out[n] for n in registry.NAMES if n in want}


class _FlopCounter:
    """Operations of one image in the first forward, with the rules of the torchstat counter
    (tensorwatch) that NAS-Bench-Suite-Zero used: Conv2d/Linear multiply-accumulates (+1 per output
    for a bias), BatchNorm 1 per element (2 if affine), ReLU 1 per element, pooling k*k per output
    element (global pooling: 1 per input element)."""

    def __init__(self, net: nn.Module):
        self.ops = 0.0
        self.done = False
        self.handles = [m.register_forward_hook(self._hook) for m in net.modules() if isinstance(m, _COUNTED)]
        self.handles.append(net.register_forward_hook(self._finish))

    def _finish(self, *args) -> None:
        self.done = True

    def _hook(self, m: nn.Module, inputs, output: torch.Tensor) -> None:
        if not self.done:
            self.ops += _ops(m, inputs[0][0], output[0])

    def close(self) -> float:
        for h in self.handles:
            h.remove()
        return self.ops / 1e6


_COUNTED = (nn.Conv2d, nn.Linear, _BatchNorm, nn.ReLU, nn.AvgPool2d, nn.MaxPool2d, nn.AdaptiveAvgPool2d)


def _ops(m: nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    """Operations of module ``m`` for one image (``x``, ``y``: its input and output without batch dim),
    by the rules of :mod:`nasdb.nets.counting` (which also counts networks without building them)."""
    if isinstance(m, nn.Conv2d):
        return counting.conv(m.in_channels, m.out_channels, m.kernel_size, y[0].numel(), m.bias is not None,
                             m.groups).flops
    if isinstance(m, nn.Linear):
        return counting.linear(m.in_features, m.out_features, m.bias is not None).flops * (y.numel() // m.out_features)
    if isinstance(m, _BatchNorm):
        return counting.batchnorm(x.shape[0], x[0].numel(), m.affine).flops
    if isinstance(m, nn.ReLU):
        return counting.relu(x.shape[0], x[0].numel()).flops
    if isinstance(m, nn.AdaptiveAvgPool2d):
        return counting.global_pool(x.shape[0], x[0].numel()).flops
    return counting.pool(y.shape[0], y[0].numel(), m.kernel_size).flops


def _weights(net: nn.Module, layers: list[nn.Module], want: set[str]) -> dict[str, float]:
    """Read from the modules alone (sizes need no values, so this also works on the meta device)."""
    out = {"params": sum(p.numel() for p in net.parameters() if p.requires_grad) / 1e6,
           "n_trainable_layers": float(len(layers))}
    if "l2_norm" in want:
        with torch.no_grad():
            out["l2_norm"] = measures.l2_norm([m.weight for m in layers])
    return out


def _batch_pass(net: nn.Module, layers: list[nn.Module], batch: Batch, loss_fn: Callable,
                want: set[str]) -> dict[str, float]:
    """ONE forward of the batch for every proxy that reads it, recording for autograd only what a
    requested proxy differentiates: hooks catch the ReLU codes (nwot, swap) and the Conv2d/Linear
    outputs (fisher); then the input gradient of the summed output (jacov, epe_nas) and the loss
    gradient w.r.t. the weights and the caught outputs (grad_norm, snip, plain, fisher). For grasp
    that gradient is taken with ``create_graph`` and differentiated once more (Hessian-gradient
    product): its g is the same loss gradient of the same network and batch, so grasp's first stage
    costs nothing extra. Train mode, as the reference code: BatchNorm on batch statistics, so a
    forward's values do not depend on which proxies ride on it."""
    jac = bool(want & {"jacov", "epe_nas"})
    weight_grads = bool(want & {"grad_norm", "snip", "plain", "grasp"})
    fisher = "fisher" in want
    n = len(batch.x)
    kernel = np.zeros((n, n)) if "nwot" in want else None
    packed: list[np.ndarray] = []
    acts: list[tuple[nn.Module, torch.Tensor]] = []

    def relu_hook(m, inputs, output):
        active = (inputs[0] > 0).reshape(n, -1)
        if "swap" in want and inputs[0].dim() == 4:  # swap reads ReLUs fed by feature maps
            # one row of sample bits per unit: pack along contiguous rows (packing across the batch
            # axis of the (n, units) array strides through memory and cost NB101 ~1.4 s per arch)
            packed.append(np.packbits(active.T.contiguous().cpu().numpy(), axis=1))
        if kernel is not None:
            a = active.float()
            ones = a.sum(1).double()
            # agreements a a^T + (1 - a)(1 - a)^T = 2 a a^T + D - ones_i - ones_j: one matmul, exact in
            # float32 (integer counts below 2^24 per layer), accumulated in float64
            kernel[:] += (2 * (a @ a.T).double() + a.shape[1] - ones[:, None] - ones[None, :]).cpu().numpy()

    def layer_hook(m, inputs, output):
        if output.requires_grad:
            acts.append((m, output))

    handles = [m.register_forward_hook(relu_hook) for m in net.modules()
               if isinstance(m, nn.ReLU) and want & {"nwot", "swap"}]
    handles += [m.register_forward_hook(layer_hook) for m in layers] if fisher else []
    out: dict[str, float] = {}
    # parameters record for autograd only if a weight or layer-output gradient is asked for
    frozen = [p for p in net.parameters() if p.requires_grad] if not (weight_grads or fisher) else []
    try:
        for p in frozen:
            p.requires_grad_(False)
        x = batch.x.clone().requires_grad_(True) if jac else batch.x
        with torch.set_grad_enabled(jac or weight_grads or fisher):
            y = net(x)
        if kernel is not None:
            out["nwot"] = measures.nwot(kernel)
        if "swap" in want:
            out["swap"] = measures.swap(packed)
        if jac:
            (jx,) = torch.autograd.grad(y.sum(), x, retain_graph=weight_grads or fisher)
            jx = jx.reshape(len(jx), -1).cpu().numpy()
            out["jacov"] = measures.jacov(jx)
            out["epe_nas"] = measures.epe_nas(jx, batch.y.cpu().numpy(), y.shape[-1]) \
                if batch.y.dim() == 1 and not batch.y.is_floating_point() else math.nan  # class labels only
        if weight_grads or fisher:
            out.update(_loss_gradient(y, batch.y, loss_fn, layers if weight_grads else [], acts, want))
    finally:
        for h in handles:
            h.remove()
        for p in frozen:
            p.requires_grad_(True)
    return {k: v for k, v in out.items() if k in want}


def _loss_gradient(y: torch.Tensor, target: torch.Tensor, loss_fn: Callable, layers: list[nn.Module],
                   acts: list[tuple[nn.Module, torch.Tensor]], want: set[str]) -> dict[str, float]:
    """The loss gradient w.r.t. the ``layers``' weights and the caught layer outputs ``acts``, one
    backward (a second one, through the first, for grasp)."""
    second = "grasp" in want
    weights = [m.weight for m in layers]
    raw = torch.autograd.grad(loss_fn(y, target), weights + [a for _, a in acts], create_graph=second,
                              allow_unused=True)
    out: dict[str, float] = {}
    if acts:
        out["fisher"] = sum(measures.fisher_layer(a.detach(), g.detach(), m.weight.shape)
                            for (m, a), g in zip(acts, raw[len(weights):]) if g is not None)
    if not weights:
        return out
    raw = raw[:len(weights)]
    grads = [torch.zeros_like(w) if g is None else g.detach() for w, g in zip(weights, raw)]
    wd = [w.detach() for w in weights]
    out.update(grad_norm=measures.grad_norm(grads), snip=measures.snip(wd, grads), plain=measures.plain(wd, grads))
    if second:
        z = sum((g * r).sum() for g, r in zip(grads, raw) if r is not None)
        hg = torch.autograd.grad(z, weights, allow_unused=True) if torch.is_tensor(z) and z.requires_grad \
            else [None] * len(weights)
        out["grasp"] = measures.grasp(wd, [torch.zeros_like(w) if h is None else h for w, h in zip(wd, hg)])
    return out


def _zico(net: nn.Module, layers: list[nn.Module], batch: Batch, loss_fn: Callable) -> float:
    n = len(batch.x)
    if n < 2:
        return math.nan
    halves = []
    weights = [m.weight for m in layers]
    for sl in (slice(0, n // 2), slice(n // 2, n)):
        raw = torch.autograd.grad(loss_fn(net(batch.x[sl]), batch.y[sl]), weights, allow_unused=True)
        halves.append([torch.zeros_like(w) if g is None else g.detach() for w, g in zip(weights, raw)])
    return measures.zico(halves)


def _meco(net: nn.Module, x1: torch.Tensor) -> float:
    values: list[float] = []

    def hook(m, inputs, output):
        if torch.is_tensor(output) and output.dim() == 4:
            values.append(measures.meco_feature(output[0]))

    handles = [m.register_forward_hook(hook) for m in net.modules()]
    try:
        with torch.no_grad():
            net(x1)
    finally:
        for h in handles:
            h.remove()
    finite = [v for v in values if math.isfinite(v)]
    return float(sum(finite)) if finite else math.nan


def _synflow(net: nn.Module, layers: list[nn.Module], shape: tuple[int, ...]) -> float:
    net.double()
    with torch.no_grad():
        for t in net.state_dict().values():
            if t.is_floating_point():
                t.abs_()
    bns = [m for m in net.modules() if isinstance(m, _BatchNorm)]
    for m in bns:
        m.forward = _identity  # the definition removes BatchNorm (reference: synflow with bn=False)
    try:
        net.zero_grad(set_to_none=True)
        net(torch.ones((1, *shape), dtype=torch.float64, device=_device(net))).sum().backward()
        total = sum(float((m.weight.detach() * m.weight.grad).abs().sum()) for m in layers if m.weight.grad is not None)
    finally:
        for m in bns:
            del m.forward
        net.zero_grad(set_to_none=True)
        net.float()
    return measures.synflow_log(total)


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def _device(net: nn.Module) -> torch.device:
    """Where the network lives (``--device``); tensors a proxy makes itself go there too."""
    return next(net.parameters()).device


def _zen(net: nn.Module, shape: tuple[int, ...], seed: int) -> float:
    g = torch.Generator(device=_device(net)).manual_seed(seed)  # CPU: the same stream as ever
    net.float()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, WEIGHTED):
                nn.init.normal_(m.weight, generator=g)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, _BatchNorm) and m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        x = torch.randn(shape, generator=g, device=g.device)
        mixed = x + ZEN_MIXUP * torch.randn(shape, generator=g, device=g.device)
        variances: dict[nn.Module, list[torch.Tensor]] = {}
        feats: list[torch.Tensor] = []
        maps: list[torch.Tensor] = []
        pools = [m for m in net.modules() if isinstance(m, nn.AdaptiveAvgPool2d)]
        bns = [m for m in net.modules() if isinstance(m, _BatchNorm)]

        def bn_hook(m, inputs):
            variances.setdefault(m, []).append(inputs[0].var(dim=[0, *range(2, inputs[0].dim())], unbiased=True))

        def pool_hook(m, inputs):
            feats.append(inputs[0])

        def map_hook(m, inputs, output):
            if torch.is_tensor(output) and output.dim() == 4:
                maps.append(output)

        handles = [m.register_forward_pre_hook(bn_hook) for m in bns]
        if pools:
            handles.append(pools[-1].register_forward_pre_hook(pool_hook))
        else:  # no pooling module (pooling in forward, or a dense head): the last feature map computed
            handles += [m.register_forward_hook(map_hook) for m in net.modules()]
        try:
            for inp in (x, mixed):
                y = net(inp)
                if not pools:
                    feats.append(maps[-1] if maps else y)
                    maps.clear()
        finally:
            for h in handles:
                h.remove()
        # the running variance each BatchNorm holds after the two forwards from fresh statistics (1),
        # which is what the reference code reads
        running = []
        for m in bns:
            mom = 0.1 if m.momentum is None else m.momentum
            v = torch.ones_like(variances[m][0])
            for batch_var in variances[m]:
                v = (1 - mom) * v + mom * batch_var
            running.append(v)
        return measures.zen(feats[0].reshape(len(x), -1), feats[1].reshape(len(x), -1), running)
