"""nasdb landscape: how well neighbours' accuracy predicts an architecture's (per space and dataset)."""
from __future__ import annotations

from nasdb.commands import add


def register(sub) -> None:
    p = add(sub, "landscape", "landscape smoothness: correlate each architecture's validation value with the mean "
                              "of its one-edit neighbours and of its most WL-similar cells; store per-arch rows "
                              "and a summary (replaces that bench/dataset's previous rows)",
            "  nasdb landscape --bench nb201 --dataset cifar10-valid\n"
            "  nasdb landscape                              # every space, its first dataset\n")
    p.add_argument("--bench", help="only this benchmark")
    p.add_argument("--dataset", help="dataset/task (default: every space's first dataset with validation values)")
    p.add_argument("-k", type=int, default=5, help="WL-nearest cells averaged per architecture (default 5)")
    p.set_defaults(func=run)


def run(args) -> int:
    import json
    from datetime import datetime, timezone

    from nasdb import dbfile, spaces, store
    from nasdb.search import table
    from nasdb.search.results import code_version
    from nasdb.similarity import landscape
    from nasdb.similarity.index import ITERATIONS, indexed

    chosen = [spaces.get(args.bench)] if args.bench else spaces.all_spaces()
    results = []
    con = store.connect(args.db, read_only=True)  # compute read-only, then hold the writer only to store
    try:
        for space in chosen:
            datasets = [args.dataset] if args.dataset else [
                d for d in space.datasets if table.target(con, space.bench, d, "valid")][:1]
            for dataset in datasets:
                t = table.load(con, space.bench, dataset)
                rows, summary = landscape.smoothness(t, space, indexed(con, space), args.k)
                settings = {"value": t.sources["valid"], "wl_iterations": ITERATIONS, "k": args.k,
                            "code_version": code_version()}
                rows = rows.with_columns(bench=store_lit(space.bench), dataset=store_lit(dataset))
                results.append((space.bench, dataset, rows, summary, settings))
    finally:
        con.close()
    with dbfile.writing(args.db) as con, store.transaction(con):
        con.execute(landscape.DDL)
        for bench, dataset, rows, summary, settings in results:
            con.execute("DELETE FROM landscape WHERE bench = ? AND dataset = ?", [bench, dataset])
            con.execute("DELETE FROM landscape_summary WHERE bench = ? AND dataset = ?", [bench, dataset])
            con.register("_landscape", rows.to_arrow())
            con.execute("INSERT INTO landscape BY NAME SELECT * FROM _landscape")
            con.unregister("_landscape")
            con.execute("INSERT INTO landscape_summary VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [bench, dataset, summary["n"], summary["spearman_neighbours"], summary["pearson_neighbours"],
                         summary["spearman_wl_knn"], summary["k"], summary["mean_neighbours"], json.dumps(settings),
                         datetime.now(timezone.utc).replace(tzinfo=None)])
    for bench, dataset, _, summary, _ in results:
        print(f"{bench}/{dataset}: {summary['n']:,} archs, Spearman(value, neighbour mean) "
              f"{_f(summary['spearman_neighbours'])} (avg {summary['mean_neighbours']:.1f} neighbours), "
              f"Spearman(value, WL {args.k}-NN mean) {_f(summary['spearman_wl_knn'])}")
    return 0


def store_lit(value: str):
    import polars as pl

    return pl.lit(value)


def _f(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"
