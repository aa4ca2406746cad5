"""nasdb ingest-nds: load the NDS sweep files of a local copy of the NDS release (one transaction per file)."""
from __future__ import annotations

from pathlib import Path

from nasdb.commands import add


def register(sub) -> None:
    p = add(sub, "ingest-nds", "load NDS sweep files (DARTS.json, ResNet.json, ...) from a directory into nds_* benchmarks",
            "  curl -O https://dl.fbaipublicfiles.com/nds/data.zip && unzip data.zip\n"
            "  nasdb ingest-nds --dir nds_data\n")
    p.add_argument("--dir", required=True, type=Path, help="directory holding the unpacked NDS JSON files")
    p.set_defaults(func=run)


def run(args) -> int:
    from ingest import nds
    from nasdb import store

    con = store.connect(args.db)
    done = nds.load(con, nds.sweep_files(args.dir))
    for bench, n in done.items():
        print(f"{bench}: {n} archs")
    return 0
