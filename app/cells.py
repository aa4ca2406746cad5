"""Graphviz (DOT) drawings of a cell, from the benchmark's own string via the nasdb.spaces parsers.

Operations sit on edges for the NB201 / TNB101-micro cells (as in their papers) and on vertices for
NB101; a TNB101 macro network is drawn as its chain of residual modules.
"""
from __future__ import annotations

from nasdb.spaces import nb101, nb201, tnb101

_MACRO_MODULES = {1: "basic block", 2: "channels ×2", 3: "stride 2", 4: "channels ×2, stride 2"}
_STYLE = {"none": 'style=dashed color="#bbbbbb" fontcolor="#999999"',
          "skip_connect": 'color="#4c78a8"'}


def _edge_cell(ops: dict[tuple[int, int], str], title: str) -> str:
    lines = [f'digraph cell {{ rankdir=LR; label="{title}"; labelloc=t; node [shape=circle];',
             '  0 [label="in"]; 3 [label="out"];']
    for (i, j), op in ops.items():
        lines.append(f'  {i} -> {j} [label="{op}" {_STYLE.get(op, "")}];')
    return "\n".join(lines + ["}"])


def _nb101(naslib_key: str) -> str:
    cell = nb101.from_naslib(naslib_key)
    lines = ['digraph cell { rankdir=TB; node [shape=box style=rounded];']
    lines += [f'  v{i} [label="{op}"];' for i, op in enumerate(cell.ops)]
    lines += [f"  v{i} -> v{j};" for i, row in enumerate(cell.matrix) for j, e in enumerate(row) if e]
    return "\n".join(lines + ["}"])


def _macro(arch_key: str) -> str:
    digits = tnb101.macro_digits(arch_key)
    lines = ['digraph net { rankdir=LR; node [shape=box style=rounded]; stem [label="stem"]; head [label="decoder"];']
    chain = ["stem", *[f"m{i}" for i in range(len(digits))], "head"]
    lines += [f'  m{i} [label="module {i + 1}\\n{_MACRO_MODULES[d]}"];' for i, d in enumerate(digits)]
    lines += [f"  {a} -> {b};" for a, b in zip(chain, chain[1:])]
    return "\n".join(lines + ["}"])


def dot(bench: str, arch_key: str, naslib_key: str | None) -> str | None:
    """The drawing of one architecture, or None if nasdb has no parser for this benchmark."""
    if bench == "nb201":
        return _edge_cell(nb201.edge_ops(nb201.parse(arch_key)), "NB201 cell")
    if bench == "tnb101_micro":
        return _edge_cell(tnb101.micro_ops(arch_key), "TNB101 micro cell")
    if bench == "tnb101_macro":
        return _macro(arch_key)
    if bench == "nb101" and naslib_key:
        return _nb101(naslib_key)
    return None
