"""Named errors, so that callers (CLI, app, tests) can tell bad input from bugs."""
from __future__ import annotations


class NasdbError(Exception):
    """Base class of every error nasdb raises on purpose; the CLI prints its message, no traceback."""


class SourceError(NasdbError):
    """A source file is missing, corrupted (checksum mismatch) or cannot be downloaded."""


class IngestError(NasdbError):
    """A source file's content cannot be placed in the database (bad row, unknown arch, duplicate)."""


class ArchStringError(NasdbError, ValueError):
    """An architecture string or index does not follow the benchmark's grammar."""
