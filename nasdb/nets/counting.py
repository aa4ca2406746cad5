"""What a layer costs, from its shape alone: trainable parameters, operations of one image's forward,
and whether it is a Conv2d/Linear layer.

The operation rules are those of the torchstat counter NAS-Bench-Suite-Zero used (the ``flops``
zero-cost proxy): Conv2d/Linear multiply-accumulates (+1 per output with a bias), BatchNorm 1 per
element (2 if affine), ReLU 1 per input element, k x k pooling k*k per output element, global
average pooling 1 per input element; nothing else counts (sums, concatenations, LeakyReLU, Tanh,
transposed convolutions, functional ops). The zero-cost proxies' counter reads a built network's
modules through these same functions, and each network module in ``nasdb/nets`` writes its
architectures' :class:`Size` with them in closed form, so no network has to be built to know it.

Every argument may be a numpy array (one entry per architecture), so whole spaces count at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Count = Any  # an int, or an integer numpy array with one entry per architecture


@dataclass(frozen=True)
class Size:
    """Trainable parameters, operations of one image's forward, Conv2d + Linear layers."""

    params: Count = 0
    flops: Count = 0
    layers: Count = 0

    def __add__(self, other: Size) -> Size:
        return Size(self.params + other.params, self.flops + other.flops, self.layers + other.layers)

    def __mul__(self, times: Count) -> Size:
        """This size ``times`` over (a count, or a 0/1 mask per architecture)."""
        return Size(self.params * times, self.flops * times, self.layers * times)

    __rmul__ = __mul__


def total(sizes) -> Size:
    out = Size()
    for s in sizes:
        out = out + s
    return out


def stack(sizes) -> Size:
    """One architecture's :class:`Size` each -> one Size of int64 arrays, an entry per architecture."""
    import numpy as np

    sizes = list(sizes)
    return Size(*(np.array([getattr(s, f) for s in sizes], dtype=np.int64) for f in ("params", "flops", "layers")))


def out_size(size: Count, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> Count:
    """Output length of a convolution or pooling window along one axis (torch's formula, floor mode)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv(c_in: Count, c_out: Count, kernel: int | tuple[int, int], out_hw: Count, bias: bool = False,
         groups: int = 1) -> Size:
    """A Conv2d producing ``out_hw`` positions (height x width) of ``c_out`` channels."""
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    per_output = (c_in // groups) * kh * kw + int(bias)
    return Size(c_out * per_output, out_hw * c_out * per_output, 1)


def linear(n_in: Count, n_out: Count, bias: bool = True) -> Size:
    return Size(n_out * (n_in + int(bias)), n_out * (n_in + int(bias)), 1)


def batchnorm(channels: Count, hw: Count, affine: bool = True) -> Size:
    return Size(2 * channels if affine else 0, hw * channels * (2 if affine else 1))


def relu(channels: Count, hw: Count) -> Size:
    return Size(flops=hw * channels)


def pool(channels: Count, out_hw: Count, kernel: int | tuple[int, int]) -> Size:
    """Max or average pooling over a ``kernel`` window, ``out_hw`` output positions."""
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    return Size(flops=out_hw * channels * kh * kw)


def global_pool(channels: Count, hw: Count) -> Size:
    """Adaptive average pooling to 1x1: one operation per input element."""
    return Size(flops=hw * channels)


def deconv(c_in: Count, c_out: Count, kernel: int, bias: bool = True) -> Size:
    """A ConvTranspose2d: its parameters only (torchstat's rules count no operations for it, and it is
    not a Conv2d layer)."""
    return Size(params=c_in * c_out * kernel * kernel + (c_out if bias else 0))
