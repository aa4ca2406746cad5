"""nasdb convert: one architecture from any encoding its space accepts into another (no model built)."""
from __future__ import annotations

import json

from nasdb.commands import add

TARGETS = ("official", "naslib", "index", "hash", "spec")  # = nasdb.spaces.CONVERSIONS (checked by a test)


def register(sub) -> None:
    p = add(sub, "convert", "convert an architecture between the official string, NASLib encoding, index, "
                            "NB101 module hash and spec (adjacency/ops)",
            "  nasdb convert nb201 '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
            "skip_connect~2|' --to naslib\n"
            "  nasdb convert nb201 '(2, 2, 0, 4, 2, 0)' --to index          # NB201 indices come from the database\n"
            "  nasdb convert nb101 00005c142e6f48ac74fdcf73e3439874 --to spec\n"
            "  nasdb convert tnb101_micro 3256 --to official\n")
    p.add_argument("bench", help="benchmark id (nb201, nb101, tnb101_micro, tnb101_macro, ...)")
    p.add_argument("arch", help="the architecture: official string, NASLib encoding, spec JSON, NB101 hash, or index")
    p.add_argument("--to", required=True, choices=TARGETS, help="the encoding to print")
    p.set_defaults(func=run)


def run(args) -> int:
    from nasdb.spaces import convert

    value = convert(args.bench, args.arch, args.to, args.db)
    print(json.dumps(value) if isinstance(value, dict) else value)
    return 0
