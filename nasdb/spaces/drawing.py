"""Graphviz (DOT) drawings shared by the spaces: ops on edges (NB201-style cells, as their papers
draw them), ops on vertices (NB101), or a chain of modules (TNB101 macro)."""
from __future__ import annotations

_STYLE = {"none": 'style=dashed color="#bbbbbb" fontcolor="#999999"', "skip_connect": 'color="#4c78a8"'}


def _quote(text: str) -> str:
    return text.replace('"', '\\"')


def edge_cell(ops: dict[tuple[int, int], str], title: str) -> str:
    """A cell whose ops sit on the edges of a DAG over nodes 0 (input) .. max (output)."""
    out = max(j for _, j in ops)
    lines = [f'digraph cell {{ rankdir=LR; label="{_quote(title)}"; labelloc=t; node [shape=circle];',
             f'  0 [label="in"]; {out} [label="out"];']
    lines += [f'  {i} -> {j} [label="{_quote(op)}" {_STYLE.get(op, "")}];' for (i, j), op in ops.items()]
    return "\n".join(lines + ["}"])


def vertex_cell(matrix, ops) -> str:
    """A cell whose ops sit on its vertices (adjacency matrix, one op per vertex)."""
    lines = ['digraph cell { rankdir=TB; node [shape=box style=rounded];']
    lines += [f'  v{i} [label="{_quote(op)}"];' for i, op in enumerate(ops)]
    lines += [f"  v{i} -> v{j};" for i, row in enumerate(matrix) for j, e in enumerate(row) if e]
    return "\n".join(lines + ["}"])


def chain(labels: list[str]) -> str:
    """A network drawn as a chain of boxes: stem, its modules, head."""
    lines = ['digraph net { rankdir=LR; node [shape=box style=rounded];']
    lines += [f'  n{i} [label="{_quote(label)}"];' for i, label in enumerate(labels)]
    lines += [f"  n{i} -> n{i + 1};" for i in range(len(labels) - 1)]
    return "\n".join(lines + ["}"])
