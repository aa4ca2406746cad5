"""Run ingest jobs atomically and idempotently, holding the database only to write.

Each job first copies the rows its NEEDS own into an in-memory scratch database and closes the file, then
parses its files there (:func:`compute`), then one short DuckDB transaction deletes its previous rows (what it OWNS) and inserts the
new ones (:func:`write_job`), so running it twice gives the same database and a failure or a kill mid-job
leaves the previous content intact. Jobs over the manifest's files run by name (:func:`ingest`); jobs over
files a user supplies (the official NB101 TFRecord, NDS sweep files) the same way (:func:`ingest_files`).
Peer proxy rows and ground truth get the version ``ingest:<job>:<digest of its files>``.
"""
from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import duckdb
import pyarrow as pa

from ingest import JOBS
from ingest.rows import insert
from nasdb import config, dbfile, runs, sources, store
from nasdb.errors import IngestError


@dataclass(frozen=True)
class Recipe:
    """A job whose rows depend on the file it is given (one NDS sweep file -> its benchmark), in the shape of a
    job module (the same upper-case names), so the runner treats both alike."""

    NAME: str
    OWNS: dict[str, str]
    load: Callable[[duckdb.DuckDBPyConnection, dict[str, Path]], None]
    NEEDS: tuple[str, ...] = ()
    FILES: tuple[str, ...] = ()


Job = ModuleType | Recipe


def job(name: str) -> ModuleType:
    if name not in JOBS:
        raise IngestError(f"unknown ingest job {name!r}; known jobs: {', '.join(JOBS)}")
    return importlib.import_module(f"ingest.{name}")


def _record_sources(con: duckdb.DuckDBPyConnection, mod: Job) -> None:
    manifest = sources.manifest()
    con.execute("DELETE FROM sources WHERE ingested_by = ?", [mod.NAME])
    for path in mod.FILES:
        s = manifest[path]
        con.execute(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, now())",
            [s.path, s.origin_url, s.sha256, s.bytes, s.license, s.what, mod.NAME],
        )


def compute_job(con: duckdb.DuckDBPyConnection, name: str, cache: Path | None = None,
                mirror: Path | None = None) -> tuple[ModuleType, dict[str, pa.Table]]:
    """Parse the job's verified manifest files into its rows without writing to ``con`` (see :func:`compute`)."""
    mod = job(name)
    return mod, compute(con, mod, {p: sources.verified_path(p, cache, mirror) for p in mod.FILES})


def compute(con: duckdb.DuckDBPyConnection, mod: Job, files: dict[str, Path]) -> dict[str, pa.Table]:
    """The rows job ``mod`` makes of ``files``, without writing to ``con`` (a read-only connection will do).

    ``load`` runs against an in-memory scratch database holding the public schema (and the job's own ``DDL``)
    and only the rows the job's NEEDS own (the archs and ground truth it joins to), so a long parse never
    holds the file.
    """
    return _parse(_scratch(con, mod), mod, files)


def _scratch(con: duckdb.DuckDBPyConnection, mod: Job) -> duckdb.DuckDBPyConnection:
    """An in-memory database with the public schema, the job's DDL and the rows its NEEDS own, copied from
    ``con``: all a job reads of the database, so ``con`` can be closed before the parse."""
    con.complete()  # a caller's unfinished result would block the reads below
    scratch = duckdb.connect()
    try:
        scratch.execute(store.SCHEMA)
        if getattr(mod, "DDL", None):
            scratch.execute(mod.DDL)
        for need in getattr(mod, "NEEDS", []):
            for i, (table, pred) in enumerate(job(need).OWNS.items()):
                rows = con.sql(f"SELECT * FROM {table} WHERE {pred}").to_arrow_table()
                if i == 0 and rows.num_rows == 0:
                    raise IngestError(f"ingest job {mod.NAME!r} needs job {need!r} to have run first "
                                      f"(no rows in {table})")
                insert(scratch, table, rows)
    except BaseException:
        scratch.close()
        raise
    return scratch


def _parse(scratch: duckdb.DuckDBPyConnection, mod: Job, files: dict[str, Path]) -> dict[str, pa.Table]:
    """Run the job's ``load`` on ``scratch`` (consumed) and return the rows of the tables it owns."""
    try:
        before = _counts(scratch)
        mod.load(scratch, files)
        strays = [t for t, n in _counts(scratch).items() if n != before[t] and t not in mod.OWNS]
        if strays:
            raise IngestError(f"ingest job {mod.NAME!r} wrote to {strays[0]}, a table it does not OWN")
        return {t: scratch.sql(f"SELECT * FROM {t} WHERE {pred}").to_arrow_table() for t, pred in mod.OWNS.items()}
    finally:
        scratch.close()


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}


