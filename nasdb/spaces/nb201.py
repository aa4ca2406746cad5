"""NAS-Bench-201 cell space: official strings, NASLib tuples, isomorphism classes.

A cell is a 4-node DAG; each of the 6 edges i->j (i<j) carries one of 5 ops. The official string
lists edges grouped by target node: ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` (0->1 | 0->2 1->2 |
0->3 1->3 2->3). NASLib orders the same edges (0->1, 0->2, 0->3, 1->2, 1->3, 2->3).
"""
from __future__ import annotations

import itertools
import re
from collections import Counter

from nasdb.errors import ArchStringError

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
