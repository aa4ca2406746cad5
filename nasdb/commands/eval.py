"""nasdb eval: compute correlations (with bootstrap CIs), top-k, search simulation and bias; store them."""
from __future__ import annotations

from nasdb.commands import add


def register(sub) -> None:
    p = add(sub, "eval", "evaluate proxies against ground truth and store the results (replaces previous rows)",
            "  nasdb eval                                   # every bench, dataset and proxy (primary targets)\n"
            "  nasdb eval --bench nb201 --dataset cifar100 --proxy synflow --proxy nasgraph_avg_degree\n"
            "  nasdb eval --targets all --population unique # every split and metric, one arch per iso class\n"
            "  nasdb eval --bench nb201 --common --population sample:1000:0 --bootstrap 200\n")
    p.add_argument("--bench", help="only this benchmark (e.g. nb201, tnb101_micro)")
    p.add_argument("--dataset", help="only this ground-truth dataset or task")
    p.add_argument("--split", help="only this ground-truth split (train/valid/test)")
    p.add_argument("--metric", help="only this ground-truth metric")
    p.add_argument("--proxy", action="append", help="only this proxy (repeatable)")
    p.add_argument("--source", action="append", help="only proxies from this source, e.g. nasdb, peer:graf")
    p.add_argument("--population", default="all",
                   help="all | unique | non_degenerate | sample:N:seed | set:NAME (arch_sets)")
    p.add_argument("--targets", default="primary", choices=["primary", "all"],
                   help="primary: per dataset the headline metric/split (default); all: every ground-truth column "
                        "(implied by --split/--metric)")
    p.add_argument("--common", action="store_true", help="evaluate all selected proxies on the archs they share")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the 95%% CIs")
    p.add_argument("--trials", type=int, help="search-simulation trials (default 500, the evaluator's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--recompute", action="store_true",
                   help="compute every row (default: copy stored rows computed from identical inputs, code and "
                        "settings)")
    p.set_defaults(func=run)


def run(args) -> int:
    from nasdb.evaluate.runner import Filters, Settings, evaluate_file

    trials = {} if args.trials is None else {"trials": args.trials}
    summary = evaluate_file(args.db, Filters(args.bench, args.dataset, args.proxy, args.source, args.split, args.metric),
                            Settings(population=args.population, common=args.common, targets=args.targets,
                                     bootstrap=args.bootstrap, seed=args.seed, **trials),
                            reuse_stored=not args.recompute)
    rows = ", ".join(f"{n} {t}" for t, n in summary.rows.items())
    reused = (f"; {summary.reused} (target, proxy) evaluation(s) copied from stored rows with identical inputs"
              if summary.reused else "")
    print(f"{summary.run_id}: {rows} rows in {summary.seconds:.1f} s{reused}")
    return 0
