"""NAS-Bench-201 cell space: official strings, NASLib tuples, isomorphism classes.

A cell is a 4-node DAG; each of the 6 edges i->j (i<j) carries one of 5 ops. The official string
lists edges grouped by target node: ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` (0->1 | 0->2 1->2 |
0->3 1->3 2->3). NASLib orders the same edges (0->1, 0->2, 0->3, 1->2, 1->3, 2->3).
"""
from __future__ import annotations

import functools
import itertools
import re
from collections import Counter

from nasdb.errors import ArchStringError, NasdbError

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
CONV_OPS = frozenset({"nor_conv_1x1", "nor_conv_3x3"})
# edges in the official string's order, as (source, target)
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
# NASLib's edge order, and its op ids
NASLIB_EDGES = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
NASLIB_OP_IDS = {"skip_connect": 0, "none": 1, "nor_conv_3x3": 2, "nor_conv_1x1": 3, "avg_pool_3x3": 4}
NASLIB_OPS = {v: k for k, v in NASLIB_OP_IDS.items()}
N_ARCHS = len(OPS) ** len(EDGES)

GRAMMAR = (
    "expected an NB201 cell string '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|' with op in "
    + ", ".join(OPS)
)
_STRING_RE = re.compile(r"^\|(\w+)~0\|\+\|(\w+)~0\|(\w+)~1\|\+\|(\w+)~0\|(\w+)~1\|(\w+)~2\|$")

Cell = tuple[str, str, str, str, str, str]  # ops in the official string's edge order


def parse(arch: str) -> Cell:
    """Official cell string -> ops tuple (official edge order); ArchStringError shows the grammar."""
    m = _STRING_RE.match(arch.strip()) if isinstance(arch, str) else None
    if not m:
        raise ArchStringError(f"malformed NB201 architecture {arch!r}: {GRAMMAR}")
    ops = m.groups()
    bad = [o for o in ops if o not in OPS]
    if bad:
        raise ArchStringError(f"unknown NB201 op {bad[0]!r} in {arch!r}: {GRAMMAR}")
    return ops  # type: ignore[return-value]


def to_string(cell: Cell) -> str:
    a, b, c, d, e, f = cell
    return f"|{a}~0|+|{b}~0|{c}~1|+|{d}~0|{e}~1|{f}~2|"


def edge_ops(cell: Cell) -> dict[tuple[int, int], str]:
    return dict(zip(EDGES, cell))


def to_naslib(cell: Cell) -> tuple[int, ...]:
    ops = edge_ops(cell)
    return tuple(NASLIB_OP_IDS[ops[e]] for e in NASLIB_EDGES)


def from_naslib(key: tuple[int, ...] | str) -> Cell:
    """NASLib op-id tuple (or its string form ``'(4, 3, 3, 0, 0, 0)'``) -> cell."""
    if isinstance(key, str):
        try:
            key = tuple(int(x) for x in key.strip().strip("()").split(","))
        except ValueError:
            raise ArchStringError(f"malformed NASLib NB201 key {key!r}: expected '(i, i, i, i, i, i)', i in 0..4")
    if len(key) != 6 or any(k not in NASLIB_OPS for k in key):
        raise ArchStringError(f"malformed NASLib NB201 key {key!r}: expected 6 op ids in 0..4")
    ops = dict(zip(NASLIB_EDGES, (NASLIB_OPS[k] for k in key)))
    return tuple(ops[e] for e in EDGES)  # type: ignore[return-value]


def naslib_string(cell: Cell) -> str:
    return str(to_naslib(cell))


def all_cells() -> list[Cell]:
    """Every cell of the space (5^6 = 15,625), in lexicographic op order (not the official index order)."""
    return [tuple(c) for c in itertools.product(OPS, repeat=6)]  # type: ignore[misc]


def canonical_expression(cell: Cell) -> str:
    """The function the cell computes, as the NB201 paper de-duplicates cells (6,466 classes).

    A ``none`` op, or any op on an input that is already zero, gives a zero term ``#``;
    ``skip_connect`` passes its input's expression through unchanged; any other op wraps it as
    ``(expr)@op``; a node's expression is the sorted ``+``-sum of all its terms, zero terms included
    (so only a single-input node can itself be zero). Equal expressions = isomorphic cells.
    """
    ops = edge_ops(cell)
    expr = {0: "0"}
    for j in (1, 2, 3):
        terms = []
        for i in range(j):
            op, inp = ops[(i, j)], expr[i]
            if op == "none" or inp == "#":
                terms.append("#")
            elif op == "skip_connect":
                terms.append(inp)
            else:
                terms.append(f"({inp})@{op}")
        expr[j] = "+".join(sorted(terms))
    return expr[3]


def is_degenerate(cell: Cell) -> bool:
    """True when no path of non-``none`` edges leads from the input to the output node."""
    ops = edge_ops(cell)
    reached = {0}
    for j in (1, 2, 3):
        if any(i in reached and ops[(i, j)] != "none" for i in range(j)):
            reached.add(j)
    return 3 not in reached


