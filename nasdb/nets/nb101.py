"""NB101 network (the official ``nasbench/lib/model_builder.py``, re-expressed in torch).

Stem: 3x3 conv-BN-ReLU with 128 channels. Three stacks of three cells; before stacks 2 and 3 a 2x2
max-pool halves the resolution and the cells' output channels double. Head: global average pooling
and a linear layer. Inside a cell the output's channels are split among the vertices feeding it
(:func:`nasdb.nets.nb101_split.vertex_channels`); the input reaches a vertex through a 1x1 conv-BN-ReLU projection, other
vertices are truncated to the receiving vertex's width (their first channels), the output
concatenates its inner in-vertices and adds the projected input when the input feeds it directly.
BatchNorm uses the official momentum (TF 0.997, torch 0.003) and epsilon (1e-5).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from nasdb.nets.counting import Size, linear, pool, total
from nasdb.nets.layers import conv_bn_relu, conv_bn_relu_size
from nasdb.nets.nb101_split import Matrix, vertex_channels, vertex_channels_array

BN_MOMENTUM = 1 - 0.997
BN_EPS = 1e-5
STEM_CHANNELS = 128
N_STACKS = 3
CELLS_PER_STACK = 3
OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")


def _conv(c_in: int, c_out: int, kernel: int) -> nn.Sequential:
    return conv_bn_relu(c_in, c_out, kernel, bn_momentum=BN_MOMENTUM, bn_eps=BN_EPS)


def projection(in_channels: int, out_channels: int) -> nn.Sequential:
    """How the cell input reaches a vertex: 1x1 conv-BN-ReLU to the vertex's width."""
    return _conv(in_channels, out_channels, 1)


def op(name: str, channels: int) -> nn.Module:
    """An inner vertex's op; its input already has the vertex's width, so ops keep the width."""
    if name == "conv3x3-bn-relu":
        return _conv(channels, channels, 3)
    if name == "conv1x1-bn-relu":
        return _conv(channels, channels, 1)
    if name == "maxpool3x3":
        return nn.MaxPool2d(3, stride=1, padding=1)
    raise ValueError(f"unknown NB101 op {name!r}; expected one of {', '.join(OPS)}")


class Cell(nn.Module):
    def __init__(self, matrix: Matrix, ops: Sequence[str], in_channels: int, out_channels: int):
        super().__init__()
        n = len(matrix)
        self.matrix = tuple(tuple(int(x) for x in row) for row in matrix)
        self.channels = vertex_channels(self.matrix, in_channels, out_channels)
        self.ops = nn.ModuleList([nn.Identity()] + [op(ops[t], self.channels[t]) for t in range(1, n - 1)])
        # 1x1 projections of the input, one per vertex the input feeds (the output's to out_channels)
        self.projections = nn.ModuleDict({str(t): projection(in_channels, self.channels[t])
                                          for t in range(1, n) if self.matrix[0][t]})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m, n = self.matrix, len(self.matrix)
        values = [x]
        for t in range(1, n - 1):
            inputs = [values[s][:, : self.channels[t]] for s in range(1, t) if m[s][t]]
            if m[0][t]:
                inputs.append(self.projections[str(t)](x))
            values.append(self.ops[t](sum(inputs[1:], inputs[0])))
        to_output = [values[s] for s in range(1, n - 1) if m[s][n - 1]]
        if not to_output:
            return self.projections[str(n - 1)](x)
        out = torch.cat(to_output, dim=1) if len(to_output) > 1 else to_output[0]
        return out + self.projections[str(n - 1)](x) if m[0][n - 1] else out


class Network(nn.Module):
    def __init__(self, matrix: Matrix, ops: Sequence[str], num_classes: int = 10):
        super().__init__()
        layers: list[nn.Module] = [_conv(3, STEM_CHANNELS, 3)]
        in_ch = out_ch = STEM_CHANNELS
        for stack in range(N_STACKS):
            if stack:
                layers.append(nn.MaxPool2d(2, stride=2))
                out_ch *= 2
            for _ in range(CELLS_PER_STACK):
                layers.append(Cell(matrix, ops, in_ch, out_ch))
                in_ch = out_ch
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(out_ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).mean(dim=(2, 3)))


def network(matrix: Matrix, ops: Sequence[str], num_classes: int = 10) -> Network:
    """The network of a pruned cell: upper-triangular adjacency ``matrix`` (vertex 0 input, last output)
    and one op name per vertex (``input``, ops from ``OPS``, ``output``)."""
    if len(matrix) != len(ops) or len(matrix) < 2:
        raise ValueError(f"an NB101 cell needs one op per vertex and >= 2 vertices; got {len(matrix)} and {len(ops)}")
    return Network(matrix, ops, num_classes)


def _cell_sizes(adjacency: np.ndarray, ops: np.ndarray, in_channels: int, out_channels: int, hw: int) -> Size:
    ch = vertex_channels_array(adjacency, in_channels, out_channels)
    inner = range(1, adjacency.shape[1] - 1)
    op_sizes = total(conv_bn_relu_size(ch[:, t], ch[:, t], 3, hw) * (ops[:, t] == 0)
                     + conv_bn_relu_size(ch[:, t], ch[:, t], 1, hw) * (ops[:, t] == 1)
                     + pool(ch[:, t], hw, 3) * (ops[:, t] == 2) for t in inner)
    projections = total(conv_bn_relu_size(in_channels, ch[:, t], 1, hw) * adjacency[:, 0, t]
                        for t in range(1, adjacency.shape[1]))
    return op_sizes + projections


def sizes(adjacency: np.ndarray, ops: np.ndarray, num_classes: int = 10) -> Size:
    """:func:`network`'s size for N cells at once, from the shapes alone: ``adjacency`` (N, V, V) 0/1 with
    the output last (vertices without edges, padding, may sit before it) and ``ops`` (N, V), each inner
    vertex's index in ``OPS`` (anything else where there is no op)."""
    side = 32
    out = conv_bn_relu_size(3, STEM_CHANNELS, 3, side * side)
    in_ch = out_ch = STEM_CHANNELS
    for stack in range(N_STACKS):
        if stack:
            side //= 2
            out = out + pool(out_ch, side * side, 2)
            out_ch *= 2
        for _ in range(CELLS_PER_STACK):
            out = out + _cell_sizes(adjacency, ops, in_ch, out_ch, side * side)
            in_ch = out_ch
    return out + linear(out_ch, num_classes)
