"""``nasdb score zc``: the zero-cost proxies on the benchmark's real networks, through the scoring harness
(the arguments and runner the ``score`` command adds for the zc family)."""
from __future__ import annotations

import os

from nasdb.proxies.zc.registry import NAMES  # a plain table (no torch)

EXAMPLES = (
    "  nasdb score zc --bench nb201                       # the archs with published Suite-Zero values, every proxy\n"
    "  nasdb score zc --bench nb201 --proxy synflow --proxy zico --data fashion-mnist --batch-size 64\n"
    "  nasdb score zc --bench nb201 --sample 200 --seed 1 --data cifar10:~/data/cifar-10-batches-py\n"
    "  nasdb score zc --bench nb201 --published --sample 300 --dataset cifar10 --proxy synflow  # side by side\n"
    "  nasdb score zc --bench nb101 --dataset cifar10 --all --proxy params --proxy flops\n")


def add_arguments(p) -> None:
    """zc's own options (``--data`` and ``--dataset`` are shared with plug-ins and defined by ``score``)."""
    g = p.add_argument_group("zc (zero-cost proxies)")
    g.add_argument("--proxy", action="append", choices=NAMES, metavar="P",
                   help=f"proxy to compute (repeatable; default all): {', '.join(NAMES)}")
    g.add_argument("--batch-size", type=int, metavar="N",
                   help="images per batch (default: Suite-Zero's, NB201 64, TNB101 and NB101 32)")
    g.add_argument("--set", metavar="NAME", help="score a named arch set (arch_sets)")
    g.add_argument("--device", default="cpu", metavar="DEVICE",
                   help="torch device of the networks and batches on every worker (default cpu; e.g. cuda, cuda:0); "
                        "recorded in the run's settings")
    g.add_argument("--all", action="store_true",
                   help="score every architecture (default: those with published Suite-Zero values)")
    g.add_argument("--published", action="store_true",
                   help="with --sample N: draw the sample among the archs with published Suite-Zero values "
                        "(NASLib's files or GRAF's copy) of the requested proxies, for side-by-side comparisons")


def run(args, benches: tuple[str, ...]) -> int:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from functools import partial

    from nasdb import store
    from nasdb.errors import NasdbError
    from nasdb.proxies import harness
    from nasdb.proxies.zc import family

    executor = harness.executor.make(args.workers, args.scheduler)
    executor.check(partial(family.device_problem, args.device))  # on the Dask workers, not this login node
    for bench in benches:
        if args.all:
            selection, what = harness.Selection(), "every architecture"
        elif args.sample is not None and args.published:
            harness.Selection.sample(args.sample, args.seed)  # the same check of N
            con = store.connect(args.db, read_only=True)
            try:
                ids = family.published_sample(con, bench, args.proxy, args.dataset, args.sample, args.seed)
            finally:
                con.close()
            selection, what = harness.Selection.of_ids(ids), f"a sample of {len(ids)} with published values"
        elif args.sample is not None:
            selection, what = harness.Selection.sample(args.sample, args.seed), f"a sample of {args.sample}"
        elif args.set:
            selection, what = harness.Selection.named_set(args.set), f"set {args.set}"
        else:
            con = store.connect(args.db, read_only=True)
            try:
                ids = family.published_ids(con, bench)
            finally:
                con.close()
            if not ids:
                raise NasdbError(f"no published Suite-Zero values for {bench} in the database; "
                                 f"pass --all, --sample N or --set NAME")
            selection, what = harness.Selection.of_ids(ids), "the archs with Suite-Zero values"
        job = family.job(bench, selection, args.proxy, args.data or family.DEFAULT_DATA, args.batch_size, args.seed,
                         args.dataset,
                         chunk_size=args.chunk_size, device=args.device, device_here=False)
        r = harness.score(job, args.db, executor=executor, progress=not args.quiet)
        resumed = f", {r.resumed_chunks} chunk(s) kept from an interrupted attempt" if r.resumed_chunks else ""
        print(f"{bench}: {r.n_archs} archs ({what}), {r.n_rows} proxy rows in {r.seconds:.1f} s "
              f"(run {r.run_id}{resumed})")
    return 0
