"""TransNAS-Bench-101 networks: the official encoder (``MacroNet`` backbone) and each task's decoder.

Encoder: stem (3x3 stride-2 conv to 32 channels + BN, then ReLU-conv-BN 3x3 stride 2 to 64), then one
module per macro digit (1 plain, 2 channels x2, 3 stride 2, 4 both), each two blocks: a micro cell
(4-node DAG, ops ReLU-conv-BN 1x1/3x3, skip, zero; the first cell of a module carries its stride and
channel change on the edges leaving node 0) or, in the macro space, a ResNet basic block (two
ReLU-conv-BN 3x3 and a 1x1-conv-BN shortcut when the shape changes). Decoders, as the official
``configs/train_from_scratch/<task>/config.py`` build them at 256x256 input:
* classification/regression (class_scene 47, class_object 75, room_layout 9 outputs): global average
  pooling + linear layer;
* jigsaw: the encoder on each of 9 tiles of 64x64 (one shared encoder), outputs concatenated along
  channels, global average pooling, linear layer to 1,000 permutations;
* segmentsemantic: conv to 1024 channels, halving convs, deconvolutions back to 256x256, a conv to
  17 classes; autoencoder and normal: the 14-layer generative decoder to 3 channels (Tanh).
Decoder convs carry a bias, BatchNorm and LeakyReLU(0.2), as in the official ``ConvLayer``/``DeconvLayer``.
The encoder's convs are initialised as the official ``MacroNet`` does (He-normal, fan_out); the rest
keeps torch's default init.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import torch
from torch import nn

from nasdb.nets.counting import Size, batchnorm, conv, deconv, global_pool, linear, out_size, total
from nasdb.nets.layers import FactorizedReduce, Zero, factorized_reduce_size, relu_conv_bn, relu_conv_bn_size

BASE_CHANNELS = 64
INPUT_SIZE = 256
JIGSAW_TILES, JIGSAW_TILE = 9, 64
MICRO_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
MICRO_OPS = ("none", "skip_connect", "conv1x1", "conv3x3")
# task -> (decoder, outputs): classes, or output channels for the dense decoders
TASKS = {"class_scene": ("linear", 47), "class_object": ("linear", 75), "room_layout": ("linear", 9),
         "jigsaw": ("siamese", 1000), "segmentsemantic": ("segmentation", 17),
         "normal": ("generative", 3), "autoencoder": ("generative", 3)}


def micro_op(name: str, c_in: int, c_out: int, stride: int) -> nn.Module:
    if name == "none":
        return Zero(c_out, stride)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 and c_in == c_out else FactorizedReduce(c_in, c_out)
    if name == "conv1x1":
        return relu_conv_bn(c_in, c_out, 1, stride)
    if name == "conv3x3":
        return relu_conv_bn(c_in, c_out, 3, stride, 1)
    raise ValueError(f"unknown TNB101 micro op {name!r}; expected one of {', '.join(MICRO_OPS)}")


class MicroCell(nn.Module):
    def __init__(self, ops: Sequence[str], c_in: int, c_out: int, stride: int):
        super().__init__()
        self.edges = nn.ModuleList(micro_op(name, c_in, c_out, stride) if i == 0 else micro_op(name, c_out, c_out, 1)
                                   for name, (i, _) in zip(ops, MICRO_EDGES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in (1, 2, 3):
            nodes.append(sum(self.edges[k](nodes[i]) for k, (i, t) in enumerate(MICRO_EDGES) if t == j))
        return nodes[3]


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv_a = relu_conv_bn(c_in, c_out, 3, stride, 1)
        self.conv_b = relu_conv_bn(c_out, c_out, 3, 1, 1)
        self.shortcut = (nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
                         if stride != 1 or c_in != c_out else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


def encoder(modules: Sequence[int], cell: Sequence[str] | None) -> tuple[nn.Sequential, int, int]:
    """The backbone for macro ``modules`` digits, with micro ``cell`` ops (None: ResNet basic blocks);
    returns it with its output channels and total stride."""
    layers: list[nn.Module] = [nn.Sequential(
        nn.Conv2d(3, BASE_CHANNELS // 2, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(BASE_CHANNELS // 2),
        relu_conv_bn(BASE_CHANNELS // 2, BASE_CHANNELS, 3, 2, 1))]
    channels, total_stride = BASE_CHANNELS, 4
    for digit in modules:
        c_out, stride = (2 * channels if digit % 2 == 0 else channels), (2 if digit > 2 else 1)
        blocks = [(channels, stride), (c_out, 1)]
        layers.append(nn.Sequential(*(MicroCell(cell, c, c_out, s) if cell is not None else BasicBlock(c, c_out, s)
                                      for c, s in blocks)))
        channels, total_stride = c_out, total_stride * stride
    body = nn.Sequential(*layers)
    _kaiming_init(body)
    return body, channels, total_stride


def _kaiming_init(body: nn.Module) -> None:
    """The official encoder's own init (``MacroNet._kaiming_init``): every conv He-normal with fan_out
    (BatchNorm 1/0 is torch's default). NASLib's copy, which computed the Suite-Zero values, does the
    same; torch's default init would make every conv's weight norm ~2.3x smaller and reweight layers
    (l2_norm, synflow and the gradient proxies follow the init). Decoders keep torch's default, as there."""
    for m in body.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


def _conv_layer(c_in: int, c_out: int, up: bool) -> nn.Sequential:
    conv = (nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1) if up
            else nn.Conv2d(c_in, c_out, 3, padding=1))
    return nn.Sequential(conv, nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2))


