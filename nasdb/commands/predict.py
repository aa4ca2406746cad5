"""nasdb predict: few-shot predictors on stored proxies (NASLib protocol), results in predictor_results."""
from __future__ import annotations

from nasdb.commands import add

GROUPS = ("graph", "nasgraph", "zc")   # nasdb.evaluate.predictors.GROUPS (kept import-light)
MODELS = ("rf", "gbm", "ridge")


def register(sub) -> None:
    p = add(sub, "predict", "train few-shot predictors on stored proxies and store learning curves",
            "  nasdb predict --bench nb201 --dataset cifar10-valid --features graph\n"
            "  nasdb predict --bench nb201 --dataset cifar10-valid --features graph,zc --train-sizes 10,100,1000 "
            "--seeds 20 --model rf\n"
            "  nasdb query \"SELECT features, model, train_size, spearman, spearman_lo, spearman_hi "
            "FROM predictor_results ORDER BY 1, 2, 3\"\n"
            "groups: graph = graf_* features, nasgraph = nasgraph_* measures, zc = GRAF's published zero-cost "
            "proxies (peer:graf)\n")
    p.add_argument("--bench", required=True)
    p.add_argument("--dataset", required=True, help="ground-truth dataset or task (its primary target)")
    p.add_argument("--features", default="graph", help=f"comma-separated groups of {', '.join(GROUPS)}")
    p.add_argument("--train-sizes", default="10,20,50,100,200,500,1000", help="comma-separated training sizes")
    p.add_argument("--seeds", type=int, default=20, help="seeds 0..N-1 per training size (default 20)")
    p.add_argument("--model", default="rf", choices=MODELS, help="rf (default), gbm, ridge (scikit-learn)")
    p.add_argument("--population", default="all",
                   help="all | unique | non_degenerate | sample:N:seed | set:NAME (as nasdb eval)")
    p.add_argument("--split", default="", help="ground-truth split to predict, e.g. valid (default: the bench's "
                                               "primary target, test where it has one)")
    p.add_argument("--gt-source", default="", help="whose copy of the ground truth, e.g. peer:graf (default: the "
                                                   "bench's own files)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from nasdb import tables
    from nasdb.errors import NasdbError
    from nasdb.evaluate import predictors

    try:
        sizes = tuple(int(x) for x in args.train_sizes.split(","))
    except ValueError:
        raise NasdbError(f"--train-sizes {args.train_sizes!r}: expected comma-separated integers") from None
    s = predictors.Settings(args.bench, args.dataset, predictors.parse_groups(args.features), args.model,
                            sizes, args.seeds, args.population, split=args.split,
                            gt_source=args.gt_source)
    frame, resumed = predictors.run(args.db, s, progress=not args.quiet)
    if resumed:
        print(f"resumed {resumed} of {len(s.train_sizes) * s.seeds} (train size, seed) trials from an interrupted run")
    tables.show(frame.select("train_size", "n_test", "spearman", "spearman_lo", "spearman_hi", "kendall",
                             "precision", "top_k"),
                title=f"{s.bench}/{s.dataset} {'+'.join(s.features)} {s.model}, population {s.population} "
                      f"({s.seeds} seeds; run {s.run_id()})")
    return 0
