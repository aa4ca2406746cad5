"""NAS-Bench-101 cell space: cell specs, NB101's pruning and module hash, NASLib and padded encodings.

A cell is a DAG given by an upper-triangular 0/1 adjacency matrix (vertex 0 = input, last = output)
and one op per vertex. NB101 (Ying et al., ICML 2019) first *prunes* vertices that are not on an
input-to-output path, then requires <= 7 vertices and <= 9 edges; its identity is the module hash
(iterated md5 over in/out neighbour hashes), which must stay bit-compatible with the official
``graph_util.hash_module`` because every published NB101 file is keyed by it.
"""
from __future__ import annotations

import functools
import hashlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from nasdb.errors import ArchStringError, NasdbError

INPUT, OUTPUT = "input", "output"
CONV3X3, CONV1X1, MAXPOOL = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
OPS = (CONV3X3, CONV1X1, MAXPOOL)  # official order: the hash labels them 0, 1, 2
CONV_OPS = frozenset({CONV3X3, CONV1X1})
MAX_VERTICES = 7
MAX_EDGES = 9
N_ARCHS = 423_624

# Hash labels (official): input -1, output -2, inner op = its index in OPS. data-1k.json uses the
# same codes, plus -3 for padding vertices appended after the output.
HASH_LABELS = {INPUT: -1, OUTPUT: -2, **{op: i for i, op in enumerate(OPS)}}
PADDING_CODE = -3
# NASLib's 56-tuple: 7x7 adjacency row-major, then these op codes.
NASLIB_OP_IDS = {INPUT: 0, OUTPUT: 1, MAXPOOL: 2, CONV1X1: 3, CONV3X3: 4}
NASLIB_OPS = {v: k for k, v in NASLIB_OP_IDS.items()}
# NASLib has no padding code; a padding vertex there is an isolated vertex (pruned away) with this op.
NASLIB_PADDING_OP = MAXPOOL


class InvalidCellError(ArchStringError):
    """A matrix/ops pair is not a valid NB101 cell (shape, op names, disconnected, too big)."""


@dataclass(frozen=True)
class Cell:
    """A pruned, valid NB101 cell. Build it with :func:`spec`, never directly."""

    matrix: tuple[tuple[int, ...], ...]
    ops: tuple[str, ...]

    @property
    def n_vertices(self) -> int:
        return len(self.ops)

    @property
    def n_edges(self) -> int:
        return sum(map(sum, self.matrix))

    def array(self) -> np.ndarray:
        return np.array(self.matrix, dtype=np.int8)

    def labels(self) -> list[int]:
        return [HASH_LABELS[op] for op in self.ops]

    @property
    def hash(self) -> str:
        return module_hash(self.matrix, self.labels())


def _check_shape(m: np.ndarray, ops: list[str]) -> None:
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise InvalidCellError(f"NB101 adjacency must be a square matrix, got shape {m.shape}")
    if m.shape[0] != len(ops):
        raise InvalidCellError(f"NB101 cell has {m.shape[0]} vertices in its matrix but {len(ops)} ops")
    if m.shape[0] < 2:
        raise InvalidCellError(f"NB101 cell needs at least input and output vertices, got {m.shape[0]}")
    if not ((m == 0) | (m == 1)).all():
        raise InvalidCellError(f"NB101 adjacency entries must be 0 or 1, got {sorted(set(m.ravel().tolist()))}")
    lower = np.tril(m)
    if lower.any():
        i, j = map(int, np.argwhere(lower)[0])
        raise InvalidCellError(f"NB101 adjacency must be strictly upper triangular; edge {i}->{j} is not")


def _check_ops(ops: list[str]) -> None:
    if ops[0] != INPUT or ops[-1] != OUTPUT:
        raise InvalidCellError(f"NB101 ops must start with {INPUT!r} and end with {OUTPUT!r}, got {ops}")
    bad = [(i, op) for i, op in enumerate(ops[1:-1], start=1) if op not in OPS]
    if bad:
        raise InvalidCellError(f"unknown NB101 op {bad[0][1]!r} at vertex {bad[0][0]}; expected one of {OPS}")


def prune(matrix: np.ndarray) -> list[int] | None:
    """Vertices on some input->output path, as NB101's ``ModelSpec._prune`` keeps them; None if none.

    Like the official code, a graph whose input does not reach its output is invalid (None).
    """
    n = matrix.shape[0]
    from_input, frontier = {0}, [0]
    while frontier:
        top = frontier.pop()
        for v in range(top + 1, n):
            if matrix[top, v] and v not in from_input:
                from_input.add(v)
                frontier.append(v)
    to_output, frontier = {n - 1}, [n - 1]
    while frontier:
        top = frontier.pop()
        for v in range(top):
            if matrix[v, top] and v not in to_output:
                to_output.add(v)
                frontier.append(v)
    keep = sorted(from_input & to_output)
    return keep if len(keep) >= 2 else None


