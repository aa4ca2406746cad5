"""Cell graphs (networkx DiGraphs with the op on every node) shared by the spaces' ``cell_graph``.

Node convention: integer nodes in topological order, attribute ``op``; the first node is the cell
input (op ``input``), the last the output (op ``output``).
"""
from __future__ import annotations


def edge_op_graph(ops: dict[tuple[int, int], str]):
    """An ops-on-edges cell (NB201, TNB101 micro) as an op-on-node DAG, as NASLib and GRAF convert it:
    one node per cell edge (in ``ops``' order, attribute ``edge``); the node of edge i->j feeds the
    nodes of every edge leaving j, the input feeds every edge leaving cell node 0, and every edge
    into the last cell node feeds the output. ``none`` edges stay as nodes with op ``none``."""
    import networkx as nx

    g = nx.DiGraph()
    last = max(j for _, j in ops)
    g.add_node(0, op="input")
    node = {edge: k + 1 for k, edge in enumerate(ops)}
    out = len(ops) + 1
    for edge, k in node.items():
        g.add_node(k, op=ops[edge], edge=edge)
    g.add_node(out, op="output")
    for (i, j), k in node.items():
        if i == 0:
            g.add_edge(0, k)
        for (a, b), m in node.items():
            if a == j:
                g.add_edge(k, m)
        if j == last:
            g.add_edge(k, out)
    return g


def vertex_op_graph(matrix, ops):
    """An ops-on-vertices cell (NB101): the adjacency matrix as it is."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from((i, {"op": op}) for i, op in enumerate(ops))
    g.add_edges_from((i, j) for i, row in enumerate(matrix) for j, e in enumerate(row) if e)
    return g


def chain_graph(ops: list[str]):
    """A network that is a chain of modules (TNB101 macro): input, one node per module, output."""
    import networkx as nx

    g = nx.path_graph(len(ops) + 2, create_using=nx.DiGraph)
    nx.set_node_attributes(g, dict(enumerate(["input", *ops, "output"])), "op")
    return g
