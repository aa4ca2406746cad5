"""The one error evaluation raises on purpose: a filter or population the database cannot satisfy."""
from __future__ import annotations

from nasdb.errors import NasdbError


class EvaluationError(NasdbError, ValueError):
    """Unknown bench/dataset/proxy/population, or inputs that cannot be paired; the database is left as it was."""
