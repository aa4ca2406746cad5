"""nasdb ensemble-search: choose ensemble members on one task, report them on every other."""
from __future__ import annotations

from nasdb.commands import add
from nasdb.commands.ensemble import METHODS


def register(sub) -> None:
    p = add(sub, "ensemble-search", "pick ensemble members on one bench/dataset; report them on all others",
            "  nasdb ensemble-search --select nb201:cifar100                     # graf_* + nasgraph_* candidates\n"
            "  nasdb ensemble-search --select tnb101_micro:class_scene --candidates 'graf_depth,graf_width,"
            "graf_trainable,graf_min_path,nasgraph_*'\n"
            "  nasdb ensemble-search --select nb201:ImageNet16-120 --store nf_in16  # also store it on that bench\n"
            "  nasdb ensemble-search --list                                         # every stored search\n"
            "the selection only reads the --select task; every other row of the report is held out;\n"
            "each search is kept in the table ensemble_search_results\n")
    p.add_argument("--select", metavar="BENCH:DATASET", help="the task members are chosen on")
    p.add_argument("--candidates", default="graf_*,nasgraph_*",
                   help="comma-separated glob patterns of nasdb proxy names, or glob@source for another source's "
                        "(e.g. synflow@peer:graf); default: the data-free graph proxies")
    p.add_argument("--method", default="log_rank_sum", choices=METHODS)
    p.add_argument("--max-size", type=int, default=6, help="at most this many members (default 6)")
    p.add_argument("--population", default="all",
                   help="archs judged: all | unique | non_degenerate | sample:N:seed | set:NAME (a set a bench "
                        "lacks means all its archs)")
    p.add_argument("--report", metavar="BENCH,...", help="report only on these benchmarks (default: all)")
    p.add_argument("--store", metavar="NAME", help="store the chosen ensemble on the selection bench as NAME")
    p.add_argument("--list", action="store_true",
                   help="show the stored searches (table ensemble_search_results) instead of searching")
    p.set_defaults(func=run)


def run(args) -> int:
    import polars as pl

    from nasdb import dbfile, store, tables
    from nasdb.errors import NasdbError
    from nasdb.evaluate import ensemble_search as es
    from nasdb.proxies import ensemble, stored_values

    if args.list:
        return show_stored(args.db)
    if not args.select:
        raise NasdbError("--select BENCH:DATASET is required (or --list to show stored searches)")
    bench, sep, dataset = args.select.partition(":")
    if not sep or not bench or not dataset:
        raise NasdbError(f"--select {args.select!r}: expected BENCH:DATASET, e.g. nb201:cifar100")
    if args.max_size < 1:
        raise NasdbError(f"--max-size must be at least 1, got {args.max_size}")
    timer = stored_values.Timer()
    con = store.connect(args.db, read_only=True)  # the search only reads; one short write at the end
    try:
        task, chosen, dropped = es.search(con, bench, dataset, [p.strip() for p in args.candidates.split(",")],
                                          args.method, args.max_size, args.population)
        if dropped:
            print(f"left out (values on < {es.COVERAGE:.0%} of the labelled archs): {', '.join(map(str, dropped))}")
        print(f"chosen on {task.label()} ({task.target.label()}, {task.target.gt_source}): "
              f"{' + '.join(map(str, chosen.members))} [{chosen.method}]")
        for member, rho in chosen.steps:
            print(f"  + {member:<40} Spearman {rho:.4f}")
        judged = es.tasks(con)
        if args.report:
            wanted = {b.strip() for b in args.report.split(",")}
            judged = [(b, d) for b, d in judged if b in wanted]
        report = es.report(con, chosen, task, judged, args.population)
        rows = es.record(con, chosen, task, {"candidates": args.candidates, "max_size": args.max_size,
                                             "population": args.population, "select": args.select,
                                             "method": args.method, "report": args.report}, report)
        values = ensemble.ensemble_rows(con, args.store, bench, chosen.members, chosen.method) if args.store else None
    finally:
        con.close()
    tables.show(report, title="the chosen ensemble on every task")
    with dbfile.writing(args.db) as con:
        if values is not None:  # the harness commits the run in its own short transaction
            s = ensemble.settings(bench, chosen.members, chosen.method, None) | {"selected_on": task.label()}
            rid = stored_values.store_run(con, ensemble.FAMILY, bench, s, values, timer())
            rows = rows.with_columns(stored_as=pl.lit(rid))
            print(f"stored as {args.store} (run {rid})")
        with store.transaction(con):
            es.store_results(con, rows)
    print(f"report kept in ensemble_search_results (search {rows['search_id'][0]})")
    return 0


def show_stored(db) -> int:
    """Every stored search, one row per judged task (newest search first)."""
    from nasdb import store, tables

    con = store.connect(db, read_only=True)
    try:
        have = con.execute("SELECT count(*) FROM information_schema.tables "
                           "WHERE table_name = 'ensemble_search_results'").fetchone()[0]
        frame = store.frame(con, "SELECT selected_on, method, array_to_string(members, ' + ') AS members, bench, "
                                 "dataset, role, n, round(spearman, 4) AS spearman, round(kendall, 4) AS kendall, "
                                 "search_id FROM ensemble_search_results ORDER BY created_at DESC, search_id, "
                                 "role DESC, bench, dataset") if have else None
    finally:
        con.close()
    if frame is None or frame.is_empty():
        print("no stored ensemble searches yet; run `nasdb ensemble-search --select BENCH:DATASET`")
        return 0
    tables.show(frame, title="stored ensemble searches (ensemble_search_results)", max_rows=200)
    return 0
