"""nasdb proxy: import your own proxy's values, list user-supplied proxies, retire one."""
from __future__ import annotations

from nasdb.commands import add


def register(sub) -> None:
    p = add(sub, "proxy", "import your own proxy's values (CSV, Parquet, JSON, NASLib zero-cost JSON), list, remove",
            "  nasdb proxy import my_scores.csv --name myproxy --bench nb201           # every arch, data-free\n"
            "  nasdb proxy import scores.parquet --name loss --bench nb201 --dataset cifar100 --lower-is-better\n"
            "  nasdb proxy import zc_nasbench201.json --name synflow_mine --bench nb201 --value synflow\n"
            "  nasdb proxy import some.csv --name sub --bench nb101 --allow-missing     # a subset on purpose\n"
            "  nasdb proxy list\n"
            "  nasdb proxy remove myproxy --bench nb201      # retires the current pointer; the run stays\n"
            "then `nasdb eval --source user:myproxy` and `nasdb leaderboard` judge it like every other proxy\n")
    p.add_argument("action", choices=["import", "list", "remove"])
    p.add_argument("file", nargs="?", metavar="FILE|NAME", help="file to import (import) or proxy name (remove)")
    p.add_argument("--name", help="proxy name to store the values under (import)")
    p.add_argument("--bench", help="benchmark id (import; remove: only this benchmark)")
    p.add_argument("--dataset", help="dataset/task the values belong to (default: the file's 'dataset' column, "
                                     "else '' = data-free, valid for every dataset)")
    p.add_argument("--key", metavar="COLUMN", help="column holding the architecture (default: arch/arch_key/key/...)")
    p.add_argument("--value", metavar="COLUMN", help="column (NASLib JSON: proxy) holding the value")
    p.add_argument("--lower-is-better", action="store_true", help="smaller values predict better architectures")
    p.add_argument("--label", help="source label: values are stored as source user:LABEL (default: the name)")
    p.add_argument("--allow-missing", action="store_true",
                   help="import a subset of the benchmark's archs on purpose (says the coverage)")
    p.set_defaults(func=run)


def run(args) -> int:
    from nasdb import dbfile, runs, store, tables
    from nasdb.errors import NasdbError
    from nasdb.proxies import user_import

    if args.action == "import":
        if not (args.file and args.name and args.bench):
            raise NasdbError("`nasdb proxy import` needs FILE, --name and --bench")
        placed, r = user_import.import_proxy(args.file, args.name, args.bench, args.dataset, args.key, args.value,
                                             args.lower_is_better, args.label, args.allow_missing, args.db)
        formats = ", ".join(f"{n:,} {f}" for f, n in placed.key_formats.items())
        direction = "lower is better" if args.lower_is_better else "higher is better"
        current = "current" if r.current_for else "stored, not current (a full-space run of this name stays current)"
        print(f"{args.file}: {placed.n_rows:,} rows placed (keys: {formats}), {placed.coverage()}, {direction}; "
              f"{current} as proxy {args.name!r} source user:{args.label or args.name} (run {r.run_id})")
        return 0
    if args.action == "list":
        con = store.connect(args.db, read_only=True)
        try:
            tables.show(user_import.listing(con), title="user-supplied proxies", max_rows=500)
        finally:
            con.close()
        return 0
    if not args.file:
        raise NasdbError("`nasdb proxy remove` needs the proxy NAME")
    with dbfile.writing(args.db) as con:
        found = con.execute("SELECT bench, source FROM current_runs WHERE proxy = ? AND source LIKE 'user:%' "
                            "AND (? IS NULL OR bench = ?)", [args.file, args.bench, args.bench]).fetchall()
        if args.label:
            found = [f for f in found if f[1] == f"user:{args.label}"]
        if not found:
            raise NasdbError(f"no current user-supplied proxy {args.file!r}; `nasdb proxy list` shows them")
        for bench, source in found:
            rid = runs.retire(con, bench, args.file, source)
            print(f"{bench} {args.file} ({source}) retired: no longer current; run {rid} and its values are kept "
                  "(runs are immutable; `nasdb runs use` restores it, `nasdb runs prune` deletes its values)")
    return 0


def score_plugin(args, benches) -> int:
    """``nasdb score plugin MODULE:FUNCTION`` / ``nasdb score <entry point>``: a user's function through the
    scoring harness (resumable, chunked), one run per benchmark."""
    from nasdb.errors import NasdbError
    from nasdb.proxies import harness, plugins

    if args.family == "plugin":
        if not args.target:
            raise NasdbError("`nasdb score plugin` needs MODULE:FUNCTION")
        target, fn, label = args.target, plugins.load(args.target), args.label
    else:  # an installed proxy: its entry point names the function, its distribution the source
        ep = plugins.entry_points()[args.family]
        target, fn = ep.value, plugins.load(ep.value)
        label = args.label or (ep.dist.name if ep.dist else args.family)
    name = args.name or (args.family if args.family != "plugin" else target.rpartition(":")[2].rpartition(".")[2])
    needs = args.needs or getattr(fn, "needs", "arch")
    lower = args.lower_is_better or bool(getattr(fn, "lower_is_better", False))
    selection = harness.Selection.sample(args.sample, args.seed) if args.sample else harness.Selection()
    for bench in benches:
        job = plugins.job(bench, name, target, needs, selection, label=label, chunk_size=args.chunk_size or 64,
                          data=args.data, seed=args.seed, datasets=args.dataset, lower_is_better=lower,
                          batch_size=args.batch_size or plugins.BATCH_SIZE)
        r = harness.score(job, args.db, executor=harness.executor.make(args.workers, args.scheduler),
                          progress=not args.quiet)
        resumed = f", {r.resumed_chunks} chunk(s) kept from an interrupted attempt" if r.resumed_chunks else ""
        print(f"{bench}: plug-in {target} ({needs}) -> proxy {name!r} source {job.source}: {r.n_archs} archs, "
              f"{r.n_rows} rows in {r.seconds:.1f} s{resumed} (run {r.run_id})")
    return 0
