"""The ``nasdb`` command. Each subcommand lives in its own module under ``nasdb/commands/``.

A command module defines ``register(subparsers)``, which adds its parser and sets ``func(args)``.
Errors that nasdb raises on purpose (:class:`NasdbError`) are printed as one message, exit code 2; anything
else is a bug, printed as one line naming where it happened (exit 1; ``NASDB_DEBUG=1`` shows the traceback).
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import traceback
from pathlib import Path

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
    except KeyboardInterrupt:
        print("nasdb: interrupted (a scoring job resumes from its staged chunks when rerun)", file=sys.stderr)
        return 130
    except Exception as e:  # a bug, not bad input: one line for the user, the traceback on request
        if os.environ.get("NASDB_DEBUG"):
            raise
        where = traceback.extract_tb(e.__traceback__)[-1]
        print(f"nasdb: internal error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
              f"(at {Path(where.filename).name}:{where.lineno}; this is a bug in nasdb: rerun with NASDB_DEBUG=1 "
              "for the traceback and report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
