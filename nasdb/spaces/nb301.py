"""NAS-Bench-301 (Siems et al., 2020): the DARTS cell space, as DARTS genotypes and NASLib's compact code.

An architecture is two cells (normal, reduce). Each cell has 2 inputs (0 = the cell two back,
1 = the previous cell) and 4 intermediate nodes 2..5; node ``k`` sums two ops applied to two
*different* earlier nodes, and the cell outputs the concatenation of nodes 2..5. NB301's ops are
the DARTS op set without ``none``.

Encodings (both keep each node's two ``(op, input)`` pairs in the order written):
* DARTS ``Genotype(normal=[('sep_conv_3x3', 0), ...8 pairs], normal_concat=[2, 3, 4, 5],
  reduce=[...], reduce_concat=[2, 3, 4, 5])`` -- the string form of the DARTS code's namedtuple.
* NASLib's compact code ``[[(input, op_id), ...8 pairs], [...8 pairs]]`` (normal, then reduce), op
  ids in NASLib's order (``naslib/search_spaces/nasbench301/conversions.py``): see ``NASLIB_OPS``.

Canonical form (``arch_key``): the genotype string with each node's two pairs sorted, so the
order in which a node's inputs are listed never makes two keys for one network. ``iso_key``
goes further: relabelling intermediate nodes (any order consistent with the wiring) only permutes
the concatenated channels, which the next 1x1 convolution absorbs, so such cells are one function.

The genotype machinery (parsing, canonical form, cell graph, NASGraph surrogate) is written for
any DARTS-family cell (``CellRules``); ``nasdb/spaces/nds.py`` reuses it for the NDS cell spaces.
"""
from __future__ import annotations

import ast
import functools
import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from nasdb.errors import ArchStringError

# NASLib's compact op ids, in its order (the DARTS op set without 'none')
NASLIB_OPS = ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
              "dil_conv_3x3", "dil_conv_5x5")
