"""Cell graphs (labelled DAGs, node attribute ``op``) per benchmark, until the Space protocol lands.

Interim: ``nasdb.spaces.get(bench).cell_graph(spec)`` replaces this module once the spaces
engineer lands it; graph features only ask :func:`cell_graph`. Edge-op cells (NB201, TNB101 micro)
keep their 4 nodes and carry the op on each edge; the feature code turns edge ops into op nodes.
"""
from __future__ import annotations

import networkx as nx

from nasdb.errors import NasdbError
from nasdb.spaces import nb101, nb201, tnb101

_MACRO_MODULES = {1: "basic", 2: "channels_x2", 3: "stride_2", 4: "channels_x2_stride_2"}


def _edge_cell(ops: dict[tuple[int, int], str]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from([(0, {"op": "input"}), (1, {"op": "node"}), (2, {"op": "node"}), (3, {"op": "output"})])
    g.add_edges_from((i, j, {"op": op}) for (i, j), op in ops.items())
    return g


def _nb101(naslib_key: str) -> nx.DiGraph:
    cell = nb101.from_naslib(naslib_key)
    g = nx.DiGraph()
    g.add_nodes_from((i, {"op": op}) for i, op in enumerate(cell.ops))
    g.add_edges_from((i, j) for i, row in enumerate(cell.matrix) for j, e in enumerate(row) if e)
    return g


def _macro(arch_key: str) -> nx.DiGraph:
    ops = ["input", *(_MACRO_MODULES[d] for d in tnb101.macro_digits(arch_key)), "output"]
    return _chain(ops)


def _chain(ops: list[str]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from((i, {"op": op}) for i, op in enumerate(ops))
    g.add_edges_from((i, i + 1) for i in range(len(ops) - 1))
    return g


def op_names(bench: str) -> tuple[str, ...]:
    """Every op a cell of the benchmark can hold (fixes the feature columns even when a sample lacks one)."""
    return {"nb201": nb201.OPS, "tnb101_micro": tnb101.MICRO_OPS, "nb101": nb101.OPS,
            "tnb101_macro": tuple(_MACRO_MODULES.values())}[bench]


def cell_graph(bench: str, arch_key: str, naslib_key: str | None) -> nx.DiGraph:
    if bench == "nb201":
        return _edge_cell(nb201.edge_ops(nb201.parse(arch_key)))
    if bench == "tnb101_micro":
        return _edge_cell(tnb101.micro_ops(arch_key))
    if bench == "tnb101_macro":
        return _macro(arch_key)
    if bench == "nb101" and naslib_key:
        return _nb101(naslib_key)
    raise NasdbError(f"no cell graph for benchmark {bench!r}")


def bulk_arrays(bench: str, arch_keys: list[str]):
    """NB101 only: padded op-node arrays (see :func:`nb101_arrays`) of cells given by module hash."""
    if bench != "nb101":
        return None
    import numpy as np

    from nasdb.spaces import nb101_enumerate

    cells = nb101_enumerate.load(progress=False)
    keys = np.asarray(arch_keys)
    rows = np.minimum(np.searchsorted(cells.hashes, keys), len(cells) - 1)
    bad = np.flatnonzero(cells.hashes[rows] != keys)
    if bad.size:
        raise NasdbError(f"NB101 hash {arch_keys[bad[0]]!r} is not a cell of the enumerated space")
    return nb101_arrays(cells.take(rows))


def nb101_arrays(cells):
    """(adj (N,7,7) bool, op codes (N,7) into the returned names with -1 padding, names) of enumerated
    cells, with array arithmetic (423,624 networkx graphs would take minutes); output in the last column."""
    import numpy as np

    names = (*nb101.OPS, "input", "output")
    lut = np.full(256, -1, dtype=np.int16)  # indexed by hash label; negative labels wrap around
    for op, label in nb101.HASH_LABELS.items():
        lut[label] = names.index(op)
    adj = np.zeros(cells.matrices.shape, dtype=bool)
    codes = np.full(cells.labels.shape, -1, dtype=np.int16)
    for n in np.unique(cells.n_vertices):
        sel = np.flatnonzero(cells.n_vertices == n)
        order = nb101.naslib_order(int(n))
        adj[sel] = cells.matrices[sel][:, order][:, :, order].astype(bool)
        codes[sel] = lut[cells.labels[sel][:, order]]
    return adj, codes, names
