"""nasdb ingest-nds: load the NDS sweep files of a local copy of the NDS release (each file parsed read-only,
then stored in one short transaction)."""
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
    from ingest.runner import ingest_files

    stored = ingest_files(args.db, [(nds.job(sweep, path), {sweep: path})
                                    for sweep, path in nds.sweep_files(args.dir).items()])
    for rows in stored:
        print(f"{rows['benchmarks']['bench'][0]}: {rows['archs'].num_rows} archs")
    return 0
