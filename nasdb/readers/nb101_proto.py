"""The official NAS-Bench-101 data files (``nasbench_only108.tfrecord``, ``nasbench_full.tfrecord``).

Each TFRecord payload is a JSON list ``[module_hash, epochs, adjacency, operations, metrics]``:
adjacency is the pruned matrix as a string of 0/1 digits (row-major), operations a comma-separated
op list, metrics a base64 ``nasbench.ModelMetrics`` protobuf (nasbench/lib/model_metrics.proto):

    ModelMetrics   { repeated EvaluationData evaluation_data = 1; optional int32 trainable_parameters = 2;
                     optional double total_time = 3; }
    EvaluationData { optional double current_epoch = 1; optional double training_time = 2;
                     optional double train_accuracy = 3; optional double validation_accuracy = 4;
                     optional double test_accuracy = 5; optional string checkpoint_path = 6; }

One record = one training run (one seed) at one epoch budget; evaluation_data holds the evaluations
at the start, the halfway point and the end of that run. The protobuf is decoded by hand (a dozen
lines of wire format) so that reading the file needs neither TensorFlow nor generated code.
"""
from __future__ import annotations

import base64
import binascii
import json
import struct
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from nasdb.readers.tfrecord import RecordError, iter_records

EVAL_FIELDS = {1: "current_epoch", 2: "training_time", 3: "train_accuracy", 4: "validation_accuracy",
               5: "test_accuracy"}
_DOUBLE = struct.Struct("<d")
NAN = float("nan")


class ProtoError(ValueError):
    """Malformed protobuf wire data (reported by the caller with file and record offset)."""


@dataclass(frozen=True)
class Record:
    module_hash: str
    epochs: int
    adjacency: list[list[int]]
    operations: list[str]
    trainable_parameters: int | None
    evaluations: list[dict[str, float | str | None]]


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtoError("varint runs past the end of the message")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ProtoError("varint longer than 10 bytes")


def fields(buf: bytes) -> list[tuple[int, int | float | bytes]]:
    """Decode one message level into (field number, value): varint -> int, 64-bit -> double,
    length-delimited -> bytes; 32-bit fields are skipped (the NB101 schema has none)."""
    out = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            if pos + 8 > len(buf):
                raise ProtoError(f"field {number}: 64-bit value runs past the end")
            value, pos = _DOUBLE.unpack_from(buf, pos)[0], pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise ProtoError(f"field {number}: {size}-byte value runs past the end")
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            pos += 4
            continue
        else:
            raise ProtoError(f"field {number}: unsupported wire type {wire}")
        out.append((number, value))
    return out


def _int32(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def parse_model_metrics(buf: bytes) -> tuple[int | None, list[dict[str, float | str | None]]]:
    """ModelMetrics bytes -> (trainable_parameters, evaluations in file order)."""
    params = None
    evaluations = []
    for number, value in fields(buf):
        if number == 1:
            ev: dict[str, float | str | None] = dict.fromkeys(EVAL_FIELDS.values())
            for n, v in fields(value):
                if n in EVAL_FIELDS:
                    ev[EVAL_FIELDS[n]] = v
            evaluations.append(ev)
        elif number == 2:
            params = _int32(value)
    return params, evaluations


def parse_record(data: bytes) -> Record:
    """One TFRecord payload of the NB101 files -> Record (raises ValueError/ProtoError if malformed)."""
    module_hash, epochs, raw_adj, raw_ops, raw_metrics = json.loads(data.decode("utf-8"))
    dim = int(round(len(raw_adj) ** 0.5))
    if dim * dim != len(raw_adj) or set(raw_adj) - {"0", "1"}:
        raise ValueError(f"adjacency {raw_adj!r} is not a square 0/1 matrix")
    adjacency = [[int(c) for c in raw_adj[i * dim:(i + 1) * dim]] for i in range(dim)]
    try:
        metrics = base64.b64decode(raw_metrics, validate=True)
    except binascii.Error as e:
        raise ValueError(f"metrics are not base64: {e}") from e
    params, evaluations = parse_model_metrics(metrics)
    return Record(str(module_hash), int(epochs), adjacency, raw_ops.split(","), params, evaluations)


def read_runs(path: Path, progress: bool = True) -> pl.DataFrame:
    """Every evaluation of every run: one row per (module_hash, epochs, run, eval_index).

    ``run`` numbers the runs (seeds) of one (hash, epochs) in file order, as the official API lists
    them; ``eval_index`` 0/1/2 = start, halfway, end of training. Absent optional fields are null.
    """
    from tqdm import tqdm

    # typed arrays, not lists of Python objects: the official file has 1.27 M records x 3 evaluations
    hashes: list[str] = []
    ints = {c: array("q") for c in ("epochs", "run", "eval_index", "trainable_parameters")}
    floats = {c: array("d") for c in EVAL_FIELDS.values()}
    runs_seen: dict[tuple[str, int], int] = {}
    with tqdm(total=Path(path).stat().st_size, unit="B", unit_scale=True, desc="nb101 tfrecord",
              disable=not progress) as bar:
        for offset, data in iter_records(path, bar):
            try:
                rec = parse_record(data)
            except (ValueError, KeyError, TypeError) as e:
                raise RecordError(f"{path}: record at byte offset {offset} is not an NB101 evaluation "
                                  f"record [hash, epochs, adjacency, ops, metrics]: {e}") from e
            run = runs_seen.get((rec.module_hash, rec.epochs), 0)
            runs_seen[(rec.module_hash, rec.epochs)] = run + 1
            params = -1 if rec.trainable_parameters is None else rec.trainable_parameters
            for i, ev in enumerate(rec.evaluations):
                hashes.append(rec.module_hash)
                for name, value in zip(ints, (rec.epochs, run, i, params)):
                    ints[name].append(value)
                for name in EVAL_FIELDS.values():
                    floats[name].append(NAN if ev[name] is None else ev[name])
    return pl.DataFrame({"module_hash": hashes, **{c: np.frombuffer(a, dtype=np.int64) for c, a in ints.items()},
                         **{c: np.frombuffer(a, dtype=np.float64) for c, a in floats.items()}}).with_columns(
        pl.col("epochs", "run", "eval_index").cast(pl.Int32),
        pl.when(pl.col("trainable_parameters") >= 0).then(pl.col("trainable_parameters")),
        pl.col(*EVAL_FIELDS.values()).fill_nan(None))
