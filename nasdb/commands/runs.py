"""nasdb runs: list, inspect, choose and prune proxy runs (every run's values are kept until pruned)."""
from __future__ import annotations

from nasdb.commands import add


def register(sub) -> None:
    p = add(sub, "runs", "list proxy runs, show one, make one current, or prune runs that are not current",
            "  nasdb runs list                       # every run: scope, rows, for how many proxies it is current\n"
            "  nasdb runs list --bench nb201\n"
            "  nasdb runs show nasgraph:nb201:fast:1a2b3c4d-20261201T220000\n"
            "  nasdb runs use  nasgraph:nb201:reference:5e6f7a8b-20261201T221500   # its values become current\n"
            "  nasdb runs prune                      # delete the values of runs current for no proxy, and the\n"
            "                                        # staging folders of runs killed before they completed\n")
    p.add_argument("action", choices=["list", "show", "use", "prune"])
    p.add_argument("run_id", nargs="?", metavar="RUN_ID", help="the run (show, use)")
    p.add_argument("--bench", help="only runs of this benchmark (list)")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from nasdb import dbfile, runs, store, tables
    from nasdb.errors import NasdbError

    if args.action in ("show", "use") and not args.run_id:
        raise NasdbError(f"`nasdb runs {args.action}` needs a RUN_ID (see `nasdb runs list`)")
    if args.action in ("list", "show"):
        con = store.connect(args.db, read_only=True)
        try:
            if args.action == "list":
                tables.show(runs.listing(con, args.bench), title="proxy runs", max_rows=500)
            else:
                for k, v in runs.run_row(con, args.run_id).items():
                    print(f"{k:>15}: {json.dumps(v, default=str) if isinstance(v, (list, dict)) else v}")
                current = con.execute("SELECT proxy FROM current_runs WHERE run_id = ? ORDER BY proxy",
                                      [args.run_id]).fetchall()
                print(f"{'current for':>15}: {', '.join(p for (p,) in current) or 'no proxy'}")
        finally:
            con.close()
        return 0
    with dbfile.writing(args.db) as con:
        if args.action == "use":
            proxies = runs.use(con, args.run_id)
            print(f"{args.run_id} is now current for {len(proxies)} proxies ({', '.join(proxies)})")
        else:
            n_runs, n_rows = runs.prune(con)
            print(f"pruned {n_runs} run(s), {n_rows} value rows")
    if args.action == "prune":
        from nasdb import config
        from nasdb.proxies.harness import staging

        gone = staging.prune(config.cache_dir())
        print(f"removed {len(gone)} abandoned staging folder(s) (runs killed before they completed)"
              + "".join(f"\n  {p}" for p in gone))
    return 0