def spec(matrix, ops) -> Cell:
    """Validate, prune and bound-check a raw (matrix, ops) pair, like NB101's ModelSpec + is_valid."""
    m = np.asarray(matrix)
    ops = list(ops)
    _check_shape(m, ops)
    _check_ops(ops)
    keep = prune(m)
    if keep is None:
        raise InvalidCellError("NB101 cell is disconnected: no path from the input to the output vertex")
    m = m[np.ix_(keep, keep)].astype(int)
    if len(keep) > MAX_VERTICES:
        raise InvalidCellError(f"NB101 cell has {len(keep)} vertices after pruning; at most {MAX_VERTICES} allowed")
    if m.sum() > MAX_EDGES:
        raise InvalidCellError(f"NB101 cell has {int(m.sum())} edges after pruning; at most {MAX_EDGES} allowed")
    return Cell(tuple(map(tuple, m.tolist())), tuple(ops[i] for i in keep))


def _md5(s: str) -> str:
    return hashlib.md5(s.encode("utf-8")).hexdigest()


def module_hash(matrix, labels: list[int]) -> str:
    """NB101's module hash (``graph_util.hash_module``), bit for bit.

    Seed each vertex with md5 of str((out-degree, in-degree, label)); then, once per vertex,
    replace each hash by md5(sorted in-neighbour hashes | sorted out-neighbour hashes | own hash);
    the fingerprint is md5 of str(sorted(hashes)).
    """
    rows = np.asarray(matrix).tolist()  # plain lists: element access on arrays is 10x slower
    n = len(rows)
    ins = [[w for w in range(n) if rows[w][v]] for v in range(n)]
    outs = [[w for w in range(n) if rows[v][w]] for v in range(n)]
    hashes = [_md5(str((len(outs[v]), len(ins[v]), labels[v]))) for v in range(n)]
    md5 = hashlib.md5
    for _ in range(n):
        hashes = [md5(("".join(sorted([hashes[w] for w in ins[v]])) + "|"
                       + "".join(sorted([hashes[w] for w in outs[v]])) + "|" + hashes[v]).encode()).hexdigest()
                  for v in range(n)]
    return _md5(str(sorted(hashes)))


def _parse_ints(key: tuple[int, ...] | list[int] | str, what: str) -> list[int]:
    if isinstance(key, str):
        try:
            return [int(x) for x in key.strip().strip("()[]").split(",")]
        except ValueError:
            raise InvalidCellError(f"malformed {what} {key!r}: expected comma-separated integers") from None
    return [int(x) for x in key]


def from_naslib(key: tuple[int, ...] | str) -> Cell:
    """NASLib 56-tuple (7x7 adjacency row-major + 7 op codes), or its string form -> pruned cell."""
    t = _parse_ints(key, "NASLib NB101 key")
    if len(t) != 56:
        raise InvalidCellError(f"NASLib NB101 key must have 56 entries (49 adjacency + 7 ops), got {len(t)}: {key!r}")
    bad = [c for c in t[49:] if c not in NASLIB_OPS]
    if bad:
        raise InvalidCellError(f"NASLib NB101 key {key!r}: op code {bad[0]} not in {sorted(NASLIB_OPS)}")
    return spec(np.array(t[:49]).reshape(7, 7), [NASLIB_OPS[c] for c in t[49:]])


def naslib_order(n: int) -> list[int]:
    """Rows of a zero-padded (padding after the output) n-vertex cell, in NASLib 56-tuple order:
    the padding vertices move before the output, which NASLib requires at position 6."""
    return [*range(n - 1), *range(n, MAX_VERTICES), n - 1]


_NASLIB_OF_LABEL = np.zeros(256, dtype=np.int8)  # indexed by hash label (negative labels wrap around)
for _op, _label in HASH_LABELS.items():
    _NASLIB_OF_LABEL[_label] = NASLIB_OP_IDS[_op]
_NASLIB_OF_LABEL[PADDING_CODE] = NASLIB_OP_IDS[NASLIB_PADDING_OP]


