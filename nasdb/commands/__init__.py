"""Subcommands of the ``nasdb`` CLI, one module each (discovered by nasdb/cli.py)."""
import argparse


def add(sub, name: str, help: str, examples: str) -> argparse.ArgumentParser:
    """Add a subcommand parser whose help ends with usage examples."""
    return sub.add_parser(name, help=help, description=help, epilog="examples:\n" + examples,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
