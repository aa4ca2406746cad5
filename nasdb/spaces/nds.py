"""NDS (Radosavovic et al., ICCV 2019, "On Network Design Spaces for Visual Recognition"): its design spaces.

The NDS release (``data.zip``, one JSON file per sweep) is not mirrored here; ``nasdb ingest-nds --dir``
reads a user's copy. Each sweep is one benchmark ``nds_<file stem, lower case>``:

* cell spaces (``Amoeba``, ``DARTS``, ``ENAS``, ``NASNet``, ``PNAS``): a record's ``net`` holds a
  DARTS-style ``genotype`` plus ``width`` (initial channels) and ``depth`` (cells); the spec is
  ``NdsCell(genotype, width, depth)``. Op sets and node counts follow NDS Table 1 (from the NASNet,
  AmoebaNet, PNAS, ENAS and DARTS papers) with pycls' op names; DARTS and PNAS cells output all
  their nodes, the others their loose ends.
* block spaces (``ResNet``, ``ResNet-B``, ``ResNeXt-A``, ``ResNeXt-B``, ``Vanilla``): ``net`` holds
  pycls AnyNet parameters (``block_type``, per-stage ``ds`` depths, ``ws`` widths, ``ss`` strides,
  ``bot_muls``, ``num_gs``); the spec is that dict, frozen.

Variants: ``_fix-w-d`` (width and depth fixed), ``_lr-wd`` (learning rate and weight decay sampled
too), ``_in`` (trained on ImageNet). NASGraph surrogates exist for the CIFAR cell spaces (the
authors' NDS recipe, shared with NB301); their code converts neither ImageNet nor block networks.
"""
from __future__ import annotations

import functools
import json
import re
from typing import NamedTuple

from nasdb.errors import ArchStringError
from nasdb.spaces import nb301
from nasdb.spaces.nb301 import CellRules, Genotype

POOLS = ("avg_pool_3x3", "max_pool_3x3")
CELL_RULES = {
    "Amoeba": CellRules("NDS Amoeba", ("skip_connect", *POOLS, "sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7",
                                       "dil_sep_conv_3x3", "conv_7x1_1x7"), 5, "loose", False),
    "DARTS": CellRules("NDS DARTS", nb301.DARTS_OPS, 4, "all", True),
    "ENAS": CellRules("NDS ENAS", ("skip_connect", *POOLS, "sep_conv_3x3", "sep_conv_5x5"), 5, "loose", False),
    "NASNet": CellRules("NDS NASNet", ("skip_connect", "conv_3x1_1x3", "conv_7x1_1x7", "dil_conv_3x3", *POOLS,
                                       "max_pool_5x5", "max_pool_7x7", "conv_1x1", "conv_3x3", "sep_conv_3x3",
                                       "sep_conv_5x5", "sep_conv_7x7"), 5, "loose", False),
    "PNAS": CellRules("NDS PNAS", ("skip_connect", *POOLS, "sep_conv_3x3", "sep_conv_5x5", "sep_conv_7x7",
                                   "conv_7x1_1x7", "dil_conv_3x3"), 5, "all", False),
}
BLOCK_FAMILIES = ("ResNet", "ResNet-B", "ResNeXt-A", "ResNeXt-B", "Vanilla")
# the sweeps of the NDS release (facebookresearch/nds data.zip), as file stems
SWEEPS = ("Amoeba", "Amoeba_in", "DARTS", "DARTS_fix-w-d", "DARTS_in", "DARTS_lr-wd", "DARTS_lr-wd_in", "ENAS",
          "ENAS_fix-w-d", "ENAS_in", "NASNet", "NASNet_in", "PNAS", "PNAS_fix-w-d", "PNAS_in", "ResNeXt-A",
          "ResNeXt-A_in", "ResNeXt-B", "ResNeXt-B_in", "ResNet", "ResNet-B", "ResNet_lr-wd", "ResNet_lr-wd_in",
          "Vanilla", "Vanilla_lr-wd", "Vanilla_lr-wd_in")
BLOCK_TYPES = ("res_basic_block", "res_bottleneck_block", "double_plain_block", "vanilla_block")
BLOCK_KEYS = {"block_type", "ds", "ws", "ss", "bot_muls", "num_gs"}
CELL_KEYS = {"genotype", "width", "depth", "aux", "drop_prob"}


