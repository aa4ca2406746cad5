"""GRAF-style graph features of cells, computed for a whole population at once with array arithmetic.

Kadlecová et al., "Surprisingly strong performance prediction with neural graph features" (GRAF,
ICML 2024) describe a cell by simple counts on its DAG. Here every cell becomes an *op-node* DAG
(an op on an edge becomes a node on that edge, so NB201-style and NB101-style cells look alike),
padded into arrays: ``adj[n, u, v]`` (u -> v, nodes in topological order, input first, output last)
and ``ops[n, v]`` (index into the space's op names; -1 padding). Then each feature is a handful of
vectorised passes over at most V nodes, whatever the number of cells.

Features (``graf_`` prefix; path lengths count op nodes, i.e. edges of an edge-op cell):

* ``count_<op>``: cells' nodes holding <op> (GRAF ``op_count``);
* ``min_path_without_<op>``: shortest input->output path avoiding <op> (GRAF ``min_path_len`` with
  banned=[op]); NULL if every path uses it;
* ``max_path_only_<op>``: longest input->output path through <op> nodes only (GRAF
  ``max_op_on_path`` with allowed=[op]); NULL if there is none;
* ``from_input_<op>`` / ``to_output_<op>``: <op> nodes fed by the input / feeding the output (GRAF
  ``node_degree`` in_degree / out_degree with allowed=[op]);
* ``min_path`` / ``depth``: shortest / longest input->output path over nodes that carry signal
  (ops named ``none``/``zero`` carry none); NULL when no signal reaches the output;
* ``width``: most live op nodes at one depth level (level = longest distance from the input);
* ``trainable``: live op nodes with a trainable op (not none/zero/skip/identity/pooling: :func:`is_trainable`);
* ``unreachable``: signal-carrying op nodes that are not live (GRAF zeroes them out: a cell where this
  is 0 is one of GRAF's "valid" nets).
A node is live when it lies on an input->output path of signal-carrying nodes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import networkx as nx
import numpy as np

ZERO_OPS = frozenset({"none", "zero"})
IO = ("input", "output")


PARAMETER_FREE = ("none", "zero", "skip", "identity", "pool")


def is_trainable(op: str) -> bool:
    """Ops with weights: every op except the parameter-free ones, which every space names with one of
    PARAMETER_FREE (NB201 ``skip_connect``/``avg_pool_3x3``, NB101 ``maxpool3x3``; TNB101 macro modules
    are residual blocks, so trainable)."""
    return not any(word in op for word in PARAMETER_FREE)


def token(op: str) -> str:
    """Op name as a proxy-name token: ``conv3x3-bn-relu`` -> ``conv3x3_bn_relu``."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", op).strip("_").lower()


@dataclass(frozen=True)
class Dags:
    """A population of op-node DAGs as padded arrays (input at column 0, output at column V-1)."""

    adj: np.ndarray        # (N, V, V) bool
    ops: np.ndarray        # (N, V) int16, index into op_names; -1 = padding
    op_names: tuple[str, ...]

    def __len__(self) -> int:
        return self.adj.shape[0]


def _op_nodes(g: nx.DiGraph) -> tuple[list[str], list[tuple[int, int]]]:
    """(ops in topological order with input first and output last, edges) of one cell graph."""
    if any("op" in d for _, _, d in g.edges(data=True)):  # edge ops -> one node per edge
        nodes = {n: g.nodes[n].get("op") for n in g.nodes}
        h = nx.DiGraph()
        for n, op in nodes.items():
            if op in IO:
                h.add_node(("n", n), op=op)
        for u, v, d in g.edges(data=True):
            h.add_node(("e", u, v), op=d["op"])
            if nodes[u] == "input":
                h.add_edge(("n", u), ("e", u, v))
            if nodes[v] == "output":
                h.add_edge(("e", u, v), ("n", v))
        for u, v in g.edges:
            for w in g.successors(v):
                h.add_edge(("e", u, v), ("e", v, w))
        g = h
    ends = {g.nodes[n]["op"]: n for n in g.nodes if g.nodes[n]["op"] in IO}
    ops = [g.nodes[n]["op"] for n in g.nodes]
    if ops.count("input") != 1 or ops.count("output") != 1:
        raise ValueError(f"a cell graph needs one 'input' and one 'output' node, got ops {ops}")
    order = [ends["input"], *(n for n in nx.topological_sort(g) if n not in ends.values()), ends["output"]]
    pos = {n: i for i, n in enumerate(order)}
    return [g.nodes[n]["op"] for n in order], [(pos[u], pos[v]) for u, v in g.edges]


def _template(g: nx.DiGraph) -> tuple[list, np.ndarray]:
    """Where each op-node's op comes from (a node or edge position of ``g``, or 'input'/'output'), and
    the op-node adjacency, for every cell with ``g``'s wiring: computed once per wiring."""
    nodes = list(g.nodes)
    t = nx.DiGraph()
    t.add_nodes_from((v, {"op": op if op in IO else i}) for i, (v, op) in enumerate(g.nodes(data="op")))
    t.add_edges_from((u, v, {} if op is None else {"op": len(nodes) + j})
                     for j, (u, v, op) in enumerate(g.edges(data="op")))
    sources, edges = _op_nodes(t)
    m = np.zeros((len(sources), len(sources)), dtype=bool)
    for u, v in edges:
        m[u, v] = True
    return sources, m


