"""One scoring harness for every proxy family: plan chunks -> execute -> stage parts -> merge -> mark current.

A family describes a run with a :class:`Job` and gets back a :class:`RunResult`::

    from nasdb.proxies import harness
    job = harness.Job(family="zc", bench="nb201", proxies=("synflow", "snip"),
                      settings={"batch": 64, "seed": 0, ...},      # everything that changes values (JSON)
                      compute_chunk=my_module.compute_chunk,        # module-level, picklable
                      selection=harness.Selection.sample(1000, seed=0), chunk_size=64)
    result = harness.score(job, db="data/nasdb.duckdb")            # resumable; becomes current when complete
    harness.store_values(job, values, db)                           # values already in memory (imports, ...)
    harness.store_frame(con, job, values)                           # the same, inside a writer you already hold

``compute_chunk(bench, [(arch_id, arch_key), ...], settings) -> polars.DataFrame`` with columns
``arch_id, dataset, proxy, value, note`` (value NULL + note when undefined); it must not touch the
database. The harness reads the selected archs (DB opened read-only, then closed), cuts chunks
(``Job.chunk_order`` SQL order, ``chunk_size`` archs), runs :func:`stage_chunk` through an
:class:`Executor` (in-process here; anything with ``map(fn, tasks)`` yielding results fits: local
processes, Dask), which writes each chunk as a checksummed Parquet part under
``<cache>/staging/<run>/``. A rerun of the same job resumes the verified parts of the *same* run
(``proxy_runs.resumed_chunks``). At the end one short transaction appends the values to
``proxy_values``, records the run and moves the ``current_runs`` pointer (rules in :mod:`nasdb.runs`).
``Job.primary=False`` (e.g. reference mode) and any selection but ``all`` make a *partial* run that
never displaces a full one. ``source`` defaults to ``nasdb`` (``peer:*`` is reserved for ingest jobs).
"""
from nasdb.proxies.harness.executor import Executor, InProcess, stage_chunk
from nasdb.proxies.harness.job import Job, Selection
from nasdb.proxies.harness.run import RunResult, score, store_frame, store_values

__all__ = ["Job", "Selection", "Executor", "InProcess", "stage_chunk", "RunResult", "score", "store_values",
           "store_frame"]