def op_counts(cell: Cell) -> dict[str, int]:
    c = Counter(cell)
    return {op: c.get(op, 0) for op in OPS}


def n_conv(cell: Cell) -> int:
    return sum(op in CONV_OPS for op in cell)


# --- NASGraph surrogate (NASGRAPH.md section 1) ------------------------------------------------

SURROGATE_DEFAULTS = {"stages": 3, "cells_per_stage": 1, "stem_channels": 16, "image_size": 32}


@functools.lru_cache(maxsize=None)
def _op_block(op: str, position: str, channels: int, size: int):
    from nasdb.surrogate.blocks import Block

    if op == "nor_conv_3x3":
        return Block(position, "conv", channels, channels, size, kernel=3, padding=1)
    if op == "nor_conv_1x1":
        return Block(position, "conv", channels, channels, size)
    kind = {"none": "zero", "skip_connect": "identity", "avg_pool_3x3": "avg_pool"}[op]
    return Block(position, kind, channels, channels, size)


@functools.lru_cache(maxsize=None)
def _skeleton(stages: int, cells_per_stage: int, stem_channels: int, image_size: int):
    """The wiring and fixed blocks, plus where each cell op goes: (block index, edge, position, channels, size)."""
    from nasdb.surrogate.blocks import Block, Builder

    b = Builder()
    slots = []
    size, ch = image_size, stem_channels
    x = b.add(Block("input", "input", 3, 3, size))
    feeding = [b.add(Block("stem", "conv", 3, ch, size, kernel=3, padding=1), [x])]
    for s in range(stages):
        if s > 0:
            conv_a = b.add(Block(f"s{s}/reduce/conv_a", "conv", ch, 2 * ch, size, kernel=3, stride=2, padding=1),
                           feeding)
            conv_b = b.add(Block(f"s{s}/reduce/conv_b", "conv", 2 * ch, 2 * ch, size // 2, kernel=3, padding=1),
                           [conv_a])
            shortcut = b.add(Block(f"s{s}/reduce/shortcut", "pool_conv", ch, 2 * ch, size), feeding)
            feeding, ch, size = [conv_b, shortcut], 2 * ch, size // 2
        for c in range(cells_per_stage):
            node_inputs: dict[int, list[int]] = {0: feeding}
            for j in (1, 2, 3):
                node_inputs[j] = []
                for i in range(j):
                    position = f"s{s}/c{c}/e{i}-{j}"
                    idx = b.add(_op_block("none", position, ch, size), node_inputs[i])
                    slots.append((idx, (i, j), position, ch, size))
                    node_inputs[j].append(idx)
            feeding = node_inputs[3]
    b.add(Block("head", "identity", ch, ch, size), feeding)
    return b.build(), tuple(slots)


def surrogate(cell: Cell, stages: int = 3, cells_per_stage: int = 1, stem_channels: int = 16,
              image_size: int = 32):
    """The NB201 network NASGraph converts: stem conv, ``stages`` stages of ``cells_per_stage`` cells
    (channels doubling per stage), NB201's residual reduction block between stages (3x3 stride-2
    conv, 3x3 conv, and the 2x2-avg-pool + 1x1-conv shortcut), then the identity head.

    Each cell op is its own block whose parents are all ops feeding its source node (a ``none`` op
    stays a block: it has no in-edges but is probed as a parent like any other). The wiring is the
    same for every cell; only the op blocks differ.
    """
    from nasdb.surrogate.blocks import Surrogate

    skeleton, slots = _skeleton(stages, cells_per_stage, stem_channels, image_size)
    ops = edge_ops(cell)
    blocks = list(skeleton.blocks)
    for idx, edge, position, ch, size in slots:
        blocks[idx] = _op_block(ops[edge], position, ch, size)
    return Surrogate(tuple(blocks), skeleton.parents)


# --- the network as the benchmark trained it -----------------------------------------------------

# classifier width per dataset; cifar10 and cifar10-valid train the same network on other splits
NUM_CLASSES = {"cifar10": 10, "cifar10-valid": 10, "cifar100": 100, "ImageNet16-120": 120}
IMAGE_SIZE = {"cifar10": 32, "cifar10-valid": 32, "cifar100": 32, "ImageNet16-120": 16}


def network(cell: Cell, dataset: str | None = None, seed: int | None = None, device=None):
    """NATS-Bench's TinyNetwork for ``cell`` (C=16, N=5) with ``dataset``'s classifier (default cifar10)."""
    from nasdb.nets import build, nb201 as nets

    dataset = dataset or "cifar10"
    if dataset not in NUM_CLASSES:
        raise NasdbError(f"unknown NB201 dataset {dataset!r}; expected one of {', '.join(NUM_CLASSES)}")
    return build(lambda: nets.network(cell, NUM_CLASSES[dataset]), seed, device)


def sizes(arch_keys: list[str], dataset: str):
    """Params, FLOPs and Conv2d/Linear layers of the archs' ``dataset`` networks, counted in closed form
    (``nasdb.nets.nb201.size``) from each cell's op counts: no network is built."""
    import numpy as np

    from nasdb.nets import nb201 as nets

    cells = [parse(k) for k in arch_keys]
    counts = {op: np.array([cell.count(op) for cell in cells], dtype=np.int64) for op in OPS}
    return nets.size(counts, NUM_CLASSES[dataset], IMAGE_SIZE[dataset])


# --- the Space protocol (nasdb.spaces.protocol) ------------------------------------------------

DATASETS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
ACCEPTED = (f"{GRAMMAR}; or a NASLib tuple '(i, i, i, i, i, i)' (edges 0-1 0-2 0-3 1-2 1-3 2-3, "
            "op ids skip_connect 0, none 1, nor_conv_3x3 2, nor_conv_1x1 3, avg_pool_3x3 4); "
            "or a spec {\"edges\": [[0, 1, op], ...]}")


def to_spec(cell: Cell) -> dict:
    """The ``spec`` encoding: the six edges (official order) with their ops."""
    return {"edges": [[i, j, op] for (i, j), op in edge_ops(cell).items()]}


def from_spec(value: dict, edges=EDGES, ops=OPS, what: str = "NB201") -> tuple[str, ...]:
    """A ``spec`` dict -> ops in ``edges`` order; every edge exactly once, ops from ``ops``."""
    given = value.get("edges") if isinstance(value, dict) else None
    try:
        found = {(int(i), int(j)): op for i, j, op in given}
    except (TypeError, ValueError):
        raise ArchStringError(f"malformed {what} spec {value!r}: expected {{\"edges\": [[i, j, op], ...]}}") from None
    if (len(found) != len(given) or set(found) != set(edges)
            or not all(isinstance(op, str) and op in ops for op in found.values())):
        raise ArchStringError(f"malformed {what} spec {value!r}: expected each edge of {list(edges)} once "
                              f"with an op in {', '.join(ops)}")
    return tuple(found[e] for e in edges)


def parse_any(arch: object) -> Cell:
    """Official string, NASLib tuple (text or ints) or spec dict/JSON -> cell; ArchStringError otherwise."""
    from nasdb.spaces.protocol import int_sequence, json_object

    value = json_object(arch)
    if value is not None:
        return from_spec(value)  # type: ignore[return-value]
    ids = int_sequence(arch, 6, "NASLib NB201 key", ACCEPTED)
    if ids is not None:
        return from_naslib(ids)
    if not isinstance(arch, str):
        raise ArchStringError(f"NB201 architecture must be a string, got {type(arch).__name__} {arch!r}: {ACCEPTED}")
    return parse(arch)


def neighbours(cell: Cell) -> list[str]:
    """Official strings of the 24 cells that differ in exactly one edge op (NASLib's NB201 mutation)."""
    return [to_string(cell[:k] + (op,) + cell[k + 1:]) for k in range(len(cell)) for op in OPS if op != cell[k]]


def shrinks(cell: Cell) -> list[str]:
    """Official strings with one non-``none`` edge set to ``none`` (removing that edge of the cell)."""
    return [to_string(cell[:k] + ("none",) + cell[k + 1:]) for k in range(len(cell)) if cell[k] != "none"]


def cell_graph(cell: Cell):
    from nasdb.spaces.graphs import edge_op_graph

    return edge_op_graph(edge_ops(cell))


def dot(cell: Cell) -> str:
    from nasdb.spaces.drawing import edge_cell

    return edge_cell(edge_ops(cell), "NB201 cell")


def _space():
    from nasdb.spaces.protocol import Space

    return Space(
        bench="nb201", title="NAS-Bench-201 (Dong & Yang, ICLR 2020)", grammar=ACCEPTED, datasets=DATASETS,
        ids=range(N_ARCHS), parse=parse_any, key=to_string,
        encodings={"official": to_string, "naslib": naslib_string, "spec": to_spec},
        # the official index order is the benchmark's own (its files'), not a rule: the database knows it
        index_of=None, at_index=None,
        enumerate=lambda: iter(map(to_string, all_cells())),
        iso_key=canonical_expression, op_counts=op_counts, n_conv=n_conv, is_degenerate=is_degenerate,
        cell_graph=cell_graph, neighbours=neighbours, dot=dot, shrinks=shrinks,
        surrogate=lambda cell, dataset: surrogate(cell), graph_of=lambda dataset: "",
        surrogate_settings=dict(SURROGATE_DEFAULTS), network=network,
        proxy_batch_size=64,  # NAS-Bench-Suite-Zero's full NB201 files
        input_shape=lambda dataset: (3, IMAGE_SIZE[dataset], IMAGE_SIZE[dataset]),
        sizes=sizes,
    )


SPACES = [_space()]
