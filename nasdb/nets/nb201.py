"""NB201 / NATS-Bench topology network (the official ``TinyNetwork`` with inferred cells).

Stem: 3x3 conv (16 channels) + BN. Three stages of ``n_cells`` cells at 16/32/64 channels, with a
ResNet basic block (stride 2, channels doubling, avg-pool + 1x1-conv shortcut) between stages. Head:
BN + ReLU, global average pooling, linear classifier. A cell is a 4-node DAG; node j sums its
edges' ops applied to nodes i < j; the cell outputs node 3.
"""
from __future__ import annotations

import torch
from torch import nn

from collections.abc import Mapping

from nasdb.nets.counting import Count, Size, batchnorm, conv, global_pool, linear, pool, relu, total
from nasdb.nets.layers import Zero, relu_conv_bn, relu_conv_bn_size

# edges (source, target) in the order the cell's ops are given
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))


def op(name: str, channels: int) -> nn.Module:
    """A stride-1 cell op at ``channels`` channels (inside a cell input and output widths agree)."""
    if name == "nor_conv_3x3":
        return relu_conv_bn(channels, channels, 3, padding=1)
    if name == "nor_conv_1x1":
        return relu_conv_bn(channels, channels, 1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    if name == "skip_connect":
        return nn.Identity()
    if name == "none":
        return Zero(channels)
    raise ValueError(f"unknown NB201 op {name!r}")


class Cell(nn.Module):
    def __init__(self, ops: tuple[str, ...], channels: int):
        super().__init__()
        self.edges = nn.ModuleList(op(name, channels) for name in ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in (1, 2, 3):
            nodes.append(sum(self.edges[k](nodes[i]) for k, (i, t) in enumerate(EDGES) if t == j))
        return nodes[3]


class ResNetBasicBlock(nn.Module):
    """The stride-2 reduction block between stages: two ReLU-conv-BN plus an avg-pool + 1x1-conv shortcut."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv_a = relu_conv_bn(c_in, c_out, 3, stride=2, padding=1)
        self.conv_b = relu_conv_bn(c_out, c_out, 3, padding=1)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, stride=2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class TinyNetwork(nn.Module):
    def __init__(self, ops: tuple[str, ...], num_classes: int, channels: int = 16, n_cells: int = 5):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
        layers: list[nn.Module] = []
        for stage in range(3):
            if stage:
                layers.append(ResNetBasicBlock(channels, 2 * channels))
                channels *= 2
            layers.extend(Cell(ops, channels) for _ in range(n_cells))
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.lastact(self.cells(self.stem(x))))
        return self.classifier(x.flatten(1))


def network(ops: tuple[str, ...], num_classes: int, channels: int = 16, n_cells: int = 5) -> TinyNetwork:
    """The network of a cell given as its 6 ops in ``EDGES`` order (the official string's order)."""
    if len(ops) != len(EDGES):
        raise ValueError(f"an NB201 cell has {len(EDGES)} ops, got {len(ops)}")
    return TinyNetwork(tuple(ops), num_classes, channels, n_cells)


def op_size(name: str, channels: int, side: int) -> Size:
    """:func:`op`'s size on a ``side`` x ``side`` map."""
    if name in ("nor_conv_3x3", "nor_conv_1x1"):
        k = 3 if name == "nor_conv_3x3" else 1
        return relu_conv_bn_size(channels, channels, k, side, padding=k // 2)[0]
    if name == "avg_pool_3x3":
        return pool(channels, side * side, 3)
    if name in ("skip_connect", "none"):
        return Size()
    raise ValueError(f"unknown NB201 op {name!r}")


def size(op_counts: Mapping[str, Count], num_classes: int, side: int = 32, channels: int = 16,
         n_cells: int = 5) -> Size:
    """:func:`network`'s size, from how many of the cell's edges carry each op (every edge maps C to C
    channels at its stage's resolution, so the counts are all that matter; a count may be an array)."""
    out = conv(3, channels, 3, side * side) + batchnorm(channels, side * side)
    for stage in range(3):
        if stage:
            a, half = relu_conv_bn_size(channels, 2 * channels, 3, side, 2, 1)
            b, _ = relu_conv_bn_size(2 * channels, 2 * channels, 3, half, 1, 1)
            shortcut = pool(channels, half * half, 2) + conv(channels, 2 * channels, 1, half * half)
            out = out + a + b + shortcut
            channels, side = 2 * channels, half
        out = out + n_cells * total(op_size(name, channels, side) * k for name, k in op_counts.items())
    hw = side * side
    return (out + batchnorm(channels, hw) + relu(channels, hw) + global_pool(channels, hw)
            + linear(channels, num_classes))