def write_job(con: duckdb.DuckDBPyConnection, mod: Job, rows: dict[str, pa.Table]) -> None:
    """Replace the job's rows (what it OWNS) with ``rows`` in one short transaction; mark results that used
    the rows it replaced stale. A job over user files owns (and its ``load`` writes) its own ``sources`` rows;
    the runner records the manifest files of the others."""
    with store.transaction(con):
        if getattr(mod, "DDL", None):
            con.execute(mod.DDL)
        for table, pred in mod.OWNS.items():
            if _unchanged(con, table, pred, rows[table]):
                continue  # DuckDB commits deleted index keys slowly: NB101's 423,624 archs held the file 22 s
            con.execute(f"DELETE FROM {table} WHERE {pred}")
            insert(con, table, rows[table])
        if "sources" not in mod.OWNS:
            _record_sources(con, mod)
        # peer values and ground truth are identified by the files they came from, so results can tell
        # when they change
        version = _ingest_run_id(mod, rows)
        if "peer_proxies" in mod.OWNS:
            con.execute(f"UPDATE peer_proxies SET run_id = ? WHERE {mod.OWNS['peer_proxies']}", [version])
        if "ground_truth" in mod.OWNS:
            pred = mod.OWNS["ground_truth"]  # names bench/source only: it selects this job's versions too
            con.execute(f"DELETE FROM ground_truth_versions WHERE ingested_by = ? AND ({pred})", [mod.NAME])
            con.execute("INSERT INTO ground_truth_versions SELECT DISTINCT bench, source, ?, ? FROM ground_truth "
                        f"WHERE {pred}", [version, mod.NAME])
        runs.mark_stale(con)


def _unchanged(con: duckdb.DuckDBPyConnection, table: str, pred: str, new: pa.Table) -> bool:
    """Whether the stored rows under ``pred`` are already ``new``, as a multiset: the same count and the same sum
    of every row's 64-bit hash (a re-ingest of unchanged files then rewrites nothing)."""
    fingerprint = "SELECT count(*), sum(hash(t)::HUGEINT) FROM ({}) t"
    con.register("_ingest_new", new)
    try:
        return (con.execute(fingerprint.format(f"SELECT * FROM {table} WHERE {pred}")).fetchall()
                == con.execute(fingerprint.format("SELECT * FROM _ingest_new")).fetchall())
    finally:
        con.unregister("_ingest_new")


def run_job(con: duckdb.DuckDBPyConnection, name: str, cache: Path | None = None,
            mirror: Path | None = None) -> None:
    """Fetch (verified) the job's files and replace its rows in one transaction, on a writer ``con``."""
    write_job(con, *compute_job(con, name, cache, mirror))


def _ingest_run_id(mod: Job, rows: dict[str, pa.Table]) -> str:
    if "sources" in mod.OWNS:
        hashes = rows["sources"].column("sha256").to_pylist()
    else:
        manifest = sources.manifest()
        hashes = [manifest[p].sha256 for p in mod.FILES]
    files = hashlib.sha256("".join(sorted(hashes)).encode()).hexdigest()[:12]
    return f"ingest:{mod.NAME}:{files}"


def _ordered(names: list[str] | None) -> list[str]:
    """The named jobs (default: all) in dependency order; unknown names fail before anything runs."""
    wanted = names or JOBS
    for n in wanted:
        job(n)
    return [n for n in JOBS if n in wanted]


def run_jobs(con: duckdb.DuckDBPyConnection, names: list[str] | None = None, cache: Path | None = None,
             mirror: Path | None = None, progress: bool = True) -> list[str]:
    """Run the named jobs (default: all) in dependency order, with a progress bar."""
    from tqdm import tqdm

    ordered = _ordered(names)
    bar = tqdm(ordered, desc="ingest", unit="job", disable=not progress)
    for n in bar:
        bar.set_postfix_str(n)
        run_job(con, n, cache, mirror)
    return ordered


def ingest(db: str | Path | None = None, names: list[str] | None = None, cache: Path | None = None,
           mirror: Path | None = None, progress: bool = True) -> list[str]:
    """:func:`run_jobs` for a database file: each job copies what it reads of the database, parses with the
    file closed (other readers and writers keep working), then holds the writer only for one short transaction."""
    from tqdm import tqdm

    ordered = _ordered(names)
    _ready(db)
    bar = tqdm(ordered, desc="ingest", unit="job", disable=not progress)
    for n in bar:
        bar.set_postfix_str(n)
        mod = job(n)
        _compute_then_write(db, mod, lambda: {p: sources.verified_path(p, cache, mirror) for p in mod.FILES})
    return ordered


def ingest_files(db: str | Path | None, jobs: list[tuple[Job, dict[str, Path]]]) -> list[dict[str, pa.Table]]:
    """Run jobs over files a user supplies (not in the manifest: job, its files) as :func:`ingest` runs the
    others: each parses with the database closed, then holds the writer for one short transaction.
    Returns each job's rows."""
    _ready(db)
    return [_compute_then_write(db, mod, lambda: files) for mod, files in jobs]


def _ready(db: str | Path | None) -> None:
    """Create a missing database file; a damaged one is one line before any work."""
    if not config.db_path(db).is_file():
        with dbfile.writing(db, create=True):
            pass
    dbfile.open_reader(db).close()


def _compute_then_write(db: str | Path | None, mod: Job, files: Callable[[], dict[str, Path]]) -> dict[str, pa.Table]:
    """Copy what the job reads of the database, close it, then fetch/verify the files and parse them (the file
    held by nobody: other readers and writers keep working), then hold the writer for one transaction."""
    con = dbfile.open_reader(db)
    try:
        scratch = _scratch(con, mod)
    finally:
        con.close()
    rows = _parse(scratch, mod, files())
    with dbfile.writing(db) as con:
        write_job(con, mod, rows)
    return rows