def naslib_tuples(matrices: np.ndarray, labels: np.ndarray, n_vertices: np.ndarray) -> np.ndarray:
    """(N, 56) NASLib tuples of N cells given zero-padded (N, 7, 7) matrices and (N, 7) hash labels."""
    out = np.empty((len(n_vertices), 56), dtype=np.int8)
    for n in np.unique(n_vertices):
        rows = np.flatnonzero(n_vertices == n)
        order = naslib_order(int(n))
        out[rows, :49] = matrices[rows][:, order][:, :, order].reshape(len(rows), 49)
        out[rows, 49:] = _NASLIB_OF_LABEL[labels[rows][:, order]]
    return out


def to_naslib(cell: Cell) -> tuple[int, ...]:
    """Cell -> NASLib 56-tuple; a cell with < 7 vertices gets isolated padding vertices before its output."""
    m, codes = to_padded(cell)
    t = naslib_tuples(np.array([m], dtype=np.int8), np.array([codes], dtype=np.int8), np.array([cell.n_vertices]))
    return tuple(t[0].tolist())


def naslib_string(cell: Cell) -> str:
    return str(to_naslib(cell))


def from_padded(adjacency, operations) -> Cell:
    """data-1k.json's 7x7 zero-padded adjacency + op codes (-1 in, -2 out, 0..2 ops, -3 pad) -> cell."""
    m = np.asarray(adjacency, dtype=float)
    codes = _parse_ints(operations, "data-1k operations")
    if m.shape != (len(codes), len(codes)):
        raise InvalidCellError(f"padded NB101 cell: adjacency shape {m.shape} does not match {len(codes)} op codes")
    names = {v: k for k, v in HASH_LABELS.items()}
    keep = [i for i, c in enumerate(codes) if c != PADDING_CODE]
    for i, c in enumerate(codes):
        if c == PADDING_CODE and (m[i].any() or m[:, i].any()):
            raise InvalidCellError(f"padded NB101 cell: padding vertex {i} has edges")
        if c != PADDING_CODE and c not in names:
            raise InvalidCellError(f"padded NB101 cell: op code {c} at vertex {i} not in -3..2")
    return spec(m[np.ix_(keep, keep)].astype(int), [names[codes[i]] for i in keep])


def to_padded(cell: Cell) -> tuple[list[list[int]], list[int]]:
    """Cell -> (7x7 adjacency, 7 op codes) with padding vertices appended after the output."""
    m = np.zeros((MAX_VERTICES, MAX_VERTICES), dtype=int)
    n = cell.n_vertices
    m[:n, :n] = cell.array()
    return m.tolist(), cell.labels() + [PADDING_CODE] * (MAX_VERTICES - n)


def vertex_channels(cell: Cell, in_channels: int, out_channels: int) -> list[int]:
    """Channels of every vertex, as NB101's ``model_builder.compute_vertex_channels`` splits them
    (see :func:`nasdb.nets.nb101_split.vertex_channels`)."""
    from nasdb.nets.nb101_split import vertex_channels as split

    return split(cell.matrix, in_channels, out_channels)


def op_counts(cell: Cell) -> dict[str, int]:
    c = Counter(cell.ops[1:-1])
    return {op: c.get(op, 0) for op in OPS}


def n_conv(cell: Cell) -> int:
    return sum(op in CONV_OPS for op in cell.ops)


# --- the Space protocol (nasdb.spaces.protocol) ------------------------------------------------
# The arch_key is the module hash. Every valid pruned cell (<= 7 vertices, <= 9 edges) is in the
# space, so NASLib tuples and specs are checked by ``spec`` alone; a hash is in the space only if it
# is one of the 423,624 enumerated hashes (``nb101_enumerate``, computed once and cached), which is
# also where an index comes from: arch_id = position in sorted-hash order, as in ``archs``.

DATASETS = ("cifar10",)
ACCEPTED = ("expected an NB101 module hash (32 hex digits, one of the 423,624 cells); or a NASLib 56-tuple "
            "'(a, ..., a, o, ..., o)' (7x7 adjacency row-major, then 7 op codes: input 0, output 1, "
            "maxpool3x3 2, conv1x1-bn-relu 3, conv3x3-bn-relu 4); "
            "or a spec {\"matrix\": [[0, 1, ...], ...], \"ops\": [\"input\", ..., \"output\"]}")


@functools.cache
def _enumeration():
    """The enumerated space (computed once, about a minute with a progress bar, then read from the cache)."""
    from nasdb.spaces import nb101_enumerate

    return nb101_enumerate.load()


