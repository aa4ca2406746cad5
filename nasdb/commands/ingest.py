"""nasdb ingest: load verified sources into the database, one short transaction per job (parsed before it)."""
from __future__ import annotations

from ingest import JOBS  # a plain list of names
from nasdb.commands import add


def register(sub) -> None:
    p = add(sub, "ingest", "load sources into the database (idempotent, atomic per job)",
            "  nasdb ingest            # every job\n  nasdb ingest nb201 hwnas\n"
            f"jobs: {', '.join(JOBS)}\n")
    p.add_argument("jobs", nargs="*", metavar="SOURCE", help="ingest jobs to run (default: all)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ingest.runner import ingest

    done = ingest(args.db, args.jobs or None)
    print(f"ingested: {', '.join(done)}")
    return 0
