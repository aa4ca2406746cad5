"""The ``nasdb`` command. Each subcommand lives in its own module under ``nasdb/commands/``.

A command module defines ``register(subparsers)``, which adds its parser and sets ``func(args)``.
Errors that nasdb raises on purpose (:class:`NasdbError`) are printed as one message, exit code 2.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from nasdb import commands
from nasdb.commands import DB_HELP
from nasdb.errors import NasdbError

EPILOG = """examples:
  nasdb build                                   fetch + ingest + score + evaluate, print a summary
  NASDB_MIRROR=../shared/benchdata nasdb build  same, offline, from a local mirror
  nasdb query "SELECT bench, count(*) FROM archs GROUP BY bench"
  nasdb info
"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nasdb", description="NAS benchmark ground truth, proxies and their evaluation in one DuckDB file.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", help=DB_HELP)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"nasdb.commands.{info.name}").register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except NasdbError as e:
        print(f"nasdb: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
