"""TFRecord files without TensorFlow: the record framing with its masked CRC32C checks.

Each record is ``uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)``
(little endian). Checking both CRCs means a corrupted or truncated download is reported at the
exact record instead of being parsed into wrong numbers.
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import crc32c

from nasdb.errors import NasdbError

_MASK_DELTA = 0xA282EAD8
_HEADER = struct.Struct("<QI")
_FOOTER = struct.Struct("<I")


class RecordError(NasdbError):
    """A TFRecord file is corrupted: bad CRC or truncated record."""


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC32C: rotate right by 15 bits and add a constant."""
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def iter_records(path: Path, progress=None) -> Iterator[tuple[int, bytes]]:
    """Yield (byte offset, payload) for each record, checking framing and both CRCs.

    ``progress`` (e.g. a tqdm bar with total = file size) is advanced by the bytes consumed.
    """
    with open(path, "rb") as f:
        offset = 0
        while True:
            header = f.read(_HEADER.size)
            if not header:
                return
            if len(header) < _HEADER.size:
                raise RecordError(f"{path}: truncated record at byte offset {offset}: "
                                  f"{len(header)} of {_HEADER.size} header bytes")
            length, length_crc = _HEADER.unpack(header)
            if masked_crc32c(header[:8]) != length_crc:
                raise RecordError(f"{path}: bad length CRC in record at byte offset {offset} "
                                  f"(corrupted file, or not a TFRecord file)")
            data = f.read(length)
            footer = f.read(_FOOTER.size)
            if len(data) < length or len(footer) < _FOOTER.size:
                raise RecordError(f"{path}: truncated record at byte offset {offset}: expected "
                                  f"{length} data bytes + 4 CRC bytes, file ends after {len(data) + len(footer)}")
            if masked_crc32c(data) != _FOOTER.unpack(footer)[0]:
                raise RecordError(f"{path}: bad data CRC in record at byte offset {offset} (corrupted record)")
            yield offset, data
            size = _HEADER.size + length + _FOOTER.size
            offset += size
            if progress is not None:
                progress.update(size)
