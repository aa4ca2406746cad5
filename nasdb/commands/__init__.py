"""Subcommands of the ``nasdb`` CLI, one module each (discovered by nasdb/cli.py)."""
import argparse

DB_HELP = "database file (default: env NASDB_DB, else data/nasdb.duckdb)"


def add(sub, name: str, help: str, examples: str) -> argparse.ArgumentParser:
    """Add a subcommand parser whose help ends with usage examples.

    ``--db`` is accepted after the subcommand too (``nasdb query --db x.duckdb ...``); SUPPRESS keeps a
    ``--db`` given before the subcommand when it is not repeated after it.
    """
    p = sub.add_parser(name, help=help, description=help, epilog="examples:\n" + examples,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", default=argparse.SUPPRESS, help=DB_HELP)
    return p


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """Where a scoring command computes its chunks (see nasdb.proxies.harness.executor.make)."""
    p.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: the cores available; 1 = in this process)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="compute chunks on a Dask distributed cluster (workers need nasdb installed)")
