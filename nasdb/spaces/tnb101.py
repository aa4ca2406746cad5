"""TransNAS-Bench-101: macro (ResNet-like skeletons) and micro (cell) spaces, official index rule.

The official API lists the macro space first (ids 0..3255), then the micro space (3256..7351).
Macro ``64-<digits>-basic``: one digit per module, 1 plain, 2 channel doubling, 3 downsampling,
4 both. Micro ``64-41414-a_bc_def``: the cell's edge ops 0->1 | 0->2 1->2 | 0->3 1->3 2->3 with
0 none, 1 skip_connect, 2 conv1x1, 3 conv3x3. nasdb keeps the two spaces as separate benchmarks
(``tnb101_macro``, ``tnb101_micro``) but stores the official index as ``arch_id`` in both.
"""
from __future__ import annotations

import functools
import itertools
import math
import re

from nasdb.errors import ArchStringError

TASKS = ("class_scene", "class_object", "room_layout", "jigsaw", "segmentsemantic", "normal", "autoencoder")
MICRO_OPS = ("none", "skip_connect", "conv1x1", "conv3x3")
MICRO_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
N_MACRO = 3256
N_MICRO = 4096
MICRO_OFFSET = N_MACRO

MACRO_GRAMMAR = "expected a TNB101 macro arch '64-<4 to 6 digits in 1..4>-basic', e.g. '64-2311-basic'"
MICRO_GRAMMAR = "expected a TNB101 micro arch '64-41414-a_bc_def' with digits 0..3, e.g. '64-41414-3_33_333'"
_MACRO_RE = re.compile(r"^64-([1-4]{4,6})-basic$")
_MICRO_RE = re.compile(r"^64-41414-([0-3])_([0-3]{2})_([0-3]{3})$")


def macro_archs() -> list[str]:
    """Macro arch strings in official index order (ids 0..3255)."""
    out = []
    for n_modules in (4, 5, 6):
        for n_chan in (1, 2, 3):
            for n_down in (1, 2, 3, 4):
                for chan in itertools.combinations(range(n_modules), n_chan):
                    for down in itertools.combinations(range(n_modules), n_down):
                        digits = "".join(
                            "4" if (i in chan and i in down) else "2" if i in chan else "3" if i in down else "1"
                            for i in range(n_modules)
                        )
                        out.append(f"64-{digits}-basic")
    return out


def micro_archs() -> list[str]:
    """Micro arch strings in official index order (ids 3256..7351)."""
    return [f"64-41414-{d[0]}_{d[1]}{d[2]}_{d[3]}{d[4]}{d[5]}" for d in itertools.product("0123", repeat=6)]


def micro_digits(arch: str) -> tuple[int, ...]:
    m = _MICRO_RE.match(arch.strip()) if isinstance(arch, str) else None
    if not m:
        raise ArchStringError(f"malformed TNB101 micro architecture {arch!r}: {MICRO_GRAMMAR}")
    return tuple(int(c) for c in "".join(m.groups()))


def macro_digits(arch: str) -> tuple[int, ...]:
    m = _MACRO_RE.match(arch.strip()) if isinstance(arch, str) else None
    if not m:
        raise ArchStringError(f"malformed TNB101 macro architecture {arch!r}: {MACRO_GRAMMAR}")
    return tuple(int(c) for c in m.group(1))


def micro_index(arch: str) -> int:
    """Official API index of a micro arch: 3256 + its six digits read in base 4."""
    return MICRO_OFFSET + int("".join(map(str, micro_digits(arch))), 4)


def micro_ops(arch: str) -> dict[tuple[int, int], str]:
    return {e: MICRO_OPS[d] for e, d in zip(MICRO_EDGES, micro_digits(arch))}


def naslib_micro(arch: str) -> tuple[int, ...]:
    """NASLib key of a micro arch: its six digits."""
    return micro_digits(arch)


def naslib_macro(arch: str) -> tuple[int, ...]:
    """NASLib key of a macro arch: its module digits padded with zeros to length 6."""
    d = macro_digits(arch)
    return d + (0,) * (6 - len(d))


def micro_from_naslib(key: tuple[int, ...]) -> str:
    if len(key) != 6 or any(k not in (0, 1, 2, 3) for k in key):
        raise ArchStringError(f"malformed NASLib TNB101 micro key {key!r}: expected 6 digits in 0..3")
    d = key
    return f"64-41414-{d[0]}_{d[1]}{d[2]}_{d[3]}{d[4]}{d[5]}"


