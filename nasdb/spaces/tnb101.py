"""TransNAS-Bench-101: macro (ResNet-like skeletons) and micro (cell) spaces, official index rule.

The official API lists the macro space first (ids 0..3255), then the micro space (3256..7351).
Macro ``64-<digits>-basic``: one digit per module, 1 plain, 2 channel doubling, 3 downsampling,
4 both. Micro ``64-41414-a_bc_def``: the cell's edge ops 0->1 | 0->2 1->2 | 0->3 1->3 2->3 with
0 none, 1 skip_connect, 2 conv1x1, 3 conv3x3. nasdb keeps the two spaces as separate benchmarks
(``tnb101_macro``, ``tnb101_micro``) but stores the official index as ``arch_id`` in both.
"""
from __future__ import annotations

import itertools
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


def macro_from_naslib(key: tuple[int, ...]) -> str:
    digits = "".join(str(k) for k in key if k != 0)
    return f"64-{digits}-basic"


def micro_from_naslib(key: tuple[int, ...]) -> str:
    if len(key) != 6 or any(k not in (0, 1, 2, 3) for k in key):
        raise ArchStringError(f"malformed NASLib TNB101 micro key {key!r}: expected 6 digits in 0..3")
    d = key
    return f"64-41414-{d[0]}_{d[1]}{d[2]}_{d[3]}{d[4]}{d[5]}"
