"""Small layers shared by the network families (each family's papers use the same few pieces)."""
from __future__ import annotations

import torch
from torch import nn


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


def relu_conv_bn(c_in: int, c_out: int, kernel: int, stride: int = 1, padding: int = 0) -> nn.Sequential:
    """ReLU -> bias-free conv -> BatchNorm: the op order of NB201/NATS-Bench and TransNAS-Bench-101 cells."""
    return nn.Sequential(nn.ReLU(inplace=False),
                         nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
                         nn.BatchNorm2d(c_out))


def conv_bn_relu(c_in: int, c_out: int, kernel: int, bn_momentum: float = 0.1, bn_eps: float = 1e-5) -> nn.Sequential:
    """Bias-free stride-1 conv with 'same' padding -> BatchNorm -> ReLU (NB101's ops, projections and stem)."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
                         nn.BatchNorm2d(c_out, eps=bn_eps, momentum=bn_momentum), nn.ReLU(inplace=False))