DARTS_OPS = ("none", *NASLIB_OPS)  # DARTS' PRIMITIVES; a derived DARTS genotype never holds 'none'
CONV_PREFIXES = ("conv_", "sep_conv_", "dil_conv_", "dil_sep_conv_")
CELLS = ("normal", "reduce")
N_NODES = 4
CONCAT = (2, 3, 4, 5)
# distinct canonical cells: node k (k = 0..3) picks 2 of k + 2 inputs, each with one of 7 ops
SPACE_SIZE = (functools.reduce(lambda a, n: a * (n * (n - 1) // 2), range(2, 6), 1) * 7 ** 8) ** 2
DATASET = "cifar10"

Pair = tuple[str, int]            # (op, input node)
Cell = tuple[Pair, ...]           # 2 pairs per intermediate node


class Genotype(NamedTuple):
    """A DARTS genotype with tuples (hashable); ``str()`` gives the DARTS repr with lists."""

    normal: Cell
    normal_concat: tuple[int, ...]
    reduce: Cell
    reduce_concat: tuple[int, ...]

    def __str__(self) -> str:
        def cell(c: Cell) -> str:
            return "[" + ", ".join(f"({op!r}, {i})" for op, i in c) + "]"

        return (f"Genotype(normal={cell(self.normal)}, normal_concat={list(self.normal_concat)}, "
                f"reduce={cell(self.reduce)}, reduce_concat={list(self.reduce_concat)})")


@dataclass(frozen=True)
class CellRules:
    """What a DARTS-family space allows: its op set, node count, concat rule and input rule."""

    name: str
    ops: tuple[str, ...]
    n_nodes: int | None = N_NODES        # None: any number of nodes
    # the nodes a cell outputs: these exactly; "all" intermediate nodes; "loose" ends (nodes no other
    # node reads, as NASNet-style cells concatenate); None: any subset
    concat: tuple[int, ...] | str | None = CONCAT
    distinct_inputs: bool = True         # a node's two inputs must differ

    @property
    def grammar(self) -> str:
        nodes = f"{self.n_nodes} nodes" if self.n_nodes else "k nodes"
        concat = (list(self.concat) if isinstance(self.concat, tuple) else
                  {"all": "[2..k+1]", "loose": "[the nodes no node reads]"}.get(self.concat, "[a subset of 2..k+1]"))
        return (f"expected a {self.name} DARTS genotype 'Genotype(normal=[(op, input), ...2 per node], "
                f"normal_concat={concat}, reduce=[...], reduce_concat={concat})' ({nodes}; node j of a cell "
                f"takes inputs in 0..j+1{', two different ones' if self.distinct_inputs else ''}; "
                f"op in {', '.join(self.ops)})")


NB301 = CellRules("NB301", NASLIB_OPS)
GRAMMAR = (NB301.grammar + ", or NASLib's compact code '[[(input, op_id), ...8 pairs], [...8 pairs]]' with op_id "
           + ", ".join(f"{i} {op}" for i, op in enumerate(NASLIB_OPS)))


# --- parsing ---------------------------------------------------------------------------------

def _literal(node: ast.AST, what: str, text: str) -> object:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        args = [_literal(a, what, text) for a in node.args]
        if all(isinstance(a, int) for a in args) and 1 <= len(args) <= 3:
            return list(range(*args))
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        raise ArchStringError(f"malformed genotype {text!r}: {what} is not a literal list")


def _genotype_fields(text: str) -> dict[str, object]:
    """The four fields of a ``Genotype(...)`` string (keywords or positional), as Python values."""
    try:
        call = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        call = None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "Genotype"):
        raise ArchStringError(f"malformed genotype {text!r}: not of the form Genotype(normal=..., ...)")
    names = list(Genotype._fields)
    if len(call.args) > 4 or any(k.arg not in names for k in call.keywords):
        raise ArchStringError(f"malformed genotype {text!r}: fields must be {', '.join(names)}")
    fields = {names[i]: _literal(a, names[i], text) for i, a in enumerate(call.args)}
    fields.update({k.arg: _literal(k.value, k.arg, text) for k in call.keywords})
    missing = [n for n in names if n not in fields]
    if missing:
        raise ArchStringError(f"malformed genotype {text!r}: missing {', '.join(missing)}")
    return fields


def _cell(raw: object, name: str, rules: CellRules, where: str) -> Cell:
    if not isinstance(raw, (list, tuple)) or len(raw) % 2 or not raw:
        raise ArchStringError(f"{where}: {name} cell must list 2 (op, input) pairs per node: {rules.grammar}")
    n_nodes = len(raw) // 2
    if rules.n_nodes is not None and n_nodes != rules.n_nodes:
        raise ArchStringError(f"{where}: {name} cell has {n_nodes} nodes, {rules.name} cells have "
                              f"{rules.n_nodes} ({2 * rules.n_nodes} pairs): {rules.grammar}")
    pairs = []
    for i, pair in enumerate(raw):
        if (not isinstance(pair, (list, tuple)) or len(pair) != 2 or not isinstance(pair[0], str)
                or not isinstance(pair[1], int) or isinstance(pair[1], bool)):
            raise ArchStringError(f"{where}: {name} pair {i} is {pair!r}, expected (op, input): {rules.grammar}")
        op, inp = pair
        if op not in rules.ops:
            raise ArchStringError(f"{where}: unknown {rules.name} op {op!r} in the {name} cell: {rules.grammar}")
        node = i // 2
        if not 0 <= inp <= node + 1:
            raise ArchStringError(f"{where}: {name} node {node + 2} takes input {inp}, allowed 0..{node + 1}: "
                                  f"{rules.grammar}")
        pairs.append((op, inp))
    if rules.distinct_inputs:
        for node in range(n_nodes):
            if pairs[2 * node][1] == pairs[2 * node + 1][1]:
                raise ArchStringError(f"{where}: {name} node {node + 2} takes input {pairs[2 * node][1]} twice; "
                                      f"its two inputs must differ: {rules.grammar}")
    return tuple(pairs)


def _concat(raw: object, name: str, cell: Cell, rules: CellRules, where: str) -> tuple[int, ...]:
    last = len(cell) // 2 + 1
    if (not isinstance(raw, (list, tuple)) or not raw
            or any(not isinstance(i, int) or not 2 <= i <= last for i in raw) or len(set(raw)) != len(raw)):
        raise ArchStringError(f"{where}: {name}_concat {raw!r} must list distinct nodes in 2..{last}: {rules.grammar}")
    if rules.concat is None:
        return tuple(raw)
    if rules.concat == "all":
        expected = tuple(range(2, last + 1))
    elif rules.concat == "loose":
        expected = tuple(k for k in range(2, last + 1) if k not in {inp for _, inp in cell})
    else:
        expected = rules.concat
    if tuple(sorted(raw)) != tuple(sorted(expected)):
        raise ArchStringError(f"{where}: {name}_concat {list(raw)} must be {list(expected)}: {rules.grammar}")
    return tuple(raw)


def genotype(fields: dict[str, object], rules: CellRules, where: str) -> Genotype:
    """A validated Genotype from its four fields (lists or tuples), checked against ``rules``."""
    cells = {c: _cell(fields[c], c, rules, where) for c in CELLS}
    return Genotype(cells["normal"], _concat(fields["normal_concat"], "normal", cells["normal"], rules, where),
                    cells["reduce"], _concat(fields["reduce_concat"], "reduce", cells["reduce"], rules, where))


def parse_genotype(arch: object, rules: CellRules = NB301) -> Genotype:
    """A genotype string, a Genotype-like object (``.normal`` ...) or a dict of the four fields."""
    if isinstance(arch, str):
        return genotype(_genotype_fields(arch), rules, repr(arch)[:120])
    if isinstance(arch, dict):
        fields = arch
    elif all(hasattr(arch, f) for f in Genotype._fields):
        fields = {f: getattr(arch, f) for f in Genotype._fields}
    else:
        raise ArchStringError(f"malformed {rules.name} architecture {arch!r:.120}: {rules.grammar}")
    missing = [f for f in Genotype._fields if f not in fields]
    if missing:
        raise ArchStringError(f"malformed {rules.name} genotype: missing {', '.join(missing)}: {rules.grammar}")
    return genotype(fields, rules, f"{rules.name} genotype")


_COMPACT_RE = re.compile(r"^[\s\[\]\(\),0-9]+$")


def from_naslib(compact: object) -> Genotype:
    """NASLib's compact code (string or nested sequences) -> Genotype; ArchStringError shows the grammar."""
    raw = compact
    if isinstance(compact, str):
        if not _COMPACT_RE.match(compact):
            raise ArchStringError(f"malformed NASLib NB301 code {compact!r:.120}: {GRAMMAR}")
        try:
            raw = ast.literal_eval(compact)
        except (ValueError, SyntaxError):
            raise ArchStringError(f"malformed NASLib NB301 code {compact!r:.120}: {GRAMMAR}")
    if not isinstance(raw, (list, tuple)) or len(raw) != 2:
        raise ArchStringError(f"malformed NASLib NB301 code {compact!r:.120}: expected [normal, reduce]: {GRAMMAR}")
    cells = []
    for name, cell in zip(CELLS, raw):
        if not isinstance(cell, (list, tuple)):
            raise ArchStringError(f"malformed NASLib NB301 code {compact!r:.120}: {name} is not a list: {GRAMMAR}")
        pairs = []
        for pair in cell:
            ok = (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(x, int) for x in pair)
                  and 0 <= pair[1] < len(NASLIB_OPS))
            if not ok:
                raise ArchStringError(f"NASLib NB301 code {compact!r:.120}: {name} pair {pair!r} is not "
                                      f"(input, op_id) with op_id 0..{len(NASLIB_OPS) - 1}: {GRAMMAR}")
            pairs.append((NASLIB_OPS[pair[1]], pair[0]))
        cells.append(pairs)
    fields = {"normal": cells[0], "normal_concat": CONCAT, "reduce": cells[1], "reduce_concat": CONCAT}
    return genotype(fields, NB301, "NASLib NB301 code")


def to_naslib(g: Genotype) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """Genotype -> NASLib's compact code (pairs in the genotype's order)."""
    return tuple(tuple((inp, NASLIB_OPS.index(op)) for op, inp in getattr(g, c)) for c in CELLS)  # type: ignore


def naslib_string(g: Genotype) -> str:
    """The compact code as NASLib's JSON files write it: ``[[(0, 3), ...], [...]]``."""
    return "[" + ", ".join("[" + ", ".join(f"({i}, {o})" for i, o in cell) + "]" for cell in to_naslib(g)) + "]"


def parse_with(arch: object, rules: CellRules, naslib: Callable[[object], Genotype] | None = None) -> Genotype:
    """Any encoding of a DARTS-family space -> its canonical Genotype: a genotype string or object, the
    ``spec`` dict (the four fields) or its JSON, or (when the space has one) the NASLib compact code."""
    from nasdb.spaces.protocol import json_object

    value = json_object(arch)
    if value is not None:
        return canonical(parse_genotype(value, rules))
    if isinstance(arch, str) and arch.strip().startswith("Genotype"):
        return canonical(parse_genotype(arch, rules))
    if isinstance(arch, str) or (isinstance(arch, (list, tuple)) and not hasattr(arch, "normal")):
        if naslib is None:
            raise ArchStringError(f"malformed {rules.name} architecture {arch!r:.120}: {rules.grammar}")
        return canonical(naslib(arch))
    return canonical(parse_genotype(arch, rules))


def parse(arch: object) -> Genotype:
    """Any NB301 encoding (genotype string/object/spec, NASLib compact code) -> its canonical Genotype."""
    return parse_with(arch, NB301, from_naslib)


def to_spec(g: Genotype) -> dict:
    """The ``spec`` encoding: the genotype's four fields as plain JSON-able lists."""
    return {"normal": [list(p) for p in g.normal], "normal_concat": list(g.normal_concat),
            "reduce": [list(p) for p in g.reduce], "reduce_concat": list(g.reduce_concat)}


# --- canonical forms -------------------------------------------------------------------------

def _sorted_nodes(cell: Cell) -> Cell:
    return tuple(p for k in range(0, len(cell), 2) for p in sorted(cell[k:k + 2], key=lambda p: (p[1], p[0])))


def canonical(g: Genotype) -> Genotype:
    """Each node's two pairs sorted by (input, op): the order a node lists its inputs carries no meaning."""
    return g._replace(normal=_sorted_nodes(g.normal), reduce=_sorted_nodes(g.reduce))


def key(g: Genotype) -> str:
    """The canonical ``arch_key``: the genotype string of the canonical form."""
    return str(canonical(g))


def _cell_iso_key(cell: Cell, concat: tuple[int, ...]) -> tuple:
    """Smallest relabelling of the intermediate nodes that keeps every input earlier than its node."""
    n = len(cell) // 2
    best = None
    for perm in itertools.permutations(range(n)):
        label = {0: 0, 1: 1, **{k + 2: perm[k] + 2 for k in range(n)}}
        nodes = [None] * n
        ok = True
        for k in range(n):
            pairs = tuple(sorted((label[inp], op) for op, inp in cell[2 * k:2 * k + 2]))
            if any(i >= label[k + 2] for i, _ in pairs):
                ok = False
                break
            nodes[perm[k]] = pairs
        if ok:
            cand = (tuple(nodes), tuple(sorted(label[c] for c in concat)))
            best = cand if best is None or cand < best else best
    return best


def iso_key(g: Genotype) -> str:
    """Equal for genotypes that differ only by input order or a relabelling of intermediate nodes."""
    return repr((_cell_iso_key(g.normal, g.normal_concat), _cell_iso_key(g.reduce, g.reduce_concat)))


# --- counts, graph, neighbours ----------------------------------------------------------------

def is_conv(op: str) -> bool:
    return op.startswith(CONV_PREFIXES)


def op_counts(g: Genotype, ops: tuple[str, ...] = NASLIB_OPS) -> dict[str, int]:
    """How often each op appears, both cells together."""
    c = Counter(op for cell in (g.normal, g.reduce) for op, _ in cell)
    return {op: c.get(op, 0) for op in ops}


def n_conv(g: Genotype) -> int:
    return sum(is_conv(op) for cell in (g.normal, g.reduce) for op, _ in cell)


def is_degenerate(g: Genotype) -> bool:
    """True when a cell's output does not depend on its inputs (only possible with 'none' ops)."""
    for cell, concat in ((g.normal, g.normal_concat), (g.reduce, g.reduce_concat)):
        live = {0, 1}
        for k in range(len(cell) // 2):
            if any(op != "none" and inp in live for op, inp in cell[2 * k:2 * k + 2]):
                live.add(k + 2)
        if not live & set(concat):
            return True
    return False


def cell_graph(g: Genotype):
    """Both cells as one op-on-node DAG (as NASLib and GRAF turn edge ops into nodes), wired as the
    network stacks them: node 0 is the ``input``; one node per op (attribute ``cell``); an op reading
    intermediate node k is fed by both ops summed into k; the normal cell's ops reading its inputs are
    fed by the input, the reduction cell's by the input (the cell two back) or, for input 1, by the
    normal cell's output ops (those summed into its concatenated nodes); the reduction cell's output
    ops feed the ``output``, the last node. Sums, concatenations and 1x1 preprocessing are implicit."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_node(0, op="input", cell="")
    feeds = {0: [0], 1: [0]}  # what a cell's input 0 / input 1 stands for
    for name in CELLS:
        cell, concat = getattr(g, name), getattr(g, f"{name}_concat")
        into = {**feeds}  # node -> the op nodes summed into it
        for k in range(len(cell) // 2):
            into[k + 2] = []
            for op, inp in cell[2 * k:2 * k + 2]:
                n = len(graph)
                graph.add_node(n, op=op, cell=name)
                graph.add_edges_from((src, n) for src in into[inp])
                into[k + 2].append(n)
        feeds = {0: [0], 1: [n for c in concat for n in into[c]]}
    out = len(graph)
    graph.add_node(out, op="output", cell="")
    graph.add_edges_from((n, out) for n in feeds[1])
    return graph


def dot(g: Genotype) -> str:
    """Graphviz drawing of both cells, side by side, ops on edges as the DARTS paper draws them."""
    lines = ['digraph cells { rankdir=LR; node [shape=box style=rounded];']
    for name in CELLS:
        cell, concat = getattr(g, name), getattr(g, f"{name}_concat")
        p = name[0]
        lines.append(f'  subgraph cluster_{name} {{ label="{name} cell";')
        lines.append(f'    {p}0 [label="c_{{k-2}}"]; {p}1 [label="c_{{k-1}}"]; {p}out [label="c_{{k}}" shape=ellipse];')
        for k in range(len(cell) // 2):
            lines.append(f'    {p}{k + 2} [label="{k + 2}" shape=circle];')
            lines += [f'    {p}{inp} -> {p}{k + 2} [label="{op}"];' for op, inp in cell[2 * k:2 * k + 2]]
        lines += [f'    {p}{c} -> {p}out [style=dashed];' for c in concat]
        lines.append("  }")
    return "\n".join(lines + ["}"])


def edits(g: Genotype, rules: CellRules = NB301) -> list[Genotype]:
    """Canonical genotypes one edit away inside ``rules``: one op changed, or one input moved to another
    allowed node (a "loose" concat follows the new wiring)."""
    out: dict[str, Genotype] = {}
    for name in CELLS:
        cell = list(getattr(g, name))
        for i, (op, inp) in enumerate(cell):
            changes = [(o, inp) for o in rules.ops if o != op]
            changes += [(op, j) for j in range(i // 2 + 2) if j != inp]
            for pair in changes:
                new = cell.copy()
                new[i] = pair
                fields = {**g._asdict(), name: new}
                if rules.concat == "loose":
                    fields[f"{name}_concat"] = [k for k in range(2, len(new) // 2 + 2) if k not in {p[1] for p in new}]
                try:
                    h = canonical(genotype(fields, rules, "edit"))
                except ArchStringError:
                    continue  # the edit leaves the space (e.g. a node reading one input twice)
                out.setdefault(str(h), h)
    out.pop(str(canonical(g)), None)
    return [out[k] for k in sorted(out)]


def neighbours(g: Genotype) -> list[str]:
    """Canonical keys one edit away: one op changed, or one input moved to another allowed node."""
    return [key(h) for h in edits(g, NB301)]


# --- NASGraph surrogate: the NDS CIFAR network as the NASGraph authors convert it -------------
# NASGraph-Public nasgraph/models/nds_relation_cfg.py (NDSCIFARNN) and nds_base_ops.py: stem 3x3
# conv (3 x C channels), ``cells`` cells with reductions at cells // 3 and 2 * cells // 3 (channels
# doubling there), no BatchNorm, ReLU after every conv op; 1x1 preprocessing convs (a factorized
# reduction after a reduction cell) read the concatenation of the previous cells' nodes; each
# intermediate node is an identity block summing its two op blocks; the head is an identity on
# the last cell's concatenation. Width rule (convert_graph.py): C = width // (32 // stem_channels).

SURROGATE_DEFAULTS = {"cells": 3, "stem_channels": 16, "image_size": 32}
NB301_WIDTH = 32  # NB301's training network: 32 initial channels, 8 cells


def _op_block(op: str, position: str, c: int, stride: int, size: int):
    """The surrogate block of one DARTS-family op on ``c`` channels (NASGraph's ops, no BN)."""
    from nasdb.surrogate.blocks import Block

    m = re.match(r"^(sep_conv|dil_conv|dil_sep_conv|conv|max_pool|avg_pool)_(\d)x(\d)$", op)
    if op == "none":
        return Block(position, "zero", c, c, size, stride=stride)
    if op == "skip_connect":
        if stride == 1:
            return Block(position, "identity", c, c, size)
        return Block(position, "factorized_reduce", c, c, size, stride=stride)
    m2 = re.match(r"^conv_(\d)x1_1x(\d)$", op)
    if m2:
        return Block(position, "conv_pair", c, c, size, kernel=int(m2.group(1)), stride=stride,
                     padding=int(m2.group(1)) // 2)
    if not m or m.group(2) != m.group(3):
        raise ArchStringError(f"op {op!r} has no NASGraph surrogate block")
    kind, k = m.group(1), int(m.group(2))
    if kind in ("sep_conv", "conv"):
        return Block(position, kind, c, c, size, kernel=k, stride=stride, padding=k // 2)
    if kind in ("dil_conv", "dil_sep_conv"):
        return Block(position, kind, c, c, size, kernel=k, stride=stride, padding=k - 1)
    if kind == "max_pool":
        return Block(position, "max_pool", c, c, size, kernel=k, stride=stride, padding=k // 2 if k > 2 else 0)
    return Block(position, "avg_pool2d", c, c, size, kernel=k, stride=stride, padding=k // 2 if k > 2 else 0)


def surrogate(g: Genotype, width: int = NB301_WIDTH, cells: int = 3, stem_channels: int = 16,
              image_size: int = 32):
    """The NASGraph surrogate network of genotype ``g`` trained at ``width`` initial channels."""
    from nasdb.surrogate.blocks import Block, Builder

    b = Builder()
    c = max(1, width // max(1, 32 // stem_channels))
    size = image_size
    x = b.add(Block("input", "input", 3, 3, size))
    stem = b.add(Block("stem", "conv", 3, 3 * c, size, kernel=3, padding=1), [x])
    # each cell input: (blocks, channels of each block, spatial size)
    inputs = [([stem], [3 * c], size), ([stem], [3 * c], size)]
    reduction_prev = False
    for i in range(cells):
        reduction = i in (cells // 3, 2 * cells // 3)
        c = 2 * c if reduction else c
        cell, concat = (g.reduce, g.reduce_concat) if reduction else (g.normal, g.normal_concat)
        pre = []
        for j, (blocks, chans, in_size) in enumerate(inputs):
            shifts = list(itertools.accumulate([0, *chans[:-1]]))
            kind = "factorized_reduce" if j == 0 and reduction_prev else "conv"
            block = Block(f"c{i}/pre{j}", kind, sum(chans), c, in_size, stride=2 if kind != "conv" else 1)
            pre.append(b.add(block, blocks, shifts))
        node = {0: pre[0], 1: pre[1]}
        out_size = size // 2 if reduction else size
        for k in range(len(cell) // 2):
            ops = []
            for j, (op, inp) in enumerate(cell[2 * k:2 * k + 2]):
                stride = 2 if reduction and inp < 2 else 1
                ops.append(b.add(_op_block(op, f"c{i}/n{k + 2}.{j}", c, stride, size if stride == 2 else out_size),
                                 [node[inp]]))
            node[k + 2] = b.add(Block(f"c{i}/n{k + 2}", "identity", c, c, out_size), ops)
        inputs = [inputs[1], ([node[j] for j in concat], [c] * len(concat), out_size)]
        size, reduction_prev = out_size, reduction
    blocks, chans, _ = inputs[1]
    b.add(Block("head", "identity", sum(chans), sum(chans), size), blocks, list(itertools.accumulate([0, *chans[:-1]])))
    return b.build()


# --- the training network and the Space protocol ----------------------------------------------

NB301_LAYERS = 8


def network(g: Genotype, dataset: str | None = None, seed: int | None = None, device=None):
    """NB301's training network: DARTS' CIFAR evaluation network, 32 initial channels, 8 cells, no
    auxiliary head, 10 classes (NB301 is CIFAR-10 only)."""
    from nasdb.errors import NasdbError
    from nasdb.nets import build
    from nasdb.nets.darts import NetworkCIFAR

    if dataset not in (None, DATASET):
        raise NasdbError(f"NB301 has only the dataset {DATASET!r} (got {dataset!r})")
    return build(lambda: NetworkCIFAR(g, width=NB301_WIDTH, layers=NB301_LAYERS, num_classes=10), seed, device)


def sizes(arch_keys: list[str], dataset: str):
    """Params, FLOPs and Conv2d/Linear layers of the archs' training networks, counted in closed form
    (``nasdb.nets.darts.size``): no network is built."""
    from nasdb.errors import NasdbError
    from nasdb.nets import darts
    from nasdb.nets.counting import stack

    if dataset != DATASET:
        raise NasdbError(f"NB301 has only the dataset {DATASET!r} (got {dataset!r})")
    return stack(darts.size(parse(k), width=NB301_WIDTH, layers=NB301_LAYERS, num_classes=10) for k in arch_keys)


def _space():
    from nasdb.spaces.protocol import Space

    return Space(
        bench="nb301", title="NAS-Bench-301 (Siems et al., 2020): the NAS-Bench-Suite-Zero sample",
        grammar=GRAMMAR + '; or a spec {"normal": [[op, input], ...], "normal_concat": [...], ...}',
        datasets=(DATASET,),
        # arch_id = the record's 'idx' in the Suite-Zero file (NASLib's sample order): the file defines it
        ids=range(725), index_of=None, at_index=None,
        parse=parse, key=key, encodings={"official": key, "naslib": naslib_string, "spec": to_spec},
        enumerate=None,  # ~1e18 cells: only the ingested sample is listed
        iso_key=iso_key, op_counts=op_counts, n_conv=n_conv, is_degenerate=is_degenerate,
        cell_graph=cell_graph, neighbours=neighbours, dot=dot,
        surrogate=lambda g, dataset: surrogate(g, NB301_WIDTH, **SURROGATE_DEFAULTS),
        graph_of=lambda dataset: "", surrogate_settings={**SURROGATE_DEFAULTS, "width": NB301_WIDTH},
        network=network, sizes=sizes,
    )


SPACES = [_space()]
