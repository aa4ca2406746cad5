"""Surrogate blocks: the layers NASGraph turns into graph nodes, described as plain data.

A search space describes its surrogate network as a :class:`Surrogate`: a list of :class:`Block`
(one per layer; each output channel becomes a node ``"<block index>_<channel>"``) and, per block,
its parents as ``(parent index, channel shift)`` pairs. The shift is 0 when parents are added
(NB201, TNB101); for a concatenating block (NB101's cell output) parent k's one-hot inputs start
at the channels of the parents before it. Nothing here imports torch: spaces can describe
surrogates cheaply, and only probing (``probe.py``) runs them.
"""
from __future__ import annotations

from typing import NamedTuple

# Kinds of block. Conv-containing kinds get a ReLU on their output (NASGRAPH.md section 2).
CONV_KINDS = frozenset({"conv", "deconv", "pool_conv", "factorized_reduce", "sep_conv", "dil_conv", "dil_sep_conv",
                        "conv_pair"})
PLAIN_KINDS = frozenset({"input", "identity", "zero", "avg_pool", "avg_pool2d", "max_pool", "global_pool"})
# kinds with a ReLU inside (not only at the output): probed with a real batch, never pairwise
NONLINEAR_KINDS = frozenset({"sep_conv", "dil_sep_conv"})
KINDS = CONV_KINDS | PLAIN_KINDS


class Block(NamedTuple):
    """One layer of a surrogate, with everything its edge set depends on.

    ``position`` names where the block sits in the network (e.g. ``"s1/c0/e0-2"``); together with
    the other fields it is the key of the block's deterministic weights in fast mode, so two blocks
    that are equal here are the same block. ``size`` is the input height = width.

    kinds: ``conv`` (kernel/stride/padding), ``deconv`` (ConvTranspose 3x3, stride 2, padding 1,
    output padding 1), ``pool_conv`` (2x2 average pool then 1x1 conv: NB201's residual
    downsample), ``factorized_reduce`` (two stride-``stride`` 1x1 convs, the second on the input
    shifted by one pixel, concatenated), ``identity``, ``zero``, ``avg_pool`` (3x3, stride 1,
    padding 1, padding not counted), ``avg_pool2d`` (kernel/stride/padding, padding not counted),
    ``max_pool`` (kernel/stride/padding; padding never wins), ``global_pool`` (adaptive average pool
    to 1x1), ``input``. DARTS-family ops (NASGraph's NDS ops, no BN): ``sep_conv`` (depthwise
    kernel/stride/padding conv, 1x1 conv, ReLU, depthwise conv, 1x1 conv), ``dil_conv`` (depthwise
    conv with dilation 2, 1x1 conv), ``dil_sep_conv`` (``sep_conv`` with dilation-2 depthwise convs),
    ``conv_pair`` (1 x kernel conv with stride (1, s), then kernel x 1 conv with stride (s, 1)).
    """

    position: str
    kind: str
    c_in: int
    c_out: int
    size: int
    kernel: int = 1
    stride: int = 1
    padding: int = 0

    @property
    def relu(self) -> bool:
        return self.kind in CONV_KINDS

    def weight_shapes(self) -> list[tuple[int, ...]]:
        """Shapes of the block's weight tensors (N(0, 1), no biases); empty for weightless kinds."""
        k = self.kernel
        if self.kind == "conv":
            return [(self.c_out, self.c_in, k, k)]
        if self.kind == "deconv":
            return [(self.c_in, self.c_out, k, k)]
        if self.kind == "pool_conv":
            return [(self.c_out, self.c_in, 1, 1)]
        if self.kind == "factorized_reduce":
            half = self.c_out // 2
            return [(half, self.c_in, 1, 1), (self.c_out - half, self.c_in, 1, 1)]
        if self.kind in ("sep_conv", "dil_sep_conv"):
            return [(self.c_in, 1, k, k), (self.c_in, self.c_in, 1, 1), (self.c_in, 1, k, k), (self.c_out, self.c_in, 1, 1)]
        if self.kind == "dil_conv":
            return [(self.c_in, 1, k, k), (self.c_out, self.c_in, 1, 1)]
        if self.kind == "conv_pair":
            return [(self.c_in, self.c_in, 1, k), (self.c_out, self.c_in, k, 1)]
        return []


Parent = tuple[int, int]  # (parent block index, channel shift of its one-hot inputs)


class Surrogate(NamedTuple):
    """A surrogate network: blocks in topological order and each block's parents."""

    blocks: tuple[Block, ...]
    parents: tuple[tuple[Parent, ...], ...]

    def signature(self) -> tuple:
        """The wiring, without the ops: surrogates with equal signatures are assembled together."""
        return self.parents


def check(s: Surrogate) -> Surrogate:
    """Validate a surrogate (topological order, channel ranges); raise ValueError naming the block."""
    if len(s.blocks) != len(s.parents):
        raise ValueError(f"{len(s.blocks)} blocks but {len(s.parents)} parent lists")
    for i, (b, ps) in enumerate(zip(s.blocks, s.parents)):
        if b.kind not in KINDS:
            raise ValueError(f"block {i} ({b.position}): unknown kind {b.kind!r}; expected one of {sorted(KINDS)}")
        for p, shift in ps:
            if not 0 <= p < i:
                raise ValueError(f"block {i} ({b.position}): parent {p} is not an earlier block")
            if not 0 <= shift < b.c_in:
                raise ValueError(f"block {i} ({b.position}): channel shift {shift} outside 0..{b.c_in - 1}")
    return s


class Builder:
    """Append blocks one by one and get their indices back, for writing surrogate descriptions."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.parents: list[tuple[Parent, ...]] = []

    def add(self, block: Block, parents: list[int] | tuple[int, ...] = (), shifts: list[int] | None = None) -> int:
        shifts = shifts or [0] * len(parents)
        self.blocks.append(block)
        self.parents.append(tuple(zip(parents, shifts)))
        return len(self.blocks) - 1

    def build(self) -> Surrogate:
        return Surrogate(tuple(self.blocks), tuple(self.parents))
