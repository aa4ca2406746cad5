"""nasdb ensemble: store a rank aggregation of stored proxies as a proxy of its own."""
from __future__ import annotations

from nasdb.commands import add

METHODS = ("mean_rank", "log_rank_sum", "zscore")  # nasdb.proxies.ensemble.METHODS (kept import-light)


def register(sub) -> None:
    p = add(sub, "ensemble", "store a rank aggregation (AZ-NAS style) of stored proxies, evaluated like any proxy",
            "  nasdb ensemble nf3 --bench nb201 --proxies graf_trainable,nasgraph_avg_degree,-graf_count_skip_connect\n"
            "  nasdb ensemble zc2 --bench nb201 --dataset cifar10 --proxies synflow@peer:graf,nwot@peer:graf "
            "--method mean_rank\n"
            "  nasdb eval --bench nb201 --proxy nf3                # then evaluate it\n"
            "members: proxy or proxy@source (default nasdb); a leading '-' means lower is better\n")
    p.add_argument("name", help="the ensemble's proxy name")
    p.add_argument("--proxies", required=True, help="comma-separated members, e.g. a,-b,c@peer:graf")
    p.add_argument("--method", default="log_rank_sum", choices=METHODS,
                   help="log_rank_sum (AZ-NAS, default), mean_rank, zscore")
    p.add_argument("--bench", required=True, help="benchmark, e.g. nb201")
    p.add_argument("--dataset", help="only this dataset (default: every dataset; one data-free row set when "
                                     "every member is data-free)")
    p.set_defaults(func=run)


def run(args) -> int:
    from nasdb import dbfile, store
    from nasdb.errors import NasdbError
    from nasdb.proxies import ensemble, stored_values

    timer = stored_values.Timer()
    members = ensemble.parse_members(args.proxies)
    con = store.connect(args.db, read_only=True)  # aggregate read-only, then hold the writer only to store
    try:
        taken = con.execute("SELECT DISTINCT r.proxy FROM proxies p JOIN proxy_runs r USING (run_id) "
                            "WHERE p.bench = ? AND p.proxy = ? AND r.proxy <> ?",
                            [args.bench, args.name, ensemble.FAMILY]).fetchall()
        if taken or args.name in {m.proxy for m in members}:
            raise NasdbError(f"ensemble name {args.name!r} is already a {args.bench} proxy; choose another name")
        rows = ensemble.ensemble_rows(con, args.name, args.bench, members, args.method, args.dataset)
        s = ensemble.settings(args.bench, members, args.method, args.dataset)
    finally:
        con.close()
    with dbfile.writing(args.db) as con:
        rid = stored_values.store_run(con, ensemble.FAMILY, args.bench, s, rows, timer())
    per = ", ".join(f"{d or 'data-free'}: {n}" for d, n in rows.group_by("dataset").len().sort("dataset").iter_rows())
    print(f"{args.name} ({args.method} of {', '.join(map(str, members))}) on {args.bench}: {per} archs (run {rid})")
    return 0
