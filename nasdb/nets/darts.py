"""The DARTS CIFAR evaluation network (Liu et al., ICLR 2019), as NB301 and NDS trained it.

``NetworkCIFAR``: a 3x3 stem conv to ``3 * width`` channels + BN, then ``layers`` cells with
reduction cells (channels doubled, stride 2 on ops reading the cell inputs) at ``layers // 3`` and
``2 * layers // 3``; each cell preprocesses its two inputs with ReLU-1x1 conv-BN (a factorized
reduction after a reduction cell), each intermediate node sums two ops, and the cell concatenates
its ``concat`` nodes. Global average pooling and a linear classifier close it; the auxiliary head
(after cell ``2 * layers // 3``) is built only when asked for.

NB301 trained this network with 32 initial channels and 8 cells. Ops take a decoded genotype
(``nasdb.spaces.nb301.Genotype``) and know nothing of benchmark ids. Covers the op names of the
DARTS code and of pycls' NAS models (used by NDS): pools, identity/factorized reduce, sep/dil
convs, plain convs and the 1xk-kx1 conv pair.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import NamedTuple

import torch
from torch import nn

from nasdb.nets.counting import Size, batchnorm, conv, global_pool, linear, out_size, pool, relu, total
from nasdb.nets.layers import FactorizedReduce, Zero, factorized_reduce_size, relu_conv_bn, relu_conv_bn_size


def dil_conv(c: int, kernel: int, stride: int, padding: int, dilation: int, affine: bool = True) -> nn.Sequential:
    return nn.Sequential(nn.ReLU(inplace=False),
                         nn.Conv2d(c, c, kernel, stride, padding, dilation=dilation, groups=c, bias=False),
                         nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c, affine=affine))


def sep_conv(c: int, kernel: int, stride: int, padding: int, dilation: int = 1, affine: bool = True) -> nn.Sequential:
    """Two stacked (ReLU, depthwise conv, 1x1 conv, BN); only the first one strided."""
    return nn.Sequential(*dil_conv(c, kernel, stride, padding, dilation, affine),
                         *dil_conv(c, kernel, 1, padding, dilation, affine))


class OpSpec(NamedTuple):
    """What an op name says: its kind and, for convs and pools, kernel, padding and dilation."""
    kind: str  # none, skip_connect, conv_pair, max_pool, avg_pool, conv, sep_conv, dil_conv, dil_sep_conv
    k: int = 0
    padding: int = 0
    dilation: int = 1


@functools.cache
def op_spec(name: str) -> OpSpec:
    """Parse an op name once, for both :func:`op` (the module) and :func:`op_size` (its count), so the two
    cannot disagree on a kernel, padding or dilation (names are validated by the space; an unknown one is a
    bug here)."""
    if name in ("none", "skip_connect"):
        return OpSpec(name)
    pair = re.match(r"^conv_(\d)x1_1x\1$", name)
    if pair:
        k = int(pair.group(1))
        return OpSpec("conv_pair", k, k // 2)
    m = re.match(r"^(sep_conv|dil_conv|dil_sep_conv|conv|max_pool|avg_pool)_(\d)x\2$", name)
    if not m:
        raise ValueError(f"no DARTS-family op named {name!r}")
    kind, k = m.group(1), int(m.group(2))
    if kind in ("max_pool", "avg_pool"):
        return OpSpec(kind, k, k // 2 if k > 2 else 0)
    if kind in ("conv", "sep_conv"):
        return OpSpec(kind, k, k // 2)
    return OpSpec(kind, k, k - 1, 2)  # dil_conv, dil_sep_conv


def op(name: str, c: int, stride: int, affine: bool = True) -> nn.Module:
    """One cell op on ``c`` channels."""
    s = op_spec(name)
    if s.kind == "none":
        return Zero(c, stride)
    if s.kind == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c, affine)
    if s.kind == "conv_pair":
        return nn.Sequential(nn.ReLU(inplace=False),
                             nn.Conv2d(c, c, (1, s.k), stride=(1, stride), padding=(0, s.padding), bias=False),
                             nn.Conv2d(c, c, (s.k, 1), stride=(stride, 1), padding=(s.padding, 0), bias=False),
                             nn.BatchNorm2d(c, affine=affine))
    if s.kind == "max_pool":
        return nn.MaxPool2d(s.k, stride=stride, padding=s.padding)
    if s.kind == "avg_pool":
        return nn.AvgPool2d(s.k, stride=stride, padding=s.padding, count_include_pad=False)
    if s.kind == "conv":
        return relu_conv_bn(c, c, s.k, stride, s.padding, affine)
    if s.kind == "dil_conv":
        return dil_conv(c, s.k, stride, s.padding, s.dilation, affine)
    return sep_conv(c, s.k, stride, s.padding, s.dilation, affine)  # sep_conv, dil_sep_conv


class Cell(nn.Module):
    def __init__(self, pairs, concat, c_prev_prev: int, c_prev: int, c: int, reduction: bool,
                 reduction_prev: bool, op_affine: bool = True):
        super().__init__()
        self.preprocess0 = FactorizedReduce(c_prev_prev, c) if reduction_prev else relu_conv_bn(c_prev_prev, c, 1)
        self.preprocess1 = relu_conv_bn(c_prev, c, 1)
        self.inputs = [inp for _, inp in pairs]
        self.ops = nn.ModuleList(op(name, c, 2 if reduction and inp < 2 else 1, op_affine) for name, inp in pairs)
        self.concat = list(concat)
        self.multiplier = len(self.concat)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for k in range(0, len(self.ops), 2):
            states.append(self.ops[k](states[self.inputs[k]]) + self.ops[k + 1](states[self.inputs[k + 1]]))
        return torch.cat([states[i] for i in self.concat], dim=1)


class AuxiliaryHeadCIFAR(nn.Module):
    def __init__(self, c: int, num_classes: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=True), nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),
            nn.Conv2d(c, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False), nn.BatchNorm2d(768), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class CellPlace(NamedTuple):
    index: int
    reduction: bool
    reduction_prev: bool
    c_prev_prev: int
    c_prev: int
    c: int
    pairs: list
    concat: list

    @property
    def c_out(self) -> int:
        return len(self.concat) * self.c


def cell_layout(genotype, width: int, layers: int, stem_multiplier: int) -> Iterator[CellPlace]:
    """Every cell's place in DARTS' network (its genotype half and channels), in order: one walk that the
    network builder and the closed-form size both follow, so the two cannot drift apart."""
    c_prev_prev = c_prev = stem_multiplier * width
    c, reduction_prev = width, False
    for i in range(layers):
        reduction = i in (layers // 3, 2 * layers // 3)
        c = 2 * c if reduction else c
        pairs, concat = ((genotype.reduce, genotype.reduce_concat) if reduction
                         else (genotype.normal, genotype.normal_concat))
        place = CellPlace(i, reduction, reduction_prev, c_prev_prev, c_prev, c, pairs, concat)
        yield place
        reduction_prev = reduction
        c_prev_prev, c_prev = c_prev, place.c_out


class NetworkCIFAR(nn.Module):
    """DARTS' CIFAR evaluation network for ``genotype`` (fields normal, normal_concat, reduce, reduce_concat).

    ``op_affine=False`` drops the BN scale/shift of the cell ops, as NASLib builds its NB301 model
    (the Suite-Zero ``params`` values count that model); DARTS' evaluation network keeps them.
    """

    def __init__(self, genotype, width: int = 32, layers: int = 8, num_classes: int = 10,
                 auxiliary: bool = False, stem_multiplier: int = 3, op_affine: bool = True):
        super().__init__()
        c_curr = stem_multiplier * width
        self.stem = nn.Sequential(nn.Conv2d(3, c_curr, 3, padding=1, bias=False), nn.BatchNorm2d(c_curr))
        self.cells = nn.ModuleList()
        c_aux = c_prev = None
        for place in cell_layout(genotype, width, layers, stem_multiplier):
            self.cells.append(Cell(place.pairs, place.concat, place.c_prev_prev, place.c_prev, place.c,
                                   place.reduction, place.reduction_prev, op_affine))
            c_prev = place.c_out
            if place.index == 2 * layers // 3:
                c_aux = c_prev
        self.aux_at = 2 * layers // 3
        self.auxiliary_head = AuxiliaryHeadCIFAR(c_aux, num_classes) if auxiliary else None
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(self.global_pooling(s1).flatten(1))


# --- sizes in closed form (the builders above, counted by nasdb.nets.counting without building) ---

def _dil_conv_size(c: int, kernel: int, stride: int, padding: int, dilation: int, side: int,
                   affine: bool) -> tuple[Size, int]:
    o = out_size(side, kernel, stride, padding, dilation)
    return (relu(c, side * side) + conv(c, c, kernel, o * o, groups=c) + conv(c, c, 1, o * o)
            + batchnorm(c, o * o, affine)), o


def _sep_conv_size(c: int, kernel: int, stride: int, padding: int, dilation: int, side: int, affine: bool) -> Size:
    first, o = _dil_conv_size(c, kernel, stride, padding, dilation, side, affine)
    return first + _dil_conv_size(c, kernel, 1, padding, dilation, o, affine)[0]


def op_size(name: str, c: int, stride: int, side: int, affine: bool = True) -> Size:
    """:func:`op`'s size on a ``side`` x ``side`` input."""
    s = op_spec(name)
    if s.kind == "none":
        return Size()
    if s.kind == "skip_connect":
        return Size() if stride == 1 else factorized_reduce_size(c, c, side, affine)[0]
    if s.kind == "conv_pair":
        o = out_size(side, s.k, stride, s.padding)
        return (relu(c, side * side) + conv(c, c, (1, s.k), side * o) + conv(c, c, (s.k, 1), o * o)
                + batchnorm(c, o * o, affine))
    if s.kind in ("max_pool", "avg_pool"):
        o = out_size(side, s.k, stride, s.padding)
        return pool(c, o * o, s.k)
    if s.kind == "conv":
        return relu_conv_bn_size(c, c, s.k, side, stride, s.padding, affine)[0]
    if s.kind == "dil_conv":
        return _dil_conv_size(c, s.k, stride, s.padding, s.dilation, side, affine)[0]
    return _sep_conv_size(c, s.k, stride, s.padding, s.dilation, side, affine)  # sep_conv, dil_sep_conv