# --- NASGraph surrogate (NASGRAPH.md section 1) ------------------------------------------------
# The official encoder (two stride-2 stem convs, then one module per macro digit: a micro cell or
# two ResNet basic blocks) with its 64 base channels scaled to ``stem_channels``, followed by the
# task's decoder head, as in the NASGraph reference. Decoder channel counts are divided by the
# same ratio (64 // stem_channels). Heads:
# * class_scene, class_object, room_layout: global average pooling (the linear classifier is dropped);
# * jigsaw: TransNAS-Bench-101's SiameseDecoder pools each of the 9 tiles' encoder outputs and
#   feeds their concatenation to a linear classifier. The towers share weights and, with the linear
#   layer dropped as for the other classification heads, stay disconnected, so the graph is one tower
#   + global pooling (9 identical copies would only scale node/edge counts): jigsaw's graph equals
#   the classification tasks' graph.
# * segmentsemantic: conv to 1024/r channels, halving convs, then deconvolutions up to 256 x 256;
# * autoencoder and normal: the generative decoder (13 conv/deconv layers; the reference drops the
#   last, architecture-independent conv), identical for both tasks.

SURROGATE_DEFAULTS = {"stem_channels": 16, "image_size": 224}
POOL_TASKS = frozenset({"class_scene", "class_object", "room_layout", "jigsaw"})
_DECODER_OUT_WIDTH = 256


@functools.lru_cache(maxsize=None)
def _micro_op(op: str, position: str, c_in: int, c_out: int, stride: int, size: int):
    from nasdb.surrogate.blocks import Block

    if op == "none":
        return Block(position, "zero", c_in, c_out, size, stride=stride)
    if op == "skip_connect":
        if stride == 1 and c_in == c_out:
            return Block(position, "identity", c_in, c_out, size)
        return Block(position, "factorized_reduce", c_in, c_out, size, stride=stride)
    if op == "conv1x1":
        return Block(position, "conv", c_in, c_out, size, stride=stride)
    return Block(position, "conv", c_in, c_out, size, kernel=3, stride=stride, padding=1)


def _basic_blocks(b, feeding: list[int], m: int, c_in: int, c_out: int, stride: int, size: int) -> list[int]:
    """Two ResNet basic blocks (the second without downsampling), as blocks: conv_a, conv_b, shortcut."""
    from nasdb.surrogate.blocks import Block

    out = size // stride
    conv_a = b.add(Block(f"m{m}/b0/conv_a", "conv", c_in, c_out, size, kernel=3, stride=stride, padding=1), feeding)
    conv_b = b.add(Block(f"m{m}/b0/conv_b", "conv", c_out, c_out, out, kernel=3, padding=1), [conv_a])
    if stride != 1 or c_in != c_out:
        shortcut = Block(f"m{m}/b0/shortcut", "conv", c_in, c_out, size, stride=stride)
    else:
        shortcut = Block(f"m{m}/b0/shortcut", "identity", c_in, c_out, size)
    first = [conv_b, b.add(shortcut, feeding)]
    conv_a2 = b.add(Block(f"m{m}/b1/conv_a", "conv", c_out, c_out, out, kernel=3, padding=1), first)
    conv_b2 = b.add(Block(f"m{m}/b1/conv_b", "conv", c_out, c_out, out, kernel=3, padding=1), [conv_a2])
    return [conv_b2, b.add(Block(f"m{m}/b1/shortcut", "identity", c_out, c_out, out), first)]


def head_of(task: str) -> str:
    """Name of the task's decoder head: tasks with the same head have the same NASGraph graph."""
    if task in POOL_TASKS:
        return "pool"
    return "generative" if task in ("autoencoder", "normal") else task


