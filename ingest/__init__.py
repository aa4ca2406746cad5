"""Ingest jobs: one module per public source, each turning verified files into rows of the public tables.

A job module defines:
  NAME   : str             -- job name (``nasdb ingest NAME``)
  FILES  : list[str]       -- manifest paths (ingest/sources.toml) it reads
  NEEDS  : list[str]       -- jobs that must have run first (e.g. the archs it joins to)
  OWNS   : dict[str, str]  -- table -> SQL predicate selecting the rows this job writes
  load(con, files: dict[str, Path]) -> None   -- insert rows; raise IngestError on anything it cannot place
  DDL    : str (optional)  -- creates a table the job OWNS outside the public schema
The runner (ingest/runner.py) calls ``load`` on an in-memory scratch database (the public schema plus the
rows its NEEDS own), then deletes the rows the job OWNS and inserts the new ones in one short transaction.
Jobs over files a user supplies (``nb101_tfrecord``, ``nds``: not mirrored, not in JOBS) leave FILES empty,
write their own ``sources`` rows (their OWNS names them) and run through ``runner.ingest_files``.
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
