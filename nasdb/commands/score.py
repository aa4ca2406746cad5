"""nasdb score: compute nasdb's own proxies for a benchmark into the database (resumable)."""
from __future__ import annotations

import os

from nasdb.commands import add, add_executor_options
from nasdb.proxies.zc import cli as score_zc
from nasdb.proxies.registry import MODES  # a plain tuple (the registry imports no torch)


def register(sub) -> None:
    p = add(sub, "score", "compute graph proxies (NASGraph) for every architecture of a benchmark",
            "  nasdb score nasgraph --bench nb201                 # all 15,625 cells, fast mode\n"
            "  nasdb score nasgraph --bench nb101                 # all 423,624 cells (after `nasdb ingest nb101`)\n"
            "  nasdb score nasgraph --bench all                   # every benchmark with architectures in the database\n"
            "  nasdb score nasgraph --bench nb201 --mode reference --sample 50 --seed 1\n"
            "  nasdb score graf --bench all                       # graf_* graph features of every cell\n"
            "  nasdb score plugin my_proxies:score --bench nb201 --needs graph --sample 200  # your function\n"
            + score_zc.EXAMPLES +
            "re-running the same command resumes an interrupted run (verified staged chunks are kept);\n"
            "sample and reference runs are stored as their own runs and never replace a full fast run\n")
    from nasdb.proxies.plugins import entry_points  # installed proxies (entry-point group nasdb.proxies)

    p.add_argument("family", choices=["nasgraph", "graf", "zc", "plugin", *entry_points()],
                   help="proxy family: nasgraph (NASGraph graph measures), graf (GRAF-style graph features), "
                        "zc (zero-cost proxies on the real networks), plugin MODULE:FUNCTION (your function), "
                        "or an installed proxy's name")
    p.add_argument("target", nargs="?", metavar="MODULE:FUNCTION", help="the plug-in function (plugin)")
    p.add_argument("--name", help="proxy name to store a plug-in's values under (default: the function name)")
    p.add_argument("--needs", choices=["arch", "graph", "network"],
                   help="what the plug-in gets: (arch_key, spec), the NASGraph graph, or (network, batch)")
    p.add_argument("--data", help="batch source of zc and of plug-ins with --needs network: synthetic, "
                                  "fashion-mnist (default; Debian's dataset-fashion-mnist), cifar10:PATH "
                                  "(torchvision's CIFAR-10 python folder)")
    p.add_argument("--dataset", action="append", help="zc and plug-in: only this dataset/task (repeatable)")
    p.add_argument("--label", help="plug-in values are stored as source user:LABEL (default: the name)")
    p.add_argument("--lower-is-better", action="store_true", help="plug-in: smaller values predict better archs")
    p.add_argument("--bench", required=True, metavar="BENCH",
                   help="benchmark id (nb201, tnb101_micro, tnb101_macro, nb101, nb301, ...) or 'all'")
    p.add_argument("--mode", default="fast", choices=MODES,
                   help="fast: shared deterministic block weights, array assembly (default); "
                        "reference: the published recipe, fresh weights per architecture (slow)")
    p.add_argument("--sample", type=int, metavar="N", help="score a random sample of N architectures")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and of --sample (default 0)")
    p.add_argument("--chunk-size", type=int, metavar="N",
                   help="architectures per staged chunk (default 4096 fast, 4 reference; a kill loses one chunk)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_executor_options(p)
    score_zc.add_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    # the machine is shared: one thread for torch (read when torch is first imported, only if a block
    # must be probed; fast mode barely uses it, reference mode is per architecture)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from nasdb import dbfile, store
    from nasdb.proxies import harness, registry
    from nasdb.proxies.nasgraph import family

    con = store.connect(args.db, read_only=True)
    try:
        benches = registry.held_benches(con) if args.bench == "all" else (registry.bench(args.bench).name,)
    finally:
        con.close()
    if args.family == "zc":
        return score_zc.run(args, benches)
    if args.family not in ("nasgraph", "graf"):
        from nasdb.commands.proxy import score_plugin

        return score_plugin(args, benches)
    if args.family == "graf":
        from nasdb.proxies import stored_values
        from nasdb.proxies.graf import family as graf

        con = store.connect(args.db, read_only=True)  # compute read-only, then hold the writer only to store
        try:
            computed = {bench: graf.compute(con, bench) for bench in benches}
        finally:
            con.close()
        with dbfile.writing(args.db) as con:
            for bench, (rows, s, seconds) in computed.items():
                rid = stored_values.store_run(con, graf.FAMILY, bench, s, rows, seconds)
                print(f"{bench}: {rows.height} graf rows in {seconds:.1f} s (run {rid})")
        return 0
    for bench in benches:
        job = family.job(bench, args.mode, args.seed, args.sample, chunk_size=args.chunk_size)
        r = harness.score(job, args.db, executor=harness.executor.make(args.workers, args.scheduler),
                          progress=not args.quiet)
        resumed = f", {r.resumed_chunks} chunk(s) kept from an interrupted attempt" if r.resumed_chunks else ""
        current = "current" if r.current_for else "stored, not current (a full run stays current)"
        print(f"{bench}: {r.n_archs} archs, {r.n_rows} proxy rows in {r.seconds:.1f} s, {current} "
              f"(run {r.run_id}{resumed}; database held {r.lock_seconds:.2f} s)")
    return 0