def size(genotype, width: int = 32, layers: int = 8, num_classes: int = 10, stem_multiplier: int = 3,
         op_affine: bool = True, side: int = 32) -> Size:
    """:class:`NetworkCIFAR`'s size (no auxiliary head) on ``side`` x ``side`` images, from the shapes alone."""
    c_curr = stem_multiplier * width
    out = conv(3, c_curr, 3, side * side) + batchnorm(c_curr, side * side)
    side_prev_prev = side_prev = side
    for place in cell_layout(genotype, width, layers, stem_multiplier):
        c, reduction = place.c, place.reduction
        pre0 = (factorized_reduce_size(place.c_prev_prev, c, side_prev_prev)[0] if place.reduction_prev
                else relu_conv_bn_size(place.c_prev_prev, c, 1, side_prev_prev)[0])
        pre1 = relu_conv_bn_size(place.c_prev, c, 1, side_prev)[0]
        side_out = side_prev // 2 if reduction else side_prev
        ops = total(op_size(name, c, 2 if reduction and inp < 2 else 1, side_prev if inp < 2 else side_out, op_affine)
                    for name, inp in place.pairs)
        out = out + pre0 + pre1 + ops
        side_prev_prev, side_prev = side_prev, side_out
    c_prev = place.c_out
    return out + global_pool(c_prev, side_prev * side_prev) + linear(c_prev, num_classes)
