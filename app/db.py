"""The app's only door to the database: read-only, sandboxed, and never blocked by a writer.

Why a snapshot: DuckDB refuses a read-only open while another process holds the write lock (a
scoring job), and a reader holding the file blocks writers. So the app reads a private copy of the
last complete state, refreshed when the live file's size/mtime changed. The copy takes no lock at
all (so it can never stop a writer from starting): the file and its WAL are copied and the copy is
kept only if neither changed meanwhile and no writer held the file (asked with ``F_GETLK``, see
``nasdb.dbfile.lock_holder``); otherwise the app keeps serving the old copy and says so; with no copy yet it
raises :class:`DatabaseBusy` and pages show a "retry in a moment" notice.

Every connection is sandboxed: read-only, no file system or network access, no extension loading,
and the configuration locked so SQL cannot undo any of it.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from nasdb import config
from nasdb.errors import NasdbError

SANDBOX = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "threads": 1,  # the machine is shared with writers; app queries are small
    "memory_limit": "2GB",
    "lock_configuration": True,  # applied last by DuckDB: SET / PRAGMA / RESET are refused afterwards
}


class DatabaseBusy(NasdbError):
    """A writer holds the database and no snapshot of an earlier complete state exists yet."""


class DatabaseMissing(NasdbError):
    """No database file at the configured path."""


@dataclass(frozen=True)
class Snapshot:
    """The copy the app reads; ``stale`` is True when the live file has changed since (writer busy)."""

    path: Path
    live: Path
    taken_at: datetime
    stale: bool

    @property
    def notice(self) -> str | None:
        if not self.stale:
            return None
        return (f"Database busy: a writer is updating {self.live.name}. Showing the last complete state "
                f"(snapshot of {self.taken_at:%Y-%m-%d %H:%M:%S}); reload in a moment for fresh data.")


_refresh_lock = threading.Lock()


def live_path() -> Path:
    """The database the app serves (``NASDB_DB`` or the default, as for every nasdb command)."""
    return config.db_path().resolve()


def snapshot_dir(live: Path) -> Path:
    """Where snapshots of ``live`` are kept (env ``NASDB_APP_SNAPSHOTS`` overrides)."""
    env = os.environ.get("NASDB_APP_SNAPSHOTS")
    base = Path(env) if env else Path(tempfile.gettempdir()) / "nasdb-app-snapshots"
    return base / hashlib.sha1(str(live).encode()).hexdigest()[:16]


def _stamp(live: Path) -> str:
    """Changes whenever the database content may have changed (file or its WAL)."""
    parts = []
    for p in (live, Path(f"{live}.wal")):
        if p.exists():
            st = p.stat()
            parts.append(f"{st.st_mtime_ns}-{st.st_size}")
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def open_sandboxed(path: Path) -> duckdb.DuckDBPyConnection:
    """Read-only connection that cannot touch files, the network, extensions or its own settings."""
    return duckdb.connect(str(path), read_only=True, config=dict(SANDBOX))


class _Changed(Exception):
    """The live file changed (or a writer held it) while it was being copied."""


def _writer_active(live: Path) -> bool:
    from nasdb import dbfile

    return dbfile.lock_holder(live) is not None


def _copy_consistent(live: Path, target: Path) -> None:
    """Copy ``live`` (+ WAL) to ``target`` without locking it; refuse a copy that a writer may have torn."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    before = _stamp(live)
    if _writer_active(live):
        raise _Changed()
    shutil.copyfile(live, tmp)
    wal = Path(f"{live}.wal")
    if wal.exists():
        shutil.copyfile(wal, Path(f"{tmp}.wal"))
    if _stamp(live) != before or _writer_active(live):
        Path(tmp).unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        raise _Changed()
    if Path(f"{tmp}.wal").exists():
        os.replace(f"{tmp}.wal", f"{target}.wal")
    os.replace(tmp, target)


def _latest(folder: Path) -> Path | None:
    snaps = sorted(folder.glob("*.duckdb"), key=lambda p: p.stat().st_mtime_ns)
    return snaps[-1] if snaps else None


def _prune(folder: Path, keep: Path) -> None:
    """Drop older snapshots (open connections keep reading their unlinked file on POSIX)."""
    for old in folder.glob("*.duckdb"):
        if old != keep:
            old.unlink(missing_ok=True)
            Path(f"{old}.wal").unlink(missing_ok=True)


def snapshot() -> Snapshot:
    """The current snapshot of the live database, refreshed first if it changed and is not locked."""
    live = live_path()
    if not live.is_file():
        raise DatabaseMissing(f"no database at {live}; build it with `nasdb build` (or set --db / NASDB_DB)")
    folder = snapshot_dir(live)
    want = folder / f"{_stamp(live)}.duckdb"
    if want.exists():
        return Snapshot(want, live, datetime.fromtimestamp(want.stat().st_mtime), stale=False)
    with _refresh_lock:
        if not want.exists():
            folder.mkdir(parents=True, exist_ok=True)
            try:
                _copy_consistent(live, want)
            except _Changed as e:
                old = _latest(folder)
                if old is None:
                    raise DatabaseBusy(f"Database busy: a writer holds {live} and the app has no earlier "
                                       "snapshot yet. Retry in a moment.") from e
                return Snapshot(old, live, datetime.fromtimestamp(old.stat().st_mtime), stale=True)
            _prune(folder, want)
    return Snapshot(want, live, datetime.fromtimestamp(want.stat().st_mtime), stale=False)


def connect(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A sandboxed connection to ``path`` (default: the current snapshot); the caller closes it."""
    return open_sandboxed(path or snapshot().path)


def query(sql: str, params: list | None = None, path: Path | None = None) -> pl.DataFrame:
    """Run one trusted (app-written) query on the snapshot."""
    con = connect(path)
    try:
        return con.sql(sql, params=params or None).pl()
    finally:
        con.close()


def tables(path: Path | None = None) -> dict[str, int]:
    """Row count of every table in the snapshot (pages use it to say 'not computed yet')."""
    con = connect(path)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        con.close()
