"""nasdb search: replay a NAS algorithm against the stored ground truth and store its curves."""
from __future__ import annotations

from nasdb.commands import add

ALGOS = ("random", "re", "local", "autoshrink", "zc-warmstart")


def register(sub) -> None:
    p = add(sub, "search", "replay a NAS algorithm on a benchmark's table (a query = a validation-accuracy lookup); "
                           "store the run, its trials and best-so-far curves",
            "  nasdb search --algo re --bench nb201 --dataset cifar10-valid --test-dataset cifar10 --budget 150 --seeds 100\n"
            "  nasdb search --algo random --bench nb201 --dataset cifar10-valid --test-dataset cifar10 --budget 150 --seeds 100\n"
            "  nasdb search --algo zc-warmstart --bench nb201 --dataset cifar100 --budget 100 --seeds 50 --proxy synflow\n"
            "  nasdb search --algo autoshrink --bench nb201 --dataset cifar10-valid --budget 100 --seeds 20\n"
            "  nasdb search --algo autoshrink --bench nb101 --dataset cifar10 --flops-metric params --budget 100 --seeds 5\n"
            "  nasdb search --algo re --bench tnb101_micro --dataset class_scene --time-budget 200000 --seeds 50\n")
    p.add_argument("--algo", required=True, choices=ALGOS)
    p.add_argument("--bench", required=True)
    p.add_argument("--dataset", required=True, help="dataset/task whose validation value a query returns")
    p.add_argument("--test-dataset", help="dataset whose test value is reported for the incumbent (default: --dataset)")
    p.add_argument("--budget", type=int, default=100, help="queries per trial (default 100)")
    p.add_argument("--time-budget", type=float,
                   help="simulated training seconds per trial, where the benchmark publishes training time")
    p.add_argument("--seeds", type=int, default=10, help="trials, with seeds first-seed .. first-seed+S-1")
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--proxy", help="proxy for zc-warmstart / autoshrink scoring")
    p.add_argument("--proxy-source", help="source of the proxy when several publish it (nasdb, peer:...)")
    p.add_argument("--population", type=int, help="re / zc-warmstart: population size (default 10)")
    p.add_argument("--sample", type=int, help="re / zc-warmstart: tournament size (default 3)")
    p.add_argument("--warm-start", type=int, help="zc-warmstart: random archs ranked by the proxy (default 3000)")
    p.add_argument("--flops-weight", type=float, help="autoshrink: FLOPs penalty per decade (default 0.1)")
    p.add_argument("--flops-metric", default="flops",
                   help="autoshrink: the costs metric or proxy penalised as FLOPs (default flops; e.g. params "
                        "where a benchmark has no FLOPs)")
    p.add_argument("--no-store", action="store_true", help="print the result, write nothing")
    p.set_defaults(func=run)


def _algo_settings(args) -> dict:
    given = {"population": args.population, "sample": args.sample, "warm_start": args.warm_start,
             "flops_weight": args.flops_weight}
    out = {k: v for k, v in given.items() if v is not None}
    if args.algo == "autoshrink" and args.proxy:
        out["use_proxy"] = True
    return out


def run(args) -> int:
    from nasdb import dbfile, spaces, store
    from nasdb.search import results, table
    from nasdb.search.replay import curves, replay
    from nasdb.search.table import SearchError

    if args.seeds < 1:
        raise SearchError(f"--seeds must be at least 1, got {args.seeds}")
    space = spaces.get(args.bench)
    settings = _algo_settings(args)
    con = store.connect(args.db, read_only=True)  # replay read-only (readers keep working), then store briefly
    try:
        t = table.load(con, args.bench, args.dataset, args.test_dataset, args.proxy, args.proxy_source,
                       flops=args.flops_metric if args.algo == "autoshrink" and settings.get("flops_weight", 0.1) != 0
                       else None)
        seeds = list(range(args.first_seed, args.first_seed + args.seeds))
        r = replay(t, space, args.algo, args.budget, seeds, settings, args.time_budget, progress=True)
        s = results.settings_of(r, args.dataset, args.test_dataset or args.dataset, args.proxy, seeds)
    finally:
        con.close()
    rid, written = results.run_id(s), False
    if not args.no_store:
        with dbfile.writing(args.db) as con:
            rid, written = results.write(con, r, s)
    c = curves(r)
    final = {k: v[-1] for k, v in c.items()}
    print(f"{rid}: {args.algo} on {args.bench}/{args.dataset}, {len(seeds)} seeds x {args.budget} queries"
          + (f" (time budget {args.time_budget:g} s)" if args.time_budget else "")
          + f", {len(t):,} archs in the table")
    for name in ("valid", "test"):
        if final[f"{name}_n"] == 0:
            print(f"  final {name}: n/a  <- {t.sources[name]}")
            continue
        print(f"  final {name}: {final[f'{name}_mean']:.3f} +- {final[f'{name}_std']:.3f} (std over seeds), "
              f"95% CI of the mean [{final[f'{name}_lo']:.3f}, {final[f'{name}_hi']:.3f}]  <- {t.sources[name]}")
    if t.seconds is not None:
        print(f"  simulated training time per trial: {final['sim_seconds_mean']:.0f} s  <- {t.sources['seconds']}")
    for col in ("proxy", "flops"):
        if col in t.sources:
            print(f"  {col}: {t.sources[col]}")
    print(f"  {r.queries:,} queries in {r.wall_seconds:.2f} s ({r.queries / max(r.wall_seconds, 1e-9):,.0f} queries/s); "
          + ("not stored (--no-store)" if args.no_store else "stored" if written else "already stored (same run id)"))
    return 0