def _decoder_layers(task: str, channels: int, size: int, ratio: int, image_size: int) -> list[tuple]:
    """The task head as (position, kind, c_in, c_out, input size, kernel) in order; each feeds the next."""
    if task in POOL_TASKS:
        return [("head/pool", "global_pool", channels, channels, size, 1)]
    out_width = _DECODER_OUT_WIDTH // (224 // image_size)
    n_up = int(math.log2(out_width / size))
    layers: list[tuple] = []

    def add(kind: str, c_out: int) -> None:
        nonlocal channels, size
        layers.append((f"head/{head_of(task)}/{len(layers)}",
                       kind, channels, c_out, size, 3))
        channels, size = c_out, size * 2 if kind == "deconv" else size

    if task == "segmentsemantic":
        add("conv", 1024 // ratio)
        for _ in range(6 - n_up):
            add("conv", channels // 2)
        for _ in range(n_up - 1):
            add("deconv", channels // 2)
        add("deconv", channels)
        add("conv", out_width)
        return layers
    if task not in ("autoencoder", "normal"):
        raise ArchStringError(f"unknown TransNAS-Bench-101 task {task!r}; expected one of {', '.join(TASKS)}")
    add("conv", 1024 // ratio)
    add("conv", 1024 // ratio)
    for min_up, c_out in ((6, 512), (None, 512), (5, 256), (None, 128), (4, 64), (None, 64), (3, 32), (None, 32)):
        add("deconv" if min_up is not None and n_up >= min_up else "conv", c_out // ratio)
    add("deconv", 16 // ratio)
    add("conv", 32 // ratio)
    add("deconv", 16 // ratio)
    return layers


@functools.lru_cache(maxsize=None)
def _micro_skeleton(stem_channels: int, image_size: int):
    """The micro encoder's wiring (the same for every cell) and where each cell op goes."""
    b = _stem(stem_channels, image_size)
    feeding, channels, size = [len(b.blocks) - 1], stem_channels, image_size // 4
    slots = []
    for m, d in enumerate(MICRO_SKELETON):
        c_out, stride = _module_shape(d, channels)
        node_inputs: dict[int, list[int]] = {0: feeding}
        for j in (1, 2, 3):
            node_inputs[j] = []
            for i in range(j):
                shape = (channels, c_out, stride, size) if i == 0 else (c_out, c_out, 1, size // stride)
                idx = b.add(_micro_op("none", f"m{m}/e{i}-{j}", *shape), node_inputs[i])
                slots.append((idx, (i, j), f"m{m}/e{i}-{j}", shape))
                node_inputs[j].append(idx)
        feeding, channels, size = node_inputs[3], c_out, size // stride
    return b.build(), tuple(slots), tuple(feeding), channels, size


def _stem(stem_channels: int, image_size: int):
    from nasdb.surrogate.blocks import Block, Builder

    b = Builder()
    x = b.add(Block("input", "input", 3, 3, image_size))
    s1 = b.add(Block("stem/0", "conv", 3, stem_channels // 2, image_size, kernel=3, stride=2, padding=1), [x])
    b.add(Block("stem/1", "conv", stem_channels // 2, stem_channels, image_size // 2, kernel=3, stride=2, padding=1),
          [s1])
    return b


def _module_shape(digit: int, channels: int) -> tuple[int, int]:
    """Output channels and stride of a macro module: even digits double channels, digits > 2 downsample."""
    return (channels * 2 if digit % 2 == 0 else channels), (2 if digit > 2 else 1)


MICRO_SKELETON = (4, 1, 4, 1, 4)  # the macro code '41414' shared by every micro architecture


@functools.lru_cache(maxsize=16384)
def _encoder(arch: str, stem_channels: int, image_size: int):
    """(blocks, parents, output block ids, channels, size) of the encoder; cached for the 7 tasks."""
    if _MICRO_RE.match(arch.strip()):
        skeleton, slots, feeding, channels, size = _micro_skeleton(stem_channels, image_size)
        ops = micro_ops(arch)
        blocks = list(skeleton.blocks)
        for idx, edge, position, shape in slots:
            blocks[idx] = _micro_op(ops[edge], position, *shape)
        return tuple(blocks), skeleton.parents, feeding, channels, size
    b = _stem(stem_channels, image_size)
    feeding, channels, size = [len(b.blocks) - 1], stem_channels, image_size // 4
    for m, d in enumerate(macro_digits(arch)):
        c_out, stride = _module_shape(d, channels)
        feeding = _basic_blocks(b, feeding, m, channels, c_out, stride, size)
        channels, size = c_out, size // stride
    s = b.build()
    return s.blocks, s.parents, tuple(feeding), channels, size


@functools.lru_cache(maxsize=None)
def _head(task: str, channels: int, size: int, ratio: int, image_size: int, first: int, feeding: tuple):
    """The decoder head's blocks and parents, numbered from block ``first`` on, fed by ``feeding``."""
    from nasdb.surrogate.blocks import Block

    blocks, parents = [], []
    for position, kind, c_in, c_out, in_size, kernel in _decoder_layers(task, channels, size, ratio, image_size):
        blocks.append(Block(position, kind, c_in, c_out, in_size, kernel=kernel, padding=1 if kind == "conv" else 0))
        parents.append(tuple((p, 0) for p in feeding))
        feeding = (first + len(blocks) - 1,)
    return tuple(blocks), tuple(parents)


def surrogate(arch: str, task: str, stem_channels: int = 16, image_size: int = 224):
    """The TransNAS-Bench-101 network NASGraph converts for ``arch`` (micro or macro) and ``task``."""
    from nasdb.surrogate.blocks import Surrogate

    if task not in TASKS:
        raise ArchStringError(f"unknown TransNAS-Bench-101 task {task!r}; expected one of {', '.join(TASKS)}")
    if not isinstance(arch, str) or not (_MICRO_RE.match(arch.strip()) or _MACRO_RE.match(arch.strip())):
        raise ArchStringError(f"malformed TNB101 architecture {arch!r}: {MICRO_GRAMMAR}, or {MACRO_GRAMMAR}")
    blocks, parents, feeding, channels, size = _encoder(arch.strip(), stem_channels, image_size)
    head_blocks, head_parents = _head(task, channels, size, 64 // stem_channels, image_size, len(blocks), feeding)
    return Surrogate(blocks + head_blocks, parents + head_parents)


# --- the Space protocol (nasdb.spaces.protocol) ------------------------------------------------
# Specs: a micro cell is its six digits (ops in MICRO_EDGES order); a macro network its module digits.

MICRO_ACCEPTED = (f"{MICRO_GRAMMAR}; or a NASLib tuple '(d, d, d, d, d, d)' of the same digits; "
                  "or a spec {\"edges\": [[0, 1, op], ...]} with op in " + ", ".join(MICRO_OPS))
MACRO_ACCEPTED = (f"{MACRO_GRAMMAR}, with 1-3 channel-doubling modules (digit 2 or 4) and 1-4 downsampling "
                  "modules (digit 3 or 4) among its 4-6 modules (the official 3,256); or a NASLib tuple "
                  "'(d, d, d, d, 0, 0)' (the digits padded with zeros to 6); or a spec {\"modules\": [d, ...]}")
_MODULE_NAMES = {1: "basic block", 2: "channels ×2", 3: "stride 2", 4: "channels ×2, stride 2"}


def micro_key(digits: tuple[int, ...]) -> str:
    return micro_from_naslib(digits)


def macro_key(digits: tuple[int, ...]) -> str:
    return f"64-{''.join(map(str, digits))}-basic"


@functools.cache
def _macro_digits() -> tuple[tuple[int, ...], ...]:
    """Module digits of the official macro networks, in index order."""
    return tuple(tuple(int(c) for c in a.split("-")[1]) for a in macro_archs())


@functools.cache
def _macro_index() -> dict[tuple[int, ...], int]:
    return {d: i for i, d in enumerate(_macro_digits())}


def parse_micro(arch: object) -> tuple[int, ...]:
    """Official name, NASLib tuple or spec -> the six digits; ArchStringError otherwise."""
    from nasdb.spaces import nb201
    from nasdb.spaces.protocol import int_sequence, json_object

    value = json_object(arch)
    if value is not None:
        ops = nb201.from_spec(value, MICRO_EDGES, MICRO_OPS, "TNB101 micro")
        return tuple(MICRO_OPS.index(op) for op in ops)
    digits = int_sequence(arch, 6, "NASLib TNB101 micro key", MICRO_ACCEPTED)
    if digits is not None:
        if any(d not in range(4) for d in digits):
            raise ArchStringError(f"malformed NASLib TNB101 micro key {arch!r}: {MICRO_ACCEPTED}")
        return digits
    if not isinstance(arch, str):
        raise ArchStringError(f"TNB101 micro architecture must be a string, got {type(arch).__name__} {arch!r}: "
                              f"{MICRO_ACCEPTED}")
    if not _MICRO_RE.match(arch.strip()):
        raise ArchStringError(f"malformed TNB101 micro architecture {arch!r}: {MICRO_ACCEPTED}")
    return micro_digits(arch)


def parse_macro(arch: object) -> tuple[int, ...]:
    """Official name, NASLib tuple or spec -> the module digits, only for the 3,256 official networks."""
    from nasdb.spaces.protocol import int_sequence, json_object

    value = json_object(arch)
    if value is not None:
        modules = value.get("modules")
        if not isinstance(modules, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in modules):
            raise ArchStringError(f"malformed TNB101 macro spec {value!r}: {MACRO_ACCEPTED}")
        digits = tuple(modules)
    else:
        padded = int_sequence(arch, 6, "NASLib TNB101 macro key", MACRO_ACCEPTED)
        if padded is not None:
            n = len(padded)
            while n and padded[n - 1] == 0:
                n -= 1
            digits = padded[:n]
        elif isinstance(arch, str):
            m = re.fullmatch(r"64-([1-4]{1,6})-basic", arch.strip())
            if not m:
                raise ArchStringError(f"malformed TNB101 macro architecture {arch!r}: {MACRO_ACCEPTED}")
            digits = tuple(int(c) for c in m.group(1))
        else:
            raise ArchStringError(f"TNB101 macro architecture must be a string, got {type(arch).__name__} "
                                  f"{arch!r}: {MACRO_ACCEPTED}")
    if digits not in _macro_index():
        raise ArchStringError(f"TNB101 macro architecture {macro_key(digits) if all(d in range(1, 10) for d in digits) else arch!r} "
                              f"is not in the space: {MACRO_ACCEPTED}")
    return digits


def micro_neighbours(digits: tuple[int, ...]) -> list[str]:
    """The 18 cells that differ in one edge op."""
    return [micro_key(digits[:k] + (d,) + digits[k + 1:]) for k in range(6) for d in range(4) if d != digits[k]]


def micro_shrinks(digits: tuple[int, ...]) -> list[str]:
    """Cells with one non-``none`` edge set to ``none`` (digit 0): removing that edge."""
    return [micro_key(digits[:k] + (0,) + digits[k + 1:]) for k in range(6) if digits[k] != 0]


def macro_neighbours(digits: tuple[int, ...]) -> list[str]:
    """Networks of the space one module edit away: one module changed, inserted or removed."""
    n = len(digits)
    edits = {digits[:k] + (d,) + digits[k + 1:] for k in range(n) for d in range(1, 5)}
    edits |= {digits[:k] + (d,) + digits[k:] for k in range(n + 1) for d in range(1, 5)}
    edits |= {digits[:k] + digits[k + 1:] for k in range(n)}
    index = _macro_index()
    return [macro_key(e) for e in sorted(edits - {digits}, key=lambda e: index.get(e, -1)) if e in index]


def _micro_ops(digits: tuple[int, ...]) -> dict[tuple[int, int], str]:
    return {e: MICRO_OPS[d] for e, d in zip(MICRO_EDGES, digits)}


def _micro_degenerate(digits: tuple[int, ...]) -> bool:
    from nasdb.spaces import nb201

    return nb201.is_degenerate(_as_nb201(digits))


def _as_nb201(digits: tuple[int, ...]) -> tuple[str, ...]:
    """The micro cell in NB201 terms (same DAG; none/skip_connect mean the same), for the shared
    isomorphism and degeneracy rules; the conv names are kept (they never compare across spaces)."""
    return tuple(MICRO_OPS[d] for d in digits)


def _network(modules: tuple[int, ...], cell_digits: tuple[int, ...] | None, task: str | None, seed, device):
    from nasdb.errors import NasdbError
    from nasdb.nets import build, tnb101 as nets

    task = task or TASKS[0]
    if task not in TASKS:
        raise NasdbError(f"unknown TransNAS-Bench-101 task {task!r}; expected one of {', '.join(TASKS)}")
    cell = None if cell_digits is None else [MICRO_OPS[d] for d in cell_digits]
    return build(lambda: nets.network(task, modules, cell), seed, device)


TASK_KINDS = {"room_layout": "regression", "segmentsemantic": "segmentation", "normal": "reconstruction",
              "autoencoder": "reconstruction"}  # the other tasks are classifications


def _input_shape(task: str) -> tuple[int, ...]:
    from nasdb.nets import tnb101 as nets

    return nets.input_shape(task)


def micro_network(digits: tuple[int, ...], task: str | None = None, seed: int | None = None, device=None):
    """The official encoder '64-41414-<cell>' (micro cells) and ``task``'s decoder (default class_scene)."""
    return _network(MICRO_SKELETON, digits, task, seed, device)


def macro_network(digits: tuple[int, ...], task: str | None = None, seed: int | None = None, device=None):
    """The official encoder '64-<digits>-basic' (ResNet basic blocks) and ``task``'s decoder."""
    return _network(digits, None, task, seed, device)


def _sizes(archs: list[tuple[tuple[int, ...], tuple[str, ...] | None]], task: str):
    """Closed-form sizes (``nasdb.nets.tnb101.size``) of (macro digits, micro ops or None) archs on ``task``
    (no network is built)."""
    from nasdb.nets import tnb101 as nets
    from nasdb.nets.counting import stack

    counted = {a: nets.size(task, *a) for a in set(archs)}
    return stack(counted[a] for a in archs)


def micro_sizes(arch_keys: list[str], task: str):
    return _sizes([(MICRO_SKELETON, tuple(MICRO_OPS[d] for d in parse_micro(k))) for k in arch_keys], task)


def macro_sizes(arch_keys: list[str], task: str):
    return _sizes([(parse_macro(k), None) for k in arch_keys], task)


def _micro_space():
    from nasdb.spaces import nb201
    from nasdb.spaces.drawing import edge_cell
    from nasdb.spaces.graphs import edge_op_graph
    from nasdb.spaces.protocol import Space

    return Space(
        bench="tnb101_micro", title="TransNAS-Bench-101 micro (Duan et al., CVPR 2021)", grammar=MICRO_ACCEPTED,
        datasets=TASKS, ids=range(MICRO_OFFSET, MICRO_OFFSET + N_MICRO), parse=parse_micro, key=micro_key,
        encodings={"official": micro_key, "naslib": lambda d: str(tuple(d)),
                   "spec": lambda d: {"edges": [[i, j, op] for (i, j), op in _micro_ops(d).items()]}},
        index_of=lambda d: MICRO_OFFSET + int("".join(map(str, d)), 4),
        at_index=lambda i: tuple((i - MICRO_OFFSET) // 4 ** (5 - k) % 4 for k in range(6)),
        enumerate=lambda: iter(micro_archs()),
        iso_key=lambda d: nb201.canonical_expression(_as_nb201(d)),
        op_counts=lambda d: {op: sum(MICRO_OPS[x] == op for x in d) for op in MICRO_OPS},
        n_conv=lambda d: sum(x >= 2 for x in d), is_degenerate=_micro_degenerate,
        cell_graph=lambda d: edge_op_graph(_micro_ops(d)), neighbours=micro_neighbours, shrinks=micro_shrinks,
        dot=lambda d: edge_cell(_micro_ops(d), "TNB101 micro cell"),
        surrogate=lambda d, task: surrogate(micro_key(d), task), graph_of=head_of,
        surrogate_settings=dict(SURROGATE_DEFAULTS), network=micro_network, input_shape=_input_shape,
        proxy_batch_size=32,  # NAS-Bench-Suite-Zero's TNB101 files
        task_kind=lambda task: TASK_KINDS.get(task, "classification"),
        sizes=micro_sizes,
    )


def _macro_space():
    from nasdb.spaces.drawing import chain
    from nasdb.spaces.graphs import chain_graph
    from nasdb.spaces.protocol import Space

    return Space(
        bench="tnb101_macro", title="TransNAS-Bench-101 macro (Duan et al., CVPR 2021)", grammar=MACRO_ACCEPTED,
        datasets=TASKS, ids=range(N_MACRO), parse=parse_macro, key=macro_key,
        encodings={"official": macro_key, "naslib": lambda d: str(tuple(d) + (0,) * (6 - len(d))),
                   "spec": lambda d: {"modules": list(d)}},
        index_of=lambda d: _macro_index()[d],
        at_index=lambda i: _macro_digits()[i],
        enumerate=lambda: iter(macro_archs()),
        iso_key=macro_key,  # no two official macro networks compute the same function
        op_counts=lambda d: {_MODULE_NAMES[k]: d.count(k) for k in sorted(_MODULE_NAMES)},
        # conv layers of the encoder: 2 stem convs, 2 basic blocks of 2 convs per module, and a 1x1
        # shortcut conv in every module that changes the shape (digit != 1)
        n_conv=lambda d: 2 + 4 * len(d) + sum(k != 1 for k in d),
        is_degenerate=lambda d: False,
        cell_graph=lambda d: chain_graph([_MODULE_NAMES[k] for k in d]), neighbours=macro_neighbours,
        dot=lambda d: chain(["stem", *[f"module {i + 1}\\n{_MODULE_NAMES[k]}" for i, k in enumerate(d)], "decoder"]),
        surrogate=lambda d, task: surrogate(macro_key(d), task), graph_of=head_of,
        surrogate_settings=dict(SURROGATE_DEFAULTS), network=macro_network, input_shape=_input_shape,
        sizes=macro_sizes,
        proxy_batch_size=32,  # NAS-Bench-Suite-Zero's TNB101 files
        task_kind=lambda task: TASK_KINDS.get(task, "classification"),
    )


SPACES = [_macro_space(), _micro_space()]
