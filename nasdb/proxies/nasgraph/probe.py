"""Block probing: which (input channel -> output channel) pairs of a block are graph edges.

NASGraph feeds a block alone a batch of one-hot channel inputs (input k: every pixel of channel k
is 1, all else 0), applies a ReLU if the block contains a convolution, sums each output channel
over its pixels, and draws an edge k -> j iff that sum is non-zero. Two ways to get the same
boolean matrix ``M[k, j]``:

* :func:`probe_reference` runs exactly that recipe (a real batch through the real block at the
  recorded input size). It exists to validate the fast way and to time against.
* :func:`probe_fast` uses the block's linearity: before the ReLU, the response of output j to
  one-hot input k is the block restricted to weight slice ``w[j, k]`` applied to an all-ones
  single-channel image, so all pairs come from one grouped op. After a ReLU an edge exists iff
  some pixel is positive, and the set of distinct pixel values only depends on which kernel taps
  fall on padding (borders, stride phase), so a small image of the same parity has the same set
  (:func:`reduced_size`). Blocks without a ReLU carry no weights, so their matrices are exact.

Weights are N(0, 1), no biases. :func:`block_weights` makes them deterministic per block (seeded
by the block's position, kind and shapes), which is what makes fast mode a function of the
architecture; reference mode can instead draw fresh weights from a generator per architecture.
"""
from __future__ import annotations

import hashlib

import numpy as np
import torch
import torch.nn.functional as F

from nasdb.surrogate.blocks import NONLINEAR_KINDS, Block

# The smallest image that shows every border/stride pattern of a 3x3 (de)convolution, stride <= 2.
MIN_PROBE_SIZE = 8


