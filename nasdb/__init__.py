"""nasdb: NAS benchmark ground truth, graph proxies and their evaluation in one DuckDB database."""
from __future__ import annotations

__version__ = "0.1.0"
