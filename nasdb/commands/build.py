"""nasdb build: the main job — fetch, ingest, score, evaluate, then print a summary."""
from __future__ import annotations

from nasdb.commands import add


def register(sub) -> None:
    p = add(sub, "build", "build the database from the public sources: fetch, ingest, score, evaluate",
            "  nasdb build\n  NASDB_MIRROR=../shared/benchdata nasdb build      # offline, from a mirror\n"
            "  nasdb --db /tmp/x.duckdb build\n")
    p.set_defaults(func=run)


def run(args) -> int:
    from nasdb import api, pipeline, summary, tables

    seconds = pipeline.build(args.db)
    con = api.connect(args.db, read_only=True)
    tables.show(summary.counts(con), title=f"nasdb build finished in {seconds:.1f} s")
    head = summary.headline(con)
    if head.height:
        tables.show(head, title="NASGraph average degree vs ground truth, test split (NB101: valid) (all archs; `nasdb leaderboard` for more)")
    return 0
