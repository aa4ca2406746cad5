"""nasdb export: write every public table (and optional wide per-benchmark views) as Parquet + README."""
from __future__ import annotations

from nasdb.commands import add
from nasdb.export import FORMATS


def register(sub) -> None:
    p = add(sub, "export", "export every table as Parquet with a README of the schema",
            "  nasdb export --format parquet out/\n"
            "  nasdb export --format parquet out/ --wide     # + one row per arch per benchmark\n")
    p.add_argument("dir", metavar="DIR", help="output directory (created if missing)")
    p.add_argument("--format", default="parquet", choices=FORMATS)
    p.add_argument("--wide", action="store_true",
                   help="also write wide_<bench>.parquet: one column per ground-truth target and proxy")
    p.set_defaults(func=run)


def run(args) -> int:
    from nasdb import api
    from nasdb.export import export_parquet

    con = api.connect(args.db, read_only=True)
    files = export_parquet(con, args.dir, wide=args.wide)
    print(f"wrote {len(files)} files to {args.dir}")
    return 0
