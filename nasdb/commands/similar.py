"""nasdb similar: the architectures most similar to one (Weisfeiler-Lehman features of the cell graphs)."""
from __future__ import annotations

from nasdb.commands import add


def register(sub) -> None:
    p = add(sub, "similar", "nearest architectures by Weisfeiler-Lehman similarity of their cell graphs: the "
                            "architecture itself, then cells computing the same function, then the most similar",
            "  nasdb similar nb201 '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|'\n"
            "  nasdb similar nb201 1462 -k 20 --dataset cifar100 --proxy nasgraph_avg_degree --proxy synflow\n"
            "  nasdb similar tnb101_micro 64-41414-3_33_333 --dataset class_scene\n"
            "  nasdb similar nb101 00005c142e6f48ac74fdcf73e3439874 --format csv\n")
    p.add_argument("bench")
    p.add_argument("arch", help="official string, NASLib tuple, NB101 hash or official index")
    p.add_argument("-k", type=int, default=10, help="how many (the architecture itself included; default 10)")
    p.add_argument("--dataset", help="dataset/task of the accuracies and proxies shown (default: the space's first)")
    p.add_argument("--proxy", action="append", help="proxy values to show (repeatable; default nasgraph_avg_degree)")
    p.add_argument("--format", default="table", choices=["table", "csv", "json", "parquet"])
    p.add_argument("-o", "--output", help="file for csv/json/parquet")
    p.set_defaults(func=run)


def run(args) -> int:
    from nasdb import spaces, store, tables
    from nasdb.errors import NasdbError
    from nasdb.similarity.similar import neighbours_by_wl, with_values

    if args.k < 1:
        raise NasdbError(f"-k must be at least 1, got {args.k}")
    space = spaces.get(args.bench)
    con = store.connect(args.db, read_only=True)
    con.execute("SET enable_progress_bar = false")
    try:
        dataset = args.dataset or space.datasets[0]
        found = neighbours_by_wl(con, space, args.arch, args.k)
        proxies = args.proxy
        if proxies is None:
            has = con.execute("SELECT 1 FROM proxies WHERE bench = ? AND proxy = 'nasgraph_avg_degree' LIMIT 1",
                              [space.bench]).fetchone()
            proxies = ["nasgraph_avg_degree"] if has else []
        out = with_values(con, space.bench, found, dataset, proxies)
    finally:
        con.close()
    tables.write(out, args.format, args.output, max_rows=args.k)
    return 0
