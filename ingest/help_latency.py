"""HELP (Lee et al., NeurIPS 2021): measured latency (ms) of the NB201 CIFAR-10 networks, 27 settings.

Each ``<device>_<batch>.pt`` (or ``<device>.pt``) file is a torch-serialised plain list of 15,625
numbers in NB201 index order; ``str_arch2idx.pt`` maps each cell string to that index and is checked
against nasdb's NB201 archs before any latency is stored. The files are pickles: they are opened
only through ``verified_path`` (sha256 checked) and with ``torch.load(weights_only=True)``, which
refuses anything but plain containers and numbers.
"""
from __future__ import annotations

from numbers import Real
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import torch

from ingest.rows import insert
from nasdb.errors import IngestError
from nasdb.spaces import nb201

NAME = "help_latency"
DIR = "hwnas/help_latency"
DEVICES = ("1080ti_1", "1080ti_256", "1080ti_32", "2080ti_1", "2080ti_256", "2080ti_32", "essential_ph_1",
           "eyeriss", "fpga", "gold_6226", "gold_6240", "pixel2", "pixel3", "raspi4", "samsung_a50",
           "samsung_s7", "silver_4114", "silver_4210r", "titan_rtx_1", "titan_rtx_256", "titan_rtx_32",
           "titanx_1", "titanx_256", "titanx_32", "titanxp_1", "titanxp_256", "titanxp_32")
INDEX = f"{DIR}/str_arch2idx.pt"
LATENCY = {d: f"{DIR}/{d}.pt" for d in DEVICES}
FILES = [INDEX, *LATENCY.values()]
NEEDS = ["nb201"]
OWNS = {"costs": "source = 'help_latency'"}


def _torch_load(path: Path) -> object:
    try:
        return torch.load(path, weights_only=True)
    except Exception as e:  # torch raises several types for corrupt or non-plain pickles
        raise IngestError(f"{path}: cannot load as a plain torch-serialised object: {e}") from e


def _describe(obj: object) -> str:
    return f"{type(obj).__name__} of length {len(obj) if hasattr(obj, '__len__') else '?'}"


def check_index(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """The HELP string -> index dict must be exactly nasdb's NB201 (arch_key, arch_id) pairs."""
    mapping = _torch_load(path)
    if not isinstance(mapping, dict) or len(mapping) != nb201.N_ARCHS:
        raise IngestError(f"{path}: expected a dict of {nb201.N_ARCHS} arch strings -> index, "
                          f"got {_describe(mapping)}")
    ours = dict(con.execute("SELECT arch_key, arch_id FROM archs WHERE bench = 'nb201'").fetchall())
    for arch, idx in mapping.items():
        if ours.get(arch) != idx:
            raise IngestError(f"{path}: {arch!r} -> {idx!r}, but nasdb's NB201 index of that string is "
                              f"{ours.get(arch, 'none (unknown arch string)')}")


def latencies(path: Path) -> np.ndarray:
    values = _torch_load(path)
    if not isinstance(values, list) or len(values) != nb201.N_ARCHS:
        raise IngestError(f"{path}: expected a list of {nb201.N_ARCHS} latencies in NB201 index order, got "
                          f"{_describe(values)}")
    bad = next((i for i, v in enumerate(values) if not isinstance(v, Real) or isinstance(v, bool)), None)
    if bad is not None:
        raise IngestError(f"{path}: item {bad} is {values[bad]!r}, expected a number (ms)")
    return np.array(values, dtype=float)


def load(con: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> None:
    check_index(con, files[INDEX])
    for device, rel in LATENCY.items():
        insert(con, "costs", pl.DataFrame({
            "bench": "nb201", "arch_id": range(nb201.N_ARCHS), "dataset": "cifar10",
            "metric": f"latency:{device}", "value": latencies(files[rel]), "unit": "ms", "source": NAME,
        }, schema_overrides={"arch_id": pl.Int64, "value": pl.Float64}))
