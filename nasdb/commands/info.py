"""nasdb info: what the database holds and where it came from."""
from __future__ import annotations

from nasdb.commands import add


def register(sub) -> None:
    p = add(sub, "info", "show counts per benchmark, source provenance and proxy runs",
            "  nasdb info\n  nasdb --db /tmp/other.duckdb info --sources\n")
    p.add_argument("--sources", action="store_true", help="also list every source file with sha256 and URL")
    p.set_defaults(func=run)


def run(args) -> int:
    from nasdb import api, summary, tables

    con = api.connect(args.db, read_only=True)
    meta = summary.meta(con)
    if meta:
        print("  ".join(f"{k}={v}" for k, v in meta.items()))
    tables.show(summary.counts(con), title="benchmarks")
    runs = summary.runs(con)
    if runs.height:
        tables.show(runs, title="proxy runs")
    prov = summary.provenance(con)
    if args.sources:
        print("sources:")
        print(prov.write_csv(separator="\t"), end="")
    else:
        print(f"{prov.height} source files ingested (licenses: "
              f"{', '.join(sorted(set(prov['license'].to_list())))}); --sources lists them")
    return 0