def _wiring(g: nx.DiGraph) -> tuple:
    return (tuple(g.nodes), tuple(g.edges), tuple(op if op in IO else None for _, op in g.nodes(data="op")),
            tuple(op is None for _, _, op in g.edges(data="op")))


def from_graphs(graphs: list[nx.DiGraph], op_names: tuple[str, ...]) -> Dags:
    """Pack cell graphs (node attribute ``op``, or ``op`` on edges) into padded arrays."""
    names = (*op_names, *IO)
    index = {op: i for i, op in enumerate(names)}
    templates: dict[tuple, tuple[list, np.ndarray]] = {}
    cells = []
    for g in graphs:
        key = _wiring(g)
        if key not in templates:
            templates[key] = _template(g)
        sources, m = templates[key]
        labels = [op for _, op in g.nodes(data="op")] + [op for _, _, op in g.edges(data="op")]
        cells.append(([index[s] if s in index else index[labels[s]] for s in sources], m))
    V = max((len(ops) for ops, _ in cells), default=2)
    adj = np.zeros((len(cells), V, V), dtype=bool)
    codes = np.full((len(cells), V), -1, dtype=np.int16)
    for n, (ops, m) in enumerate(cells):
        col = np.array([*range(len(ops) - 1), V - 1])  # output in the last column, padding before it
        codes[n, col] = ops
        adj[n, col[:, None], col[None, :]] = m
    return Dags(adj, codes, names)


def _paths(adj: np.ndarray, ok: np.ndarray, weight: np.ndarray, longest: bool) -> np.ndarray:
    """Per node: shortest/longest weighted distance from node 0 over allowed nodes (+-inf: unreachable)."""
    fill = -np.inf if longest else np.inf
    n, V = ok.shape
    dist = np.full((n, V), fill)
    dist[:, 0] = np.where(ok[:, 0], 0.0, fill)
    for v in range(1, V):
        cand = np.where(adj[:, :v, v], dist[:, :v], fill)
        best = cand.max(axis=1) if longest else cand.min(axis=1)
        dist[:, v] = np.where(ok[:, v], best + weight[:, v], fill)
    return dist


def _finite_or_nan(x: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(x), x, np.nan)


def features(d: Dags) -> dict[str, np.ndarray]:
    """Every ``graf_*`` feature of every cell, float64 arrays (NaN where undefined; see module doc)."""
    adj, ops = d.adj, d.ops
    real = ops >= 0
    io = np.zeros_like(real)
    io[:, 0] = io[:, -1] = True
    weight = (real & ~io).astype(np.float64)  # a path's length counts its op nodes
    inner = [(i, op) for i, op in enumerate(d.op_names) if op not in IO]
    zero = np.isin(ops, [i for i, op in inner if op in ZERO_OPS])
    signal = real & ~zero
    out: dict[str, np.ndarray] = {}
    for i, op in inner:
        t = token(op)
        is_op = ops == i
        out[f"graf_count_{t}"] = is_op.sum(axis=1).astype(np.float64)
        out[f"graf_min_path_without_{t}"] = _finite_or_nan(_paths(adj, real & ~is_op, weight, False)[:, -1])
        out[f"graf_max_path_only_{t}"] = _finite_or_nan(_paths(adj, is_op | io, weight, True)[:, -1])
        out[f"graf_from_input_{t}"] = (adj[:, 0, :] & is_op).sum(axis=1).astype(np.float64)
        out[f"graf_to_output_{t}"] = (adj[:, :, -1] & is_op).sum(axis=1).astype(np.float64)
    fwd = _paths(adj, signal, weight, True)
    back = _paths(adj.transpose(0, 2, 1)[:, ::-1, ::-1], signal[:, ::-1], weight[:, ::-1], True)[:, ::-1]
    live = np.isfinite(fwd) & np.isfinite(back) & signal
    out["graf_min_path"] = _finite_or_nan(_paths(adj, signal, weight, False)[:, -1])
    out["graf_depth"] = _finite_or_nan(fwd[:, -1])
    V = ops.shape[1]
    level = np.where(live & ~io, _paths(adj, live, np.ones_like(weight), True), -1).astype(np.int64)
    per_level = np.zeros((len(d), V + 1), dtype=np.int64)
    rows = np.repeat(np.arange(len(d)), V)
    np.add.at(per_level, (rows, level.ravel() + 1), 1)
    out["graf_width"] = per_level[:, 1:].max(axis=1).astype(np.float64)
    trainable = np.isin(ops, [i for i, op in inner if is_trainable(op)])
    out["graf_trainable"] = (live & trainable).sum(axis=1).astype(np.float64)
    out["graf_unreachable"] = (signal & ~live & ~io).sum(axis=1).astype(np.float64)
    return out


def names(op_names: tuple[str, ...]) -> list[str]:
    """Feature names for a space's ops, in the order :func:`features` returns them."""
    per_op = ("count", "min_path_without", "max_path_only", "from_input", "to_output")
    return ([f"graf_{k}_{token(op)}" for op in op_names if op not in IO for k in per_op]
            + ["graf_min_path", "graf_depth", "graf_width", "graf_trainable", "graf_unreachable"])


def null_reason(name: str) -> str:
    if name.startswith("graf_min_path_without_"):
        return "every input->output path uses this op"
    if name.startswith("graf_max_path_only_"):
        return "no input->output path through this op alone"
    return "no signal-carrying input->output path (degenerate cell)"