def rows_of(hashes: list[str]) -> np.ndarray:
    """Rows of the enumerated space (= arch_id) holding these module hashes; ArchStringError names the
    first hash that is not one."""
    cells = _enumeration()
    keys = np.asarray(hashes, dtype=cells.hashes.dtype)
    rows = np.minimum(np.searchsorted(cells.hashes, keys), len(cells) - 1)
    bad = np.flatnonzero(cells.hashes[rows] != keys)
    if len(bad):
        raise ArchStringError(f"{hashes[bad[0]]!r} is not the module hash of any of the {len(cells):,} NB101 "
                              f"cells: {ACCEPTED}")
    return rows


def _hash_form(arch: object) -> str | None:
    """A 32-hex-digit string, lowercased; None for anything else."""
    if isinstance(arch, str):
        key = arch.strip().lower()
        if len(key) == 32 and all(c in "0123456789abcdef" for c in key):
            return key
    return None


def form_key(arch: object) -> str:
    """The module hash of any accepted encoding; a hash is only checked for its form (32 hex digits),
    so this needs no enumeration (the ``archs`` table then tells whether it is one of the cells)."""
    return _hash_form(arch) or parse_any(arch).hash


def parse_any(arch: object) -> Cell:
    """Module hash, NASLib tuple (text or ints) or spec dict/JSON -> cell; ArchStringError otherwise."""
    from nasdb.spaces.protocol import int_sequence, json_object

    value = json_object(arch)
    if value is not None:
        if set(value) != {"matrix", "ops"} or not isinstance(value["ops"], list) \
                or not all(isinstance(op, str) for op in value["ops"]) or not _int_matrix(value["matrix"]):
            raise InvalidCellError(f"malformed NB101 spec {str(value)[:200]}: {ACCEPTED}")
        return spec(value["matrix"], value["ops"])
    t = int_sequence(arch, 56, "NASLib NB101 key", ACCEPTED)
    if t is not None:
        return from_naslib(t)
    if not isinstance(arch, str):
        raise ArchStringError(f"NB101 architecture must be a string, got {type(arch).__name__} {arch!r}: {ACCEPTED}")
    key = _hash_form(arch)
    if key is None:
        raise ArchStringError(f"malformed NB101 architecture {arch!r}: {ACCEPTED}")
    return _enumeration().cell(int(rows_of([key])[0]))


def _int_matrix(m: object) -> bool:
    return (isinstance(m, list) and 2 <= len(m) <= 7
            and all(isinstance(r, list) and len(r) == len(m) and all(x in (0, 1) and not isinstance(x, bool)
                                                                       for x in r) for r in m))


def to_spec(cell: Cell) -> dict:
    """google nasbench's ModelSpec form: adjacency matrix and op names (pruned)."""
    return {"matrix": [list(r) for r in cell.matrix], "ops": list(cell.ops)}


def neighbours(cell: Cell) -> list[str]:
    """Module hashes one edit away, as NASLib's NB101 ``get_nbhd`` mutates: one inner op changed, or
    one edge of the (pruned) matrix flipped, keeping only valid cells (re-pruned, <= 9 edges)."""
    out: dict[str, None] = {}
    m, ops = [list(r) for r in cell.matrix], list(cell.ops)
    for v in range(1, cell.n_vertices - 1):
        for op in OPS:
            if op != ops[v]:
                out[Cell(cell.matrix, tuple(ops[:v] + [op] + ops[v + 1:])).hash] = None
    for i in range(cell.n_vertices):
        for j in range(i + 1, cell.n_vertices):
            flipped = [r[:] for r in m]
            flipped[i][j] = 1 - flipped[i][j]
            try:
                out[spec(flipped, ops).hash] = None
            except InvalidCellError:
                continue
    out.pop(cell.hash, None)
    return list(out)


def shrinks(cell: Cell) -> list[str]:
    """Module hashes of the valid cells left when one edge of the DAG is removed (then re-pruned)."""
    out: dict[str, None] = {}
    m, ops = [list(r) for r in cell.matrix], list(cell.ops)
    for i, j in zip(*np.nonzero(cell.array())):
        cut = [r[:] for r in m]
        cut[i][j] = 0
        try:
            out[spec(cut, ops).hash] = None
        except InvalidCellError:
            continue
    return list(out)


def is_degenerate(cell: Cell) -> bool:
    """Never: pruning keeps only vertices on an input->output path, and invalid cells are not in the space."""
    return False


def cell_graph(cell: Cell):
    from nasdb.spaces.graphs import vertex_op_graph

    return vertex_op_graph(cell.matrix, cell.ops)


