"""Opening the database file: one door for readers, one for writers, and what to say when it is busy.

DuckDB lets many processes read a file, or one process write it, never both. nasdb keeps writes short
(long jobs stage their work outside the database and merge in one transaction), so:

* a reader that finds the file held by a writer waits (bounded, ``NASDB_READ_WAIT`` seconds, default
  60) with a message naming the holder, then gives up with one line (:class:`DatabaseBusy`, exit 2);
* a writer that finds readers (or the app's snapshot copy) holding the file waits the same way
  (``NASDB_WRITE_WAIT``, default 60) instead of failing;
* a writer leaves ``<db>.writer`` (pid, command, since) while it holds the file, so messages can say
  who holds it and what it is doing;
* a missing file is created only by writers that build a database (``create=True``), and a file that
  is not a readable DuckDB database is one clear error, never a traceback.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import struct
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from nasdb import config
from nasdb.errors import NasdbError

POLL = 0.1
_FLOCK = "hhqqi4x"  # struct flock on Linux/x86-64 and aarch64: type, whence, start, len, pid (+ padding)


class DatabaseBusy(NasdbError):
    """Another process holds the database longer than we may wait."""


class DatabaseMissing(NasdbError):
    """No database file where one is needed."""


class DatabaseDamaged(NasdbError):
    """The file exists but is not a readable DuckDB database."""


def holder_file(path: Path) -> Path:
    return Path(f"{path}.writer")


def _wait_limit(var: str, default: float) -> float:
    try:
        return float(os.environ.get(var, default))
    except ValueError:
        raise NasdbError(f"{var} must be a number of seconds, got {os.environ[var]!r}")


def _is_lock_error(e: duckdb.Error) -> bool:
    return "lock" in str(e).lower() and "conflicting" in str(e).lower()


def holder(path: Path, error: duckdb.Error | None = None) -> str:
    """Who holds ``path``: the writer's own record if it is alive, else the pid DuckDB names."""
    pid = None
    if error is not None and "PID " in str(error):
        pid = int(str(error).split("PID ")[1].split(")")[0].split()[0])
    try:
        info = json.loads(holder_file(path).read_text())
        if (pid is None or info.get("pid") == pid) and _alive(info.get("pid", -1)):
            return f"pid {info['pid']} ({info.get('command', '?')}, writing since {info.get('since', '?')})"
    except (OSError, ValueError):
        pass
    if pid is None:
        return "another process"
    return f"pid {pid} ({_command_of(pid)})"


def lock_holder(path: Path, for_write: bool = False) -> int | None:
    """The pid holding a lock on ``path`` that would conflict with reading (or writing), without taking one.

    DuckDB locks the whole file with fcntl (a write lock for a writer, a read lock for readers);
    F_GETLK only asks, so callers such as the app's snapshot never stand in a writer's way.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        want = fcntl.F_WRLCK if for_write else fcntl.F_RDLCK
        got = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack(_FLOCK, want, os.SEEK_SET, 0, 0, 0))
    finally:
        os.close(fd)
    kind, _, _, _, pid = struct.unpack(_FLOCK, got)
    return None if kind == fcntl.F_UNLCK else pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def _command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()[:120]
    except OSError:
        return "command unknown"


def _open(path: Path, read_only: bool, wait: float, config_: dict | None) -> duckdb.DuckDBPyConnection:
    """Connect, retrying while another process holds a conflicting lock (up to ``wait`` seconds)."""
    deadline = time.monotonic() + wait
    said = False
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=config_ or {})
            con.execute("SET enable_progress_bar = false")  # it would print into a command's stdout
            return con
        except duckdb.Error as e:
            if not _is_lock_error(e):
                raise DatabaseDamaged(f"{path} is not a readable DuckDB database ({str(e).splitlines()[0]}); "
                                      "rebuild it with `nasdb build` or pass another --db") from e
            if time.monotonic() >= deadline:
                what = "read" if read_only else "write"
                raise DatabaseBusy(f"cannot {what} {path}: held by {holder(path, e)} for more than {wait:.0f} s; "
                                   "wait for it to finish (or stop it), then retry") from e
            if not said:
                print(f"nasdb: {path.name} is held by {holder(path, e)}; waiting up to {wait:.0f} s ...",
                      file=sys.stderr, flush=True)
                said = True
            time.sleep(POLL)


def open_reader(db: str | os.PathLike | None = None, config_: dict | None = None,
                wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to an existing database (never creates one)."""
    path = config.db_path(db)
    if not path.is_file():
        raise DatabaseMissing(f"no database at {path}; build it first with `nasdb build` (or pass --db FILE)")
    return _open(path, True, _wait_limit("NASDB_READ_WAIT", 60) if wait is None else wait, config_)


def open_writer(db: str | os.PathLike | None = None, create: bool = True,
                wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """The read-write connection; leaves ``<db>.writer`` naming this process until :func:`close_writer`."""
    path = config.db_path(db)
    if not path.is_file():
        if not create:
            raise DatabaseMissing(f"no database at {path}; build it first with `nasdb build` (or pass --db FILE)")
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, False, _wait_limit("NASDB_WRITE_WAIT", 60) if wait is None else wait, None)
    info = {"pid": os.getpid(), "command": _this_command(),
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    tmp = holder_file(path).with_name(f".{holder_file(path).name}.{os.getpid()}")
    tmp.write_text(json.dumps(info))
    os.replace(tmp, holder_file(path))
    return con


def _this_command() -> str:
    argv = sys.argv or [""]
    if Path(argv[0]).name in ("nasdb", "cli.py"):
        return " ".join(["nasdb", *argv[1:]])[:200]
    return " ".join(["python", *argv])[:200]


def close_writer(con: duckdb.DuckDBPyConnection, db: str | os.PathLike | None = None) -> None:
    """Close the writer's connection (DuckDB checkpoints here) and drop its ``<db>.writer`` record."""
    con.close()
    path = holder_file(config.db_path(db))
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


@contextlib.contextmanager
def writing(db: str | os.PathLike | None = None, create: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """``with writing(db) as con:`` the schema-ready read-write connection, closed (and released) on exit."""
    from nasdb import store

    con = store.connect(db, create=create)
    try:
        yield con
    finally:
        close_writer(con, db)
