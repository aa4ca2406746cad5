"""Ingest jobs: one module per public source, each turning verified files into rows of the public tables.

A job module defines:
  NAME   : str             -- job name (``nasdb ingest NAME``)
  FILES  : list[str]       -- manifest paths (ingest/sources.toml) it reads
  NEEDS  : list[str]       -- jobs that must have run first (e.g. the archs it joins to)
  OWNS   : dict[str, str]  -- table -> SQL predicate selecting the rows this job writes
  load(con, files: dict[str, Path]) -> None   -- insert rows; raise IngestError on anything it cannot place
The runner (ingest/runner.py) deletes the rows the job OWNS and calls ``load`` inside one transaction.
"""

# Run order: spaces (archs) first, then everything that joins to them.
JOBS = [
    "nb201",
    "tnb101",
    "nb101",
    "nb301",
    "hwnas",
    "help_latency",
    "robustness",
    "naswot",
    "suite_zero",
    "suite_zero_nb101",
    "graf",
]