def segmentation_decoder(c_in: int, n_up: int, classes: int) -> nn.Sequential:
    layers, c = [_conv_layer(c_in, 1024, False)], 1024
    for _ in range(6 - n_up):
        layers.append(_conv_layer(c, c // 2, False))
        c //= 2
    for _ in range(n_up - 1):
        layers.append(_conv_layer(c, c // 2, True))
        c //= 2
    layers += [_conv_layer(c, c, True), nn.Conv2d(c, classes, 3, padding=1)]
    return nn.Sequential(*layers)


# the generative decoder's layers: (output channels, upsamples when at least this many upsamplings are
# needed; 1 = always, 0 = never)
_GENERATIVE_PLAN = ((1024, 0), (1024, 0), (512, 6), (512, 0), (256, 5), (128, 0), (64, 4), (64, 0), (32, 3),
                    (32, 0), (16, 1), (32, 0), (16, 1))


def generative_decoder(c_in: int, n_up: int, channels: int) -> nn.Sequential:
    layers, c = [], c_in
    for c_out, min_up in _GENERATIVE_PLAN:
        layers.append(_conv_layer(c, c_out, 0 < min_up <= n_up))
        c = c_out
    layers += [nn.Conv2d(c, channels, 3, padding=1), nn.Tanh()]
    return nn.Sequential(*layers)


class FeedForward(nn.Module):
    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


class Siamese(FeedForward):
    """Jigsaw: input (batch, tiles, 3, h, w); one encoder per tile (shared), channels concatenated."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(torch.cat([self.encoder(x[:, i]) for i in range(x.shape[1])], dim=1))


def decoder(task: str, channels: int, stride: int) -> nn.Module:
    """``task``'s decoder on an encoder output of ``channels`` channels at 1/``stride`` resolution."""
    if task not in TASKS:
        raise ValueError(f"unknown TNB101 task {task!r}; expected one of {', '.join(TASKS)}")
    kind, outputs = TASKS[task]
    pool = [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    if kind == "linear":
        return nn.Sequential(*pool, nn.Linear(channels, outputs))
    if kind == "siamese":
        return nn.Sequential(*pool, nn.Linear(channels * JIGSAW_TILES, outputs))
    n_up = int(math.log2(stride))  # the dense decoders upsample back to the input size
    make = segmentation_decoder if kind == "segmentation" else generative_decoder
    return make(channels, n_up, outputs)


def network(task: str, modules: Sequence[int], cell: Sequence[str] | None = None) -> FeedForward:
    """The network trained on ``task``: encoder of macro ``modules`` digits with micro ``cell`` ops
    (six op names in ``MICRO_EDGES`` order) or ResNet basic blocks (None), and the task's decoder."""
    body, channels, stride = encoder(modules, cell)
    head = decoder(task, channels, stride)
    return (Siamese if TASKS[task][0] == "siamese" else FeedForward)(body, head)


def input_shape(task: str) -> tuple[int, ...]:
    """One sample's input shape (the jigsaw network takes 9 tiles of one image)."""
    if task == "jigsaw":
        return (JIGSAW_TILES, 3, JIGSAW_TILE, JIGSAW_TILE)
    return (3, INPUT_SIZE, INPUT_SIZE)


# --- sizes in closed form (the builders above, counted by nasdb.nets.counting without building) ---

def micro_op_size(name: str, c_in: int, c_out: int, stride: int, side: int) -> Size:
    """:func:`micro_op`'s size on a ``side`` x ``side`` input."""
    if name == "none":
        return Size()
    if name == "skip_connect":
        return Size() if stride == 1 and c_in == c_out else factorized_reduce_size(c_in, c_out, side)[0]
    k = {"conv1x1": 1, "conv3x3": 3}[name]
    return relu_conv_bn_size(c_in, c_out, k, side, stride, k // 2)[0]


def _micro_cell_size(ops: Sequence[str], c_in: int, c_out: int, stride: int, side: int) -> tuple[Size, int]:
    o = out_size(side, 3, stride, 1)
    return total(micro_op_size(name, c_in, c_out, stride, side) if i == 0 else micro_op_size(name, c_out, c_out, 1, o)
                 for name, (i, _) in zip(ops, MICRO_EDGES)), o


def _basic_block_size(c_in: int, c_out: int, stride: int, side: int) -> tuple[Size, int]:
    a, o = relu_conv_bn_size(c_in, c_out, 3, side, stride, 1)
    b, _ = relu_conv_bn_size(c_out, c_out, 3, o, 1, 1)
    if stride == 1 and c_in == c_out:
        return a + b, o
    s = out_size(side, 1, stride)
    return a + b + conv(c_in, c_out, 1, s * s) + batchnorm(c_out, s * s), o


@functools.lru_cache(maxsize=16_384)  # shared by the tasks' networks of one arch
def encoder_size(modules: tuple[int, ...], cell: tuple[str, ...] | None, side: int) -> tuple[Size, int, int]:
    """:func:`encoder`'s size on a ``side`` x ``side`` image, with its output channels and side."""
    o = out_size(side, 3, 2, 1)
    stem2, side = relu_conv_bn_size(BASE_CHANNELS // 2, BASE_CHANNELS, 3, o, 2, 1)
    out = conv(3, BASE_CHANNELS // 2, 3, o * o) + batchnorm(BASE_CHANNELS // 2, o * o) + stem2
    channels = BASE_CHANNELS
    for digit in modules:
        c_out, stride = (2 * channels if digit % 2 == 0 else channels), (2 if digit > 2 else 1)
        for c, s in ((channels, stride), (c_out, 1)):
            block, side = (_micro_cell_size(cell, c, c_out, s, side) if cell is not None
                           else _basic_block_size(c, c_out, s, side))
            out = out + block
        channels = c_out
    return out, channels, side


def _conv_layer_size(c_in: int, c_out: int, up: bool, side: int) -> tuple[Size, int]:
    o = 2 * side if up else side
    return (deconv(c_in, c_out, 3) if up else conv(c_in, c_out, 3, o * o, bias=True)) + batchnorm(c_out, o * o), o


def _layers_size(plan, c: int, side: int) -> tuple[Size, int, int]:
    """Sizes of consecutive :func:`_conv_layer` (``plan``: (output channels, upsampling) pairs)."""
    out = Size()
    for c_out, up in plan:
        layer, side = _conv_layer_size(c, c_out, up, side)
        out, c = out + layer, c_out
    return out, c, side


def size(task: str, modules: tuple[int, ...], cell: tuple[str, ...] | None = None) -> Size:
    """:func:`network`'s size (``task``'s decoder included), from the shapes alone."""
    if task not in TASKS:
        raise ValueError(f"unknown TNB101 task {task!r}; expected one of {', '.join(TASKS)}")
    kind, outputs = TASKS[task]
    if kind == "siamese":
        body, channels, side = encoder_size(modules, cell, JIGSAW_TILE)
        c = channels * JIGSAW_TILES
        shared = Size(body.params, JIGSAW_TILES * body.flops, body.layers)  # one encoder, run on every tile
        return shared + global_pool(c, side * side) + linear(c, outputs)
    body, channels, side = encoder_size(modules, cell, INPUT_SIZE)
    if kind == "linear":
        return body + global_pool(channels, side * side) + linear(channels, outputs)
    n_up = int(math.log2(INPUT_SIZE // side))
    if kind == "segmentation":
        plan = [(1024, False)] + [(1024 >> (i + 1), False) for i in range(6 - n_up)]
        plan += [(plan[-1][0] >> (i + 1), True) for i in range(n_up - 1)]
        plan.append((plan[-1][0], True))
    else:
        plan = [(c_out, 0 < min_up <= n_up) for c_out, min_up in _GENERATIVE_PLAN]
    layers, c, side = _layers_size(plan, channels, side)
    return body + layers + conv(c, outputs, 3, side * side, bias=True)
