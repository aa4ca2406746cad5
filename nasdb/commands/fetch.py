"""nasdb fetch: download and verify source files into the cache."""
from __future__ import annotations

from nasdb.commands import add


def register(sub) -> None:
    p = add(sub, "fetch", "download every source file (or the given manifest paths), verify sha256",
            "  nasdb fetch\n  NASDB_MIRROR=../shared/benchdata nasdb fetch nb201/nasbench201_cifar10.csv\n")
    p.add_argument("paths", nargs="*", help="manifest paths (default: all)")
    p.add_argument("--cache", help="cache directory (default: env NASDB_CACHE, else data/cache)")
    p.set_defaults(func=run)


def run(args) -> int:
    from nasdb import sources

    paths = sources.fetch_all(args.paths or None, cache=args.cache and __import__("pathlib").Path(args.cache))
    print(f"{len(paths)} source file(s) present and verified")
    return 0
