"""nasdb leaderboard: proxies ranked by Spearman rho (with 95% CIs) for one ground-truth target."""
from __future__ import annotations

from typing import TYPE_CHECKING

from nasdb.commands import add
from nasdb.tables import FORMATS

if TYPE_CHECKING:
    import polars as pl


def register(sub) -> None:
    p = add(sub, "leaderboard", "rank proxies for one benchmark dataset by rank correlation, with CIs",
            "  nasdb leaderboard --bench nb201 --dataset cifar10-valid\n"
            "  nasdb leaderboard --bench nb201 --dataset cifar10-valid --common      # same archs for all\n"
            "  nasdb leaderboard --bench nb201 --dataset cifar10-valid --common --source nasdb --source peer:graf\n"
            "  nasdb leaderboard --bench tnb101_micro --dataset class_scene --metric top1 --split valid\n")
    p.add_argument("--bench", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--metric", help="ground-truth metric (default: the dataset's primary one, e.g. accuracy)")
    p.add_argument("--split", help="ground-truth split (default: test where it exists)")
    p.add_argument("--population", default="all",
                   help="all | unique | non_degenerate | sample:N:seed | set:NAME (arch_sets)")
    p.add_argument("--common", action="store_true",
                   help="judge every compared proxy (what --proxy/--source select) on the archs they all have "
                        "values for; baselines are recomputed on those archs and never shrink them")
    p.add_argument("--proxy", action="append", help="only this proxy (repeatable)")
    p.add_argument("--source", action="append", help="only proxies from this source (repeatable)")
    p.add_argument("--bootstrap", type=int, default=1000, help="resamples when --common must compute (default 1000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", default="table", choices=FORMATS)
    p.add_argument("--output", "-o", help="file to write (csv/json/parquet)")
    p.set_defaults(func=run)


def run(args) -> int:
    import sys

    from nasdb import api, tables
    from nasdb.evaluate.leaderboard import leaderboard, warnings

    con = api.connect(args.db, read_only=True)
    table, source = leaderboard(con, args.bench, args.dataset, args.metric, args.split, args.population,
                                args.common, args.proxy, args.source, args.bootstrap, args.seed)
    for line in warnings(table):
        print(f"nasdb: warning: {line}", file=sys.stderr)
    if args.format != "table":
        tables.write(table, args.format, args.output, max_rows=200)
        return 0
    groups = table.partition_by("group", maintain_order=True)
    how = ("group A is the common set; a baseline with values for only part of it is ranked in its own group"
           if args.common else "baselines recomputed on each group's archs are marked 'now'; --common ranks all "
           "compared proxies on one set")
    print(source if len(groups) == 1 else f"{source}\nproxies are ranked within groups measured on the same archs "
          f"({how})")
    for group in groups:
        g, n = group["group"][0], group["group_n"][0]
        tables.show(_readable(group), title=f"group {g}: {n:,} archs", max_rows=200,
                    more="use --format csv to see every row")
    return 0


def _readable(table: pl.DataFrame) -> pl.DataFrame:
    """Terminal view: value [95% CI] per correlation (the value alone when no CI was computed, e.g.
    --bootstrap 0), and one column counting the archs left out."""
    import polars as pl

    def rounded(name: str) -> pl.Expr:  # cast first: a column of only NULLs has dtype null
        return pl.col(name).cast(pl.Float64).map_elements(lambda v: f"{v:.3f}", return_dtype=pl.Utf8)

    def with_ci(name: str) -> pl.Expr:
        ci = pl.format(" [{}, {}]", rounded(f"{name}_lo"), rounded(f"{name}_hi"))
        return pl.concat_str(rounded(name).fill_null("NULL"), ci.fill_null(""))

    proxy = pl.when(pl.col("stale")).then(pl.col("proxy") + " (stale)").otherwise(pl.col("proxy"))
    proxy = pl.when(pl.col("proxy_source").str.starts_with("user:")).then(proxy + " (user-supplied)").otherwise(proxy)
    return table.select("rank", proxy=proxy, source="proxy_source", n="n", spearman=with_ci("spearman"),
                        kendall=with_ci("kendall"),
                        no_value=pl.col("n_missing") + pl.col("n_null") + pl.col("n_nan") + pl.col("n_inf"),
                        computed="computed")
