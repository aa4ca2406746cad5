"""The scoring formulas of the zero-cost proxies, on tensors the shared passes captured.

Pure functions (no network, no autograd): each takes what its paper's definition reads (weights and
gradients per layer, input Jacobians, ReLU codes, feature maps) and returns one float, or NaN when
the quantity is undefined for this network (the caller stores NULL with a note).
"""
from __future__ import annotations

import math

import numpy as np
import torch

JACOV_K = 1e-5
EPE_K = 1e-5


def grad_norm(grads: list[torch.Tensor]) -> float:
    return float(sum(g.norm() for g in grads))


def snip(weights: list[torch.Tensor], grads: list[torch.Tensor]) -> float:
    return float(sum((w * g).abs().sum() for w, g in zip(weights, grads)))


def plain(weights: list[torch.Tensor], grads: list[torch.Tensor]) -> float:
    return float(sum((w * g).sum() for w, g in zip(weights, grads)))


def grasp(weights: list[torch.Tensor], hessian_grads: list[torch.Tensor]) -> float:
    return float(sum((-w * hg).sum() for w, hg in zip(weights, hessian_grads)))


def fisher_layer(act: torch.Tensor, grad: torch.Tensor, weight_shape: torch.Size) -> float:
    """One layer's Fisher saliency: per channel 0.5 * mean_n (sum over positions of a*g)^2, each
    channel counted once per weight it owns (the zero-cost-nas broadcast)."""
    g_nk = (act * grad).sum(dim=tuple(range(2, act.dim()))) if act.dim() > 2 else act * grad
    per_channel = g_nk.pow(2).mean(0).mul(0.5).abs()
    return float(per_channel.sum()) * math.prod(weight_shape[1:])


def l2_norm(weights: list[torch.Tensor]) -> float:
    return float(sum(w.norm() for w in weights))


def synflow_log(total: float) -> float:
    """Suite-Zero stores SynFlow as a log: log(s) for s > 0, -log(-s) for s < 0, 0 for 0."""
    if total == 0:
        return 0.0
    return math.log(total) if total > 0 else -math.log(-total)


def _corrcoef(rows: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.corrcoef(rows)


def jacov(jacobians: np.ndarray) -> float:
    """-sum(log(v + k) + 1/(v + k)), v the eigenvalues of the samples' Jacobian correlation matrix."""
    corr = _corrcoef(jacobians.astype(np.float64))
    if not np.isfinite(corr).all():
        return math.nan  # a sample with a constant Jacobian: correlation undefined
    v = np.linalg.eigvalsh(corr)
    return float(-np.sum(np.log(v + JACOV_K) + 1.0 / (v + JACOV_K)))


def epe_nas(jacobians: np.ndarray, labels: np.ndarray, n_outputs: int) -> float:
    """EPE-NAS: per class c, s_c = sum log(|corr of c's Jacobians| + k); sum_c |s_c| for <= 100
    outputs, else the mean over classes of sum_c' |s_c - s_c'| with s_c divided by its class size
    (there, as in the reference, classes with a single sample in the batch are left out)."""
    scores = []
    for c in np.unique(labels):
        rows = jacobians[labels == c].astype(np.float64)
        if len(rows) == 1:
            if n_outputs > 100:
                continue
            corr = np.ones((1, 1))
        else:
            corr = _corrcoef(rows)
        s = float(np.sum(np.log(np.abs(corr) + EPE_K)))  # NaN if a Jacobian is constant, as the reference
        scores.append(s / len(corr) if n_outputs > 100 else s)
    if not scores:
        return math.nan
    s = np.array(scores)
    if n_outputs <= 100:
        return float(np.abs(s).sum())
    return float(np.abs(s[:, None] - s[None, :]).sum() / len(s))


def nwot(kernel: np.ndarray) -> float:
    """log|det K| of the ReLU agreement kernel."""
    sign, logdet = np.linalg.slogdet(kernel)
    return float(logdet) if sign != 0 else math.nan


def swap(codes: list[np.ndarray]) -> float:
    """Distinct activation patterns: ``codes`` are per-ReLU (units, bytes) bit-packed sample vectors."""
    if not codes:
        return math.nan  # no ReLU fed by a feature map
    allc = np.concatenate(codes, axis=0)
    width = -(-allc.shape[1] // 8) * 8  # pad each pattern to whole 64-bit words: integer sorting is fast
    words = np.zeros((len(allc), width), dtype=np.uint8)
    words[:, :allc.shape[1]] = allc
    words = words.view(np.uint64)
    return float(_distinct_rows(words))


def _distinct_rows(words: np.ndarray) -> int:
    """Number of distinct rows of a (rows, words) uint64 array, by sorting. numpy 2's hash-based
    ``np.unique`` took 12.5 s for 10 M one-word rows where a sort takes 0.3 s (NB101 has ~10 M units)."""
    if words.shape[1] == 1:
        s = np.sort(words[:, 0])
        return int(np.count_nonzero(s[1:] != s[:-1])) + 1 if len(s) else 0
    order = np.lexsort(words.T[::-1])
    s = words[order]
    return int(np.count_nonzero((s[1:] != s[:-1]).any(axis=1))) + 1 if len(s) else 0


def zico(grads_per_half: list[list[torch.Tensor]]) -> float:
    """sum over layers of log(sum over weights of mean|g| / std(g)), over the batch halves' gradients
    (weights whose gradient does not vary are left out; a layer whose sum is 0 adds nothing)."""
    total = 0.0
    for per_layer in zip(*grads_per_half):
        g = torch.stack([t.flatten() for t in per_layer]).double()
        std = g.std(0, unbiased=False)
        keep = std != 0
        s = float((g.abs().mean(0)[keep] / std[keep]).sum())
        if s > 0:
            total += math.log(s)
    return total


def meco_feature(fea: torch.Tensor) -> float:
    """Minimum eigenvalue of the channel correlation matrix of one feature map (C x H x W); NaN/inf
    correlations (constant channels) count as 0, as the reference does."""
    if fea.shape[0] < 2:
        return math.nan
    if fea[0].numel() < 2:
        return 0.0  # one position per channel: every correlation is undefined, so 0 as above
    corr = torch.corrcoef(fea.reshape(fea.shape[0], -1).double())
    corr = torch.nan_to_num(corr, nan=0.0, posinf=0.0, neginf=0.0)
    return float(torch.linalg.eigvalsh(corr).min())


def zen(features: torch.Tensor, mixed: torch.Tensor, bn_variances: list[torch.Tensor]) -> float:
    """log of the mean over the batch of sum |f(x) - f(x + 0.01 e)|, plus sum over BatchNorm layers of
    log sqrt(mean running variance)."""
    diff = (features - mixed).abs().flatten(1).sum(1).mean()
    bn = sum(float(torch.log(torch.sqrt(v.mean()))) for v in bn_variances)
    return float(torch.log(diff)) + bn