def block_seed(seed: int, block: Block) -> int:
    """A 63-bit seed that depends only on the run seed and the block's identity (never on Python's hash)."""
    digest = hashlib.sha256(repr((seed, tuple(block))).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def block_weights(block: Block, seed: int | None = None, generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """N(0, 1) weights: from ``generator`` (fresh, reference recipe) or seeded per block (deterministic)."""
    if generator is None:
        generator = torch.Generator().manual_seed(block_seed(seed or 0, block))
    return [torch.randn(shape, generator=generator) for shape in block.weight_shapes()]


def reduced_size(block: Block) -> int:
    """Input size for fast probing: same parity and border patterns as ``block.size``, at most ~8."""
    if block.size <= MIN_PROBE_SIZE + 1:
        return block.size
    return MIN_PROBE_SIZE + block.size % 2


# --- reference: the recipe as written ------------------------------------------------------------

def forward(block: Block, weights: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The block's forward pass on a batch ``x`` (N, c_in, H, W), ReLU included where the spec wants it."""
    kind = block.kind
    if kind == "conv":
        y = F.conv2d(x, weights[0], stride=block.stride, padding=block.padding)
    elif kind == "deconv":
        y = F.conv_transpose2d(x, weights[0], stride=2, padding=1, output_padding=1)
    elif kind == "pool_conv":
        y = F.conv2d(F.avg_pool2d(x, 2, 2), weights[0])
    elif kind == "factorized_reduce":
        shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        y = torch.cat([F.conv2d(x, weights[0], stride=block.stride),
                       F.conv2d(shifted, weights[1], stride=block.stride)], dim=1)
    elif kind in ("sep_conv", "dil_sep_conv"):
        d = 2 if kind == "dil_sep_conv" else 1
        dw1, pw1, dw2, pw2 = weights
        y = F.relu(F.conv2d(F.conv2d(x, dw1, stride=block.stride, padding=block.padding, dilation=d,
                                     groups=block.c_in), pw1))
        y = F.conv2d(F.conv2d(y, dw2, padding=block.padding, dilation=d, groups=block.c_in), pw2)
    elif kind == "dil_conv":
        y = F.conv2d(F.conv2d(x, weights[0], stride=block.stride, padding=block.padding, dilation=2,
                              groups=block.c_in), weights[1])
    elif kind == "conv_pair":
        p = block.padding
        y = F.conv2d(F.conv2d(x, weights[0], stride=(1, block.stride), padding=(0, p)), weights[1],
                     stride=(block.stride, 1), padding=(p, 0))
    elif kind == "identity":
        y = x
    elif kind == "zero":
        y = x.mul(0.0) if block.c_in == block.c_out else x.new_zeros((x.shape[0], block.c_out, 1, 1))
    elif kind == "avg_pool":
        y = F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
    elif kind == "avg_pool2d":
        y = F.avg_pool2d(x, block.kernel, block.stride, block.padding, count_include_pad=False)
    elif kind == "max_pool":
        y = F.max_pool2d(x, block.kernel, block.stride, block.padding)
    elif kind == "global_pool":
        y = F.adaptive_avg_pool2d(x, 1)
    else:
        raise ValueError(f"block {block.position}: kind {kind!r} cannot be probed")
    return F.relu(y) if block.relu else y


@torch.no_grad()
def probe_reference(block: Block, weights: list[torch.Tensor], n_inputs: int | None = None,
                    shift: int = 0) -> np.ndarray:
    """Edge matrix (n_inputs x c_out) from a real batch of one-hot inputs at the block's input size.

    ``n_inputs`` = the parent's channel count (default ``c_in``), truncated to what fits after ``shift``.
    """
    n = min(n_inputs or block.c_in, block.c_in - shift)
    x = torch.zeros(n, block.c_in, block.size, block.size)
    x[torch.arange(n), torch.arange(n) + shift] = 1.0
    return (forward(block, weights, x).sum(dim=(2, 3)) != 0).numpy()


# --- fast: all (input, output) pairs at once on a small image ------------------------------------

def _pairwise_conv(ones: torch.Tensor, w: torch.Tensor, stride: int, padding: int) -> torch.Tensor:
    """Response maps (c_in, c_out, H', W') of each weight slice w[j, k] to an all-ones image."""
    c_out, c_in, k, _ = w.shape
    y = F.conv2d(ones, w.transpose(0, 1).reshape(c_in * c_out, 1, k, k), stride=stride, padding=padding)
    return y.reshape(c_in, c_out, *y.shape[-2:])


def _pairwise_maps(block: Block, weights: list[torch.Tensor], size: int) -> torch.Tensor:
    ones = torch.ones(1, 1, size, size)
    kind = block.kind
    if kind == "conv":
        return _pairwise_conv(ones, weights[0], block.stride, block.padding)
    if kind == "deconv":
        w = weights[0]
        y = F.conv_transpose2d(ones, w.reshape(1, -1, *w.shape[-2:]), stride=2, padding=1, output_padding=1)
        return y.reshape(block.c_in, block.c_out, *y.shape[-2:])
    if kind == "pool_conv":
        return _pairwise_conv(F.avg_pool2d(ones, 2, 2), weights[0], 1, 0)
    if kind == "factorized_reduce":
        shifted = F.pad(ones, (0, 1, 0, 1))[:, :, 1:, 1:]
        return torch.cat([_pairwise_conv(ones, weights[0], block.stride, 0),
                          _pairwise_conv(shifted, weights[1], block.stride, 0)], dim=1)
    eye = torch.eye(block.c_in, block.c_out)[:, :, None, None]
    if kind in ("identity", "avg_pool", "avg_pool2d", "max_pool", "global_pool"):
        return eye  # each is exactly 1 at every pixel of channel k (pooling ones gives ones), so k -> k only
    if kind == "zero":
        return torch.zeros_like(eye)
    raise ValueError(f"block {block.position}: kind {kind!r} cannot be probed")


@torch.no_grad()
def probe_fast(block: Block, weights: list[torch.Tensor]) -> np.ndarray:
    """Edge matrix (c_in x c_out) for all one-hot inputs, from pairwise responses on a reduced image.

    Blocks that are not linear before their output ReLU (and the DARTS-family conv ops, whose
    border patterns span two convolutions) are probed with the real batch at their real size."""
    if block.kind in NONLINEAR_KINDS or block.kind in ("dil_conv", "conv_pair"):
        return probe_reference(block, weights)
    y = _pairwise_maps(block, weights, reduced_size(block))
    if block.relu:
        return (y > 0).flatten(2).any(dim=2).numpy()
    return (y.sum(dim=(2, 3)) != 0).numpy()
