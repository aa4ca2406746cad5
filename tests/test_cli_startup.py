"""The `nasdb` command starts without loading any command's implementation (torch, scipy, numba, ...),
and the argparse-level constants the command modules keep for that stay equal to the library's."""
from __future__ import annotations

import subprocess
import sys

from nasdb import cli

HEAVY = ("torch", "scipy", "numba", "pandas", "networkx", "streamlit", "nasdb.evaluate.runner", "nasdb.proxies.nasgraph.probe")


def test_building_the_parser_imports_no_heavy_module():
    code = ("import sys; from nasdb import cli; cli.parser(); "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def _choices(command: str, option: str) -> tuple:
    sub = next(a for a in cli.parser()._actions if a.dest == "command").choices[command]
    return tuple(next(a for a in sub._actions if option in a.option_strings).choices)


def test_command_constants_match_the_library():
    from nasdb.evaluate.search import TRIALS
    sub = next(a for a in cli.parser()._actions if a.dest == "command").choices["eval"]
    trials = next(a for a in sub._actions if "--trials" in a.option_strings)
    assert trials.default is None and f"default {TRIALS}" in trials.help


def test_ensemble_and_predict_constants_match_the_library():
    from nasdb.commands import predict
    from nasdb.evaluate import predictors
    from nasdb.proxies import ensemble

    assert _choices("ensemble", "--method") == ensemble.METHODS == _choices("ensemble-search", "--method")
    assert _choices("predict", "--model") == predictors.MODELS
    assert predict.GROUPS == tuple(predictors.GROUPS)
