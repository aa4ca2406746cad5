"""nasdb ingest-nb101: load an official NAS-Bench-101 TFRecord file that the user supplies."""
from __future__ import annotations

from pathlib import Path

from nasdb.commands import add


def register(sub) -> None:
    p = add(sub, "ingest-nb101",
            "ingest the official NB101 results (every seed, every epoch budget) from a TFRecord file you supply",
            "  nasdb ingest nb101                                   # first: the 423,624 cells\n"
            "  nasdb ingest-nb101 --tfrecord ~/nasbench_only108.tfrecord\n"
            "  nasdb ingest-nb101 --tfrecord ~/nasbench_full.tfrecord   # 4/12/36/108 epochs\n")
    p.add_argument("--tfrecord", required=True, type=Path, metavar="PATH",
                   help="nasbench_only108.tfrecord or nasbench_full.tfrecord (not mirrored; download it yourself)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ingest import nb101_tfrecord
    from ingest.runner import ingest_files

    (rows,) = ingest_files(args.db, [(nb101_tfrecord, nb101_tfrecord.files(args.tfrecord))])
    counts = nb101_tfrecord.counts(rows)
    print("ingested " + ", ".join(f"{v:,} {k}" for k, v in counts.items()) + f" from {args.tfrecord}")
    return 0
