"""The Space protocol: everything nasdb knows about one search space, as plain functions and values.

A *spec* is the space's own immutable value for one architecture (NB201: the six edge ops; NB101: a
pruned ``nb101.Cell``; TNB101: the digit tuple). Everything else converts from or to it:

    space = nasdb.spaces.get("nb201")
    spec = space.parse("|nor_conv_3x3~0|+...")   # any accepted encoding; ArchStringError otherwise
    space.key(spec)                               # the canonical arch_key, as stored in ``archs``
    space.encodings["naslib"](spec)               # official / naslib / spec (/ hash for NB101)

``cell_graph(spec)`` is the cell as a DAG with the op on the *node* (attribute ``op``; ``input`` and
``output`` nodes included, ``none`` ops kept as nodes so the graph is lossless): spaces whose papers
put ops on edges (NB201, TNB101 micro) turn each edge into a node, as NASLib and GRAF do; NB101
is already op-on-node; a TNB101 macro network is its chain of modules. ``computational(g)`` drops
what computes nothing (``none`` nodes, nodes off every input->output path).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from nasdb.errors import ArchStringError

Spec = Any  # a space's own hashable value for one architecture

# an official index given as text: ASCII digits only (int("１２") would accept other scripts' digits)
# and no leading zero, so that 32 zeros is a (wrong) NB101 hash, never index 0
_INDEX_RE = re.compile(r"\A(?:0|[1-9][0-9]*)\Z")
_NUMBER_RE = re.compile(r"\A[ \t]*(?:0|[1-9][0-9]{0,2})[ \t]*\Z")


@dataclass(frozen=True)
class Space:
    """One search space (see the module docstring). A space module lists its spaces in ``SPACES``."""

    bench: str                                   # benchmark id, as in every table's ``bench`` column
    title: str
    grammar: str                                 # the accepted forms, shown in every parse error
    datasets: tuple[str, ...]                    # dataset / task names its rows carry
    ids: range | None                            # official indices (``archs.arch_id``); None: set by the files
    parse: Callable[[object], Spec]              # accepts exactly the space, else ArchStringError
    key: Callable[[Spec], str]                   # canonical ``arch_key``
    encodings: Mapping[str, Callable[[Spec], Any]]  # "official", "naslib", "spec" (+ "hash"): str or dict
    index_of: Callable[[Spec], int] | None       # official index by rule; None: only the ingested files know
    at_index: Callable[[int], Spec] | None       # the inverse (same None rule)
    # every arch_key of the space (official index order if known); None: too large to list (NB301's ~1e18
    # cells), the ingested files define which archs nasdb holds
    enumerate: Callable[[], Iterator[str]] | None
    iso_key: Callable[[Spec], str]               # equal for cells computing the same function
    op_counts: Callable[[Spec], dict[str, int]]
    n_conv: Callable[[Spec], int]
    is_degenerate: Callable[[Spec], bool]        # no input->output path of non-zero ops
    cell_graph: Callable[[Spec], Any]            # networkx.DiGraph, node attribute ``op``
    neighbours: Callable[[Spec], list[str]]      # arch_keys one edit away, inside the space
    dot: Callable[[Spec], str]                   # Graphviz drawing of the cell for the app
    # NASGraph: the surrogate network of (spec, dataset); datasets with equal graph_of share a graph;
    # None: no surrogate recipe for this space (nothing to score)
    surrogate: Callable[[Spec, str], Any] | None
    graph_of: Callable[[str], str]
    surrogate_settings: Mapping[str, Any]
    # optional fast path: (arch_keys, dataset) -> iterator of nasdb.surrogate.blocks.SlotGroup
    bulk: Callable[[list[str], str], Iterator[Any]] | None = None
    chunk_order: str = "arch_id"                 # archs column(s) to cut scoring chunks in
    # the network as the benchmark trained it: (spec, dataset=None, seed=None) -> torch.nn.Module
    network: Callable[..., Any] | None = field(default=None, compare=False)
    # the image shape (C, H, W) that network takes for a dataset (zero-cost proxies draw batches of it)
    input_shape: Callable[[str], tuple[int, ...]] = field(default=lambda dataset: (3, 32, 32), compare=False)
    # what the network was trained to output on a dataset: classification | regression | segmentation |
    # reconstruction (zero-cost proxies pick their loss and targets by it)
    task_kind: Callable[[str], str] = field(default=lambda dataset: "classification", compare=False)
    # (arch_keys, dataset) -> nasdb.nets.counting.Size of arrays: trainable parameters, operations of one
    # image's forward and Conv2d/Linear layers of each arch's ``network(spec, dataset)``, counted in closed
    # form from the shapes (no network built); None: only a built network can tell
    sizes: Callable[[list[str], str], Any] | None = field(default=None, compare=False)
    # the batch size NAS-Bench-Suite-Zero computed its zero-cost proxies with here (None: it did not)
    proxy_batch_size: int | None = None
    # AutoShrink's move: arch_keys with one computing edge of the cell removed (None: nothing to remove)
    shrinks: Callable[[Spec], list[str]] | None = None
    # optional fast path of cell_graph for many cells (GRAF features of 423,624 NB101 cells): arch_keys ->
    # (adj (N,V,V) bool in topological order, input column 0, output column V-1; op codes (N,V) into the
    # returned op names, -1 = padding; op names incl. 'input'/'output')
    cell_arrays: Callable[[list[str]], tuple[Any, Any, tuple[str, ...]]] | None = None
    # parse + key without loading data, where only the data can tell membership (an NB101 hash:
    # whether it is one of the enumerated 423,624); lookups then let the ``archs`` table decide
    form_key: Callable[[object], str] | None = None

    def arch_key(self, arch: object) -> str:
        """The canonical arch_key of any accepted encoding (membership checked by ``form_key``'s rule)."""
        return self.form_key(arch) if self.form_key is not None else self.key(self.parse(arch))

    @property
    def n_archs(self) -> int | None:
        return None if self.ids is None else len(self.ids)

    @property
    def per_dataset(self) -> bool:
        """Whether the NASGraph graph (so its proxies) depends on the dataset/task at all."""
        return len({self.graph_of(d) for d in self.datasets}) > 1

    def index_text(self, arch: object) -> int | None:
        """``arch`` as an official index (an int, or ASCII digits), range-checked; None if it is no index."""
        if isinstance(arch, bool) or not isinstance(arch, int | str):
            return None
        if isinstance(arch, str):
            if not _INDEX_RE.match(arch.strip()):
                return None
            if len(arch.strip()) > 12:
                bounds = "" if self.ids is None else f" {self.ids.start}..{self.ids.stop - 1}"
                raise ArchStringError(f"{self.bench} index {arch.strip()[:20]}... out of range{bounds}")
            arch = int(arch.strip())
        if self.ids is None:
            if arch < 0:
                raise ArchStringError(f"{self.bench} index {arch} is negative")
            return arch
        if arch not in self.ids:
            raise ArchStringError(f"{self.bench} index {arch} out of range {self.ids.start}..{self.ids.stop - 1}")
        return arch


def computational(g):
    """The part of a cell graph that computes something: no ``none`` nodes, only nodes on an
    input->output path (what GRAF-style features and WL similarity usually look at)."""
    import networkx as nx

    h = g.subgraph(n for n, op in g.nodes(data="op") if op != "none").copy()
    ins = [n for n, op in h.nodes(data="op") if op == "input"]
    outs = [n for n, op in h.nodes(data="op") if op == "output"]
    keep = set()
    for i in ins:
        keep |= (nx.descendants(h, i) | {i}) & set().union(*(nx.ancestors(h, o) | {o} for o in outs))
    return h.subgraph(keep).copy()


def int_sequence(arch: object, length: int, what: str, grammar: str) -> tuple[int, ...] | None:
    """A NASLib-style integer sequence: ``(a, b, ...)`` or ``[a, b, ...]`` text (ASCII digits without
    sign or leading zeros, ASCII blanks around commas) or a tuple/list of ints; None if ``arch`` does
    not look like one (text not opening with a bracket). Bools and floats are refused."""
    if isinstance(arch, tuple | list):
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in arch):
            raise ArchStringError(f"malformed {what} {arch!r}: {grammar}")
        values = tuple(arch)
    elif isinstance(arch, str) and arch.strip()[:1] in ("(", "["):
        text = arch.strip()
        parts = text[1:-1].split(",")
        if text[0] + text[-1] not in ("()", "[]") or not all(_NUMBER_RE.match(p) for p in parts):
            raise ArchStringError(f"malformed {what} {arch!r}: {grammar}")
        values = tuple(int(p) for p in parts)
    else:
        return None
    if len(values) != length:
        raise ArchStringError(f"malformed {what} {arch!r}: expected {length} entries, got {len(values)}; {grammar}")
    return values


def json_object(arch: object) -> dict | None:
    """The ``spec`` encoding: a dict, or its JSON text (``{...}``); None if ``arch`` is neither."""
    import json

    if isinstance(arch, dict):
        return arch
    if isinstance(arch, str) and arch.strip().startswith("{"):
        try:
            value = json.loads(arch)
        except (ValueError, RecursionError):
            raise ArchStringError(f"malformed spec {arch[:80]!r}: not valid JSON") from None
        if isinstance(value, dict):
            return value
    return None