def arrays_of_cells(cells) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """``cell_graph`` of enumerated cells (``nb101_enumerate.Cells``) as padded arrays, with array
    arithmetic: the output moves to the last column, padding vertices (no edges, code -1) sit before it."""
    names = (*OPS, INPUT, OUTPUT)
    lut = np.full(256, -1, dtype=np.int16)  # indexed by hash label; negative labels wrap around
    for op, label in HASH_LABELS.items():
        lut[label] = names.index(op)
    adj = np.zeros(cells.matrices.shape, dtype=bool)
    codes = np.full(cells.labels.shape, -1, dtype=np.int16)
    for n in np.unique(cells.n_vertices):
        sel = np.flatnonzero(cells.n_vertices == n)
        order = naslib_order(int(n))
        adj[sel] = cells.matrices[sel][:, order][:, :, order].astype(bool)
        codes[sel] = lut[cells.labels[sel][:, order]]
    return adj, codes, names


def sizes(hashes: list[str], dataset: str):
    """Params, FLOPs and Conv2d/Linear layers of the cells' networks, counted for all of them at once in
    closed form (``nasdb.nets.nb101.sizes``) from the enumerated matrices: no network is built."""
    from nasdb.nets import nb101 as nets

    if dataset not in DATASETS:
        raise NasdbError(f"unknown NB101 dataset {dataset!r}; NB101 trained on cifar10 only")
    cells = _enumeration().take(rows_of(hashes))
    adjacency = np.zeros(cells.matrices.shape, dtype=np.int8)
    ops = np.full(cells.labels.shape, -1, dtype=np.int8)
    index = np.array([nets.OPS.index(op) for op in OPS], dtype=np.int8)  # hash label -> builder's op index
    for n in np.unique(cells.n_vertices):  # output to the last column; inner vertices keep their order
        sel = np.flatnonzero(cells.n_vertices == n)
        order = naslib_order(int(n))
        adjacency[sel] = cells.matrices[sel][:, order][:, :, order]
        labels = cells.labels[sel][:, order]
        ops[sel] = np.where(labels >= 0, index[np.maximum(labels, 0)], -1)
    return nets.sizes(adjacency, ops)


def dot(cell: Cell) -> str:
    from nasdb.spaces.drawing import vertex_cell

    return vertex_cell(cell.matrix, cell.ops)


def _surrogate(cell: Cell, dataset: str):
    from nasdb.spaces import nb101_surrogate

    return nb101_surrogate.surrogate(cell)


def _bulk(hashes: list[str], dataset: str):
    from nasdb.spaces import nb101_surrogate

    return nb101_surrogate.groups(_enumeration().take(rows_of(hashes)))


def network(cell: Cell, dataset: str | None = None, seed: int | None = None, device=None):
    """NB101's CIFAR-10 network for ``cell`` (stem 128 channels, 3 stacks x 3 cells, 10 classes)."""
    from nasdb.nets import build, nb101 as nets

    if (dataset or "cifar10") not in DATASETS:
        raise NasdbError(f"unknown NB101 dataset {dataset!r}; NB101 trained on cifar10 only")
    return build(lambda: nets.network(cell.matrix, cell.ops, num_classes=10), seed, device)


def _space():
    from nasdb.spaces.nb101_surrogate import SURROGATE_DEFAULTS
    from nasdb.spaces.protocol import Space

    return Space(
        bench="nb101", title="NAS-Bench-101 (Ying et al., ICML 2019)", grammar=ACCEPTED, datasets=DATASETS,
        ids=range(N_ARCHS), parse=parse_any, key=lambda cell: cell.hash,
        encodings={"official": lambda cell: cell.hash, "hash": lambda cell: cell.hash,
                   "naslib": naslib_string, "spec": to_spec},
        index_of=lambda cell: int(rows_of([cell.hash])[0]),
        at_index=lambda i: _enumeration().cell(i),
        enumerate=lambda: iter(_enumeration().hashes.tolist()),
        iso_key=lambda cell: cell.hash,  # the module hash is already invariant to vertex order
        op_counts=op_counts, n_conv=n_conv, is_degenerate=is_degenerate,
        cell_graph=cell_graph, neighbours=neighbours, dot=dot, shrinks=shrinks,
        surrogate=_surrogate, graph_of=lambda dataset: "", surrogate_settings=dict(SURROGATE_DEFAULTS),
        # naslib_key starts with the pruned matrix, so sorting by it keeps each of the 2,494 wirings together
        bulk=_bulk, chunk_order="naslib_key, arch_id", network=network, form_key=form_key,
        proxy_batch_size=32,  # NASLib's zc runner default, with which Suite-Zero scored NB101
        cell_arrays=lambda hashes: arrays_of_cells(_enumeration().take(rows_of(hashes))),
        sizes=sizes,
    )


SPACES = [_space()]