def bench_of(sweep: str) -> str:
    return f"nds_{sweep.lower()}"


def family_of(sweep: str) -> str:
    return sweep.split("_")[0]


def dataset_of(sweep: str) -> str:
    return "imagenet" if sweep.endswith("_in") else "cifar10"


class NdsCell(NamedTuple):
    genotype: Genotype
    width: int
    depth: int

    def __str__(self) -> str:
        return f"{self.genotype} width={self.width} depth={self.depth}"


_CELL_KEY_RE = re.compile(r"^(Genotype\(.*\))\s+width=(\d+)\s+depth=(\d+)$", re.S)


def _positive(value: object, what: str, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ArchStringError(f"{where}: {what} must be a positive integer, got {value!r}")
    return value


def parse_cell(arch: object, rules: CellRules) -> NdsCell:
    """``"Genotype(...) width=W depth=D"``, or a record's ``net`` dict (or its JSON) -> NdsCell."""
    from nasdb.spaces.protocol import json_object

    where = f"{rules.name} architecture"
    value = json_object(arch)
    if value is None:
        m = _CELL_KEY_RE.match(arch.strip()) if isinstance(arch, str) else None
        if not m:
            raise ArchStringError(f"malformed {where} {arch!r:.120}: expected 'Genotype(...) width=W depth=D' or "
                                  f"a net {{\"genotype\": ..., \"width\": W, \"depth\": D}}; {rules.grammar}")
        g = nb301.parse_genotype(m.group(1), rules)
        return NdsCell(nb301.canonical(g), _positive(int(m.group(2)), "width", where),
                       _positive(int(m.group(3)), "depth", where))
    unknown = set(value) - CELL_KEYS
    if unknown or not {"genotype", "width", "depth"} <= set(value):
        raise ArchStringError(f"malformed {where} {value!r:.120}: expected keys genotype, width, depth "
                              f"(aux, drop_prob allowed), got {sorted(value)}")
    return NdsCell(nb301.canonical(nb301.parse_genotype(value["genotype"], rules)),
                   _positive(value["width"], "width", where), _positive(value["depth"], "depth", where))


class NdsBlocks(NamedTuple):
    """A pycls AnyNet of NDS: block type and per-stage depths/widths/strides (+ bottleneck, groups)."""

    block_type: str
    ds: tuple[int, ...]
    ws: tuple[int, ...]
    ss: tuple[int, ...]
    bot_muls: tuple[float, ...] | None
    num_gs: tuple[int, ...] | None

    def __str__(self) -> str:
        return json.dumps({k: (list(v) if isinstance(v, tuple) else v) for k, v in self._asdict().items()
                           if v is not None}, sort_keys=True)


def parse_blocks(arch: object, family: str) -> NdsBlocks:
    """A record's ``net`` dict of a block space (or its JSON) -> NdsBlocks."""
    from nasdb.spaces.protocol import json_object

    value = json_object(arch)
    grammar = (f"expected an NDS {family} net {{\"block_type\": one of {', '.join(BLOCK_TYPES)}, \"ds\": [depths], "
               f"\"ws\": [widths], \"ss\": [strides], optional \"bot_muls\", \"num_gs\"}}, one entry per stage")
    if value is None or set(value) - BLOCK_KEYS or not {"block_type", "ds", "ws", "ss"} <= set(value):
        raise ArchStringError(f"malformed NDS {family} architecture {arch!r:.120}: {grammar}")
    if value["block_type"] not in BLOCK_TYPES:
        raise ArchStringError(f"unknown NDS block type {value['block_type']!r}: {grammar}")
    stages = None
    fields = {}
    for name in ("ds", "ws", "ss", "bot_muls", "num_gs"):
        v = value.get(name)
        if v is None:
            fields[name] = None
            continue
        number = (int, float) if name == "bot_muls" else int
        if (not isinstance(v, list | tuple) or not v or any(isinstance(x, bool) or not isinstance(x, number)
                                                           or x <= 0 for x in v)):
            raise ArchStringError(f"NDS {family} net: {name} {v!r} must list positive numbers: {grammar}")
        if stages is not None and len(v) != stages:
            raise ArchStringError(f"NDS {family} net: {name} has {len(v)} stages, ds has {stages}: {grammar}")
        stages = len(v) if stages is None else stages
        fields[name] = tuple(v)
    return NdsBlocks(value["block_type"], **fields)


def _block_graph(b: NdsBlocks):
    from nasdb.spaces.graphs import chain_graph

    return chain_graph([f"{d} x {b.block_type} w{w} s{s}" for d, w, s in zip(b.ds, b.ws, b.ss)])


def _block_dot(b: NdsBlocks) -> str:
    from nasdb.spaces.drawing import chain

    return chain(["stem", *[f"stage {i + 1}\\n{d} x {b.block_type}, width {w}, stride {s}"
                            for i, (d, w, s) in enumerate(zip(b.ds, b.ws, b.ss))], "head"])


def _cell_network(spec: NdsCell, dataset: str | None = None, seed: int | None = None, device=None):
    """The pycls NAS CIFAR network of a record (no auxiliary head, 10 classes)."""
    from nasdb.nets import build
    from nasdb.nets.darts import NetworkCIFAR

    return build(lambda: NetworkCIFAR(spec.genotype, width=spec.width, layers=spec.depth), seed, device)


def _cell_space(sweep: str):
    from nasdb.spaces.protocol import Space

    rules = CELL_RULES[family_of(sweep)]
    cifar = dataset_of(sweep) == "cifar10"
    spec_of = functools.partial(parse_cell, rules=rules)
    return Space(
        bench=bench_of(sweep), title=f"NDS {sweep} (Radosavovic et al., ICCV 2019)",
        grammar=f"'Genotype(...) width=W depth=D' or a net {{\"genotype\": ..., \"width\": W, \"depth\": D}}; "
                f"{rules.grammar}",
        datasets=(dataset_of(sweep),), ids=None, index_of=None, at_index=None,
        parse=spec_of, key=str,
        encodings={"official": str, "spec": lambda s: {"genotype": nb301.to_spec(s.genotype), "width": s.width,
                                                        "depth": s.depth}},
        enumerate=None,
        iso_key=lambda s: f"{nb301.iso_key(s.genotype)} width={s.width} depth={s.depth}",
        op_counts=lambda s: nb301.op_counts(s.genotype, rules.ops), n_conv=lambda s: nb301.n_conv(s.genotype),
        is_degenerate=lambda s: nb301.is_degenerate(s.genotype),
        cell_graph=lambda s: nb301.cell_graph(s.genotype), dot=lambda s: nb301.dot(s.genotype),
        neighbours=lambda s: [str(s._replace(genotype=h)) for h in nb301.edits(s.genotype, rules)],
        # the authors' NDS recipe converts CIFAR cell networks only
        surrogate=(lambda s, dataset: nb301.surrogate(s.genotype, s.width, **nb301.SURROGATE_DEFAULTS)) if cifar
        else None,
        graph_of=lambda dataset: "", surrogate_settings=dict(nb301.SURROGATE_DEFAULTS) if cifar else {},
        network=_cell_network if cifar else None,
    )


def _block_space(sweep: str):
    from nasdb.spaces.protocol import Space

    family = family_of(sweep)
    return Space(
        bench=bench_of(sweep), title=f"NDS {sweep} (Radosavovic et al., ICCV 2019)",
        grammar=f"an NDS {family} net as JSON {{\"block_type\", \"ds\", \"ws\", \"ss\", (\"bot_muls\", \"num_gs\")}}",
        datasets=(dataset_of(sweep),), ids=None, index_of=None, at_index=None,
        parse=functools.partial(parse_blocks, family=family), key=str,
        encodings={"official": str, "spec": lambda b: json.loads(str(b))},
        enumerate=None, iso_key=str,
        op_counts=lambda b: {b.block_type: sum(b.ds)},
        n_conv=lambda b: sum(b.ds) * (3 if "bottleneck" in b.block_type else 2),
        is_degenerate=lambda b: False, cell_graph=_block_graph, dot=_block_dot,
        neighbours=lambda b: [], surrogate=None, graph_of=lambda dataset: "",
        surrogate_settings={}, network=None,
    )


SPACES = [_cell_space(s) if family_of(s) in CELL_RULES else _block_space(s) for s in SWEEPS]
