"""Small layers shared by the network families (each family's papers use the same few pieces)."""
from __future__ import annotations

import torch
from torch import nn

from nasdb.nets.counting import Count, Size, batchnorm, conv, out_size, relu


class Zero(nn.Module):
    """The ``none`` op: a zero tensor of the op's output shape (kept in the graph, as in the official code)."""

    def __init__(self, c_out: int, stride: int = 1):
        super().__init__()
        self.c_out, self.stride = c_out, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        if x.shape[1] != self.c_out:
            return x.new_zeros(x.shape[0], self.c_out, *x.shape[2:])
        return x.mul(0.0)


def relu_conv_bn(c_in: int, c_out: int, kernel: int | tuple, stride: int | tuple = 1,
                 padding: int | tuple = 0, affine: bool = True) -> nn.Sequential:
    """ReLU -> bias-free conv -> BatchNorm: the op order of NB201/NATS-Bench, DARTS and TransNAS-Bench-101."""
    return nn.Sequential(nn.ReLU(inplace=False),
                         nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
                         nn.BatchNorm2d(c_out, affine=affine))


def relu_conv_bn_size(c_in: Count, c_out: Count, kernel: int, side: Count, stride: int = 1, padding: int = 0,
                      affine: bool = True) -> tuple[Size, Count]:
    """:func:`relu_conv_bn`'s size on a ``side`` x ``side`` input, and its output side."""
    o = out_size(side, kernel, stride, padding)
    return relu(c_in, side * side) + conv(c_in, c_out, kernel, o * o) + batchnorm(c_out, o * o, affine), o


class FactorizedReduce(nn.Module):
    """ReLU, two stride-2 1x1 convs (the second one a pixel shifted, zero-padded at the far edge)
    concatenated, BN: a skip connection that halves the resolution. DARTS shifts without padding,
    which gives the same values on even sizes; the padding (TransNAS-Bench-101's) also fits odd ones."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        shifted = nn.functional.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1))


def factorized_reduce_size(c_in: Count, c_out: int, side: Count, affine: bool = True) -> tuple[Size, Count]:
    """:class:`FactorizedReduce`'s size on a ``side`` x ``side`` input, and its output side."""
    o = out_size(side, 1, 2)
    return (relu(c_in, side * side) + conv(c_in, c_out // 2, 1, o * o) + conv(c_in, c_out - c_out // 2, 1, o * o)
            + batchnorm(c_out, o * o, affine)), o


def conv_bn_relu(c_in: int, c_out: int, kernel: int, bn_momentum: float = 0.1, bn_eps: float = 1e-5) -> nn.Sequential:
    """Bias-free stride-1 conv with 'same' padding -> BatchNorm -> ReLU (NB101's ops, projections and stem)."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
                         nn.BatchNorm2d(c_out, eps=bn_eps, momentum=bn_momentum), nn.ReLU(inplace=False))


def conv_bn_relu_size(c_in: Count, c_out: Count, kernel: int, hw: Count) -> Size:
    """:func:`conv_bn_relu`'s size at ``hw`` positions (it keeps the resolution)."""
    return conv(c_in, c_out, kernel, hw) + batchnorm(c_out, hw) + relu(c_out, hw)
