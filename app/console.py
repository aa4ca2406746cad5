"""The SQL console's executor: one read-only statement in a worker process with a time, memory and size budget.

Why a separate process: DuckDB has no statement timeout, an interrupt does not stop the conversion of
a result that is already made, and a single value can be gigabytes (``SELECT list(range(100000000))``).
In the server process such a query outlived its time limit and grew the server by gigabytes. The
worker (``python -m app.console``) opens the snapshot with the app's sandbox, a DuckDB memory limit
and a cap on its address space, cuts the result at the row limit or at RESULT_BYTES before it leaves,
and is killed when the time limit passes, whatever it is doing. The server only ever receives a
bounded Arrow stream. The statement check below gives a clear message before DuckDB would refuse;
the sandbox (app.db.SANDBOX) is what actually refuses file, network, extension and settings access.
Strings in results have the server's own directories replaced by ``<server path>``.
"""
from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN, duckdb.StatementType.PRAGMA}
DUCKDB_MEMORY = "512MB"         # DuckDB's own limit inside the worker
ADDRESS_SPACE = 1 << 30        # the worker may grow by at most this much beyond its size after start-up
RESULT_BYTES = 64 << 20        # Arrow bytes of a result the server accepts
START_SECONDS = 60.0           # start-up (imports, opening the snapshot) is not charged to the query
ROOT = Path(__file__).resolve().parents[1]
HIDDEN = "<server path>"


@dataclass(frozen=True)
class Result:
    """Rows (at most ``row_limit``), why they were cut (``truncated``), and the error message if the query failed."""

    sql: str
    frame: pl.DataFrame | None
    truncated: str | None = None  # None, "rows" or "bytes"
    error: str | None = None
    seconds: float | None = None   # time charged to the query (start-up excluded)


def _keyword(sql: str) -> str:
    """The statement's first word (after comments), upper case: what the user typed, e.g. INSTALL."""
    text = re.sub(r"^(\s*(--[^\n]*\n?|/\*.*?\*/))*\s*", "", sql, flags=re.S)
    m = re.match(r"[A-Za-z_]+", text)
    return m.group(0).upper() if m else "an unknown"


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


def check(sql: str) -> str | None:
    """Why ``sql`` may not run in the console, or None if it may (one SELECT / EXPLAIN / read-only PRAGMA)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as e:
        return f"SQL error: {e}"
    if len(statements) != 1:
        return f"Run exactly one statement at a time (found {len(statements)})."
    kind, word = statements[0].type, _keyword(statements[0].query)
    if kind in ALLOWED:
        return None
    what = (f"{_article(word)} {word} statement" if word != "an unknown" else "this statement")
    if kind == duckdb.StatementType.SET:
        what += " that changes a setting (settings are locked)"
    return f"Refused: the console is read-only and runs only SELECT, EXPLAIN or PRAGMA queries ({what})."


def server_paths(db_path: Path) -> list[str]:
    """Directories of this server that results must not reveal, longest first (so the most specific wins)."""
    found = {str(db_path.resolve().parent), str(Path(tempfile.gettempdir()).resolve()), str(Path.home()),
             str(ROOT), sys.prefix, os.getcwd()}
    return sorted((p for p in found if len(p) > 1), key=len, reverse=True)


def _redact(arr: pa.Array, paths: list[str]) -> pa.Array:
    """``arr`` with every server path inside its strings (at any nesting depth) replaced by HIDDEN."""
    t = arr.type
    if isinstance(t, pa.ExtensionType):  # e.g. DuckDB's variant values (duckdb_settings().typed_value)
        return pa.ExtensionArray.from_storage(t, _redact(arr.storage, paths))
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
        for p in paths:
            arr = pa.compute.replace_substring(arr, p, HIDDEN)
        return arr
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        cls = pa.ListArray if pa.types.is_list(t) else pa.LargeListArray
        return cls.from_arrays(arr.offsets, _redact(arr.flatten(), paths), mask=arr.is_null())
    if pa.types.is_struct(t):
        fields = [_redact(arr.field(i), paths) for i in range(t.num_fields)]
        return pa.StructArray.from_arrays(fields, fields=list(t), mask=arr.is_null())
    if pa.types.is_map(t):
        keys, items = _redact(arr.keys, paths), _redact(arr.items, paths)
        return pa.MapArray.from_arrays(arr.offsets, keys, items, mask=arr.is_null())
    return arr


def _bounded(reader: pa.RecordBatchReader, row_limit: int, byte_limit: int) -> tuple[pa.Table, str | None]:
    """Batches up to ``row_limit`` rows and ``byte_limit`` Arrow bytes; the second value says what cut them."""
    batches, rows, size = [], 0, 0
    for batch in reader:
        if rows + batch.num_rows > row_limit:
            batches.append(batch.slice(0, row_limit - rows))
            return pa.Table.from_batches(batches, schema=reader.schema), "rows"
        if size + batch.nbytes > byte_limit:
            return pa.Table.from_batches(batches, schema=reader.schema), "bytes"
        batches.append(batch)
        rows, size = rows + batch.num_rows, size + batch.nbytes
    return pa.Table.from_batches(batches, schema=reader.schema), None


def _answer(con: duckdb.DuckDBPyConnection, sql: str, row_limit: int, out, paths: list[str],
            byte_limit: int = RESULT_BYTES) -> None:
    """Run ``sql`` and write its bounded, path-redacted result to ``out`` as an Arrow IPC stream."""
    relation = con.sql(sql)
    if relation is None:  # a statement without a result set
        table, cut = pa.table({}), None
    else:
        reader = relation.to_arrow_reader(batch_size=max(1, min(row_limit + 1, 2048)))
        table, cut = _bounded(reader, row_limit, byte_limit)
    table = pa.Table.from_arrays([_redact(c.combine_chunks(), paths) for c in table.columns],
                                 schema=table.schema.with_metadata({"truncated": cut or ""}))
    with pa.ipc.new_stream(out, table.schema) as writer:
        writer.write_table(table)


def _worker() -> int:
    """Child side: read the request on stdin, answer an Arrow IPC stream on stdout (errors on stderr, exit 3)."""
    import resource

    import pyarrow.compute  # noqa: F401  (_redact; imported before the clock starts)

    from app import db

    request = json.loads(sys.stdin.read())
    path = Path(request["path"])
    try:
        con = duckdb.connect(str(path), read_only=True, config={**db.SANDBOX, "memory_limit": DUCKDB_MEMORY})
    except duckdb.Error as e:
        sys.stderr.write(f"cannot open the database: {e}")
        return 3
    _answer(con, "SELECT 'warm-up' AS s", 1, pa.BufferOutputStream(), server_paths(path))  # load lazy code before the clock starts
    size = int(re.search(r"VmSize:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size + ADDRESS_SPACE, size + ADDRESS_SPACE))
    out = sys.stdout.buffer
    out.write(b"R")  # ready: the parent's clock starts now
    out.flush()
    try:
        _answer(con, request["sql"], request["row_limit"], out, server_paths(path), request["byte_limit"])
    except MemoryError:
        sys.stderr.write(f"the query needed more than the console's memory budget ({DUCKDB_MEMORY} in DuckDB, "
                         f"{ADDRESS_SPACE >> 20} MB for the process)")
        return 3
    except Exception as e:  # every DuckDB/conversion failure becomes a message for the user
        message = f"{type(e).__name__}: {e}"
        if "Out of Memory" in message:  # DuckDB's advice (raise memory_limit ...) is not the user's to take
            message = (f"The query needed more memory than the console allows ({DUCKDB_MEMORY} in DuckDB, "
                       f"{ADDRESS_SPACE >> 20} MB for its process).\n{message.splitlines()[0]}")
        for p in server_paths(path):
            message = message.replace(p, HIDDEN)
        sys.stderr.write(message)
        return 3
    out.flush()
    return 0


def _read_until(stream, deadline: float, limit: int) -> tuple[bytes, bool]:
    """Bytes from ``stream`` until EOF or ``deadline``; (data, reached EOF). Stops at ``limit`` bytes."""
    chunks, size, fd = [], 0, stream.fileno()
    while size <= limit:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return b"".join(chunks), False
        chunk = os.read(fd, min(1 << 20, limit + 1 - size))  # never past the limit: the ready byte is alone
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), False


def run(sql: str, row_limit: int = 10_000, seconds: float = 10.0, path: Path | None = None) -> Result:
    """Execute ``sql`` on the snapshot in a worker process; every failure comes back as a message, never an exception."""
    from app import db

    refusal = check(sql)
    if refusal:
        return Result(sql, None, error=refusal)
    try:
        path = path or db.snapshot().path
    except Exception as e:  # busy or missing database: a message like every other failure
        return Result(sql, None, error=str(e))
    request = json.dumps({"path": str(path), "sql": sql, "row_limit": int(row_limit), "byte_limit": RESULT_BYTES})
    proc = subprocess.Popen([sys.executable, "-m", "app.console"], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        try:
            proc.stdin.write(request.encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass  # the worker died at start-up: its stderr says why, below
        ready, _ = _read_until(proc.stdout, time.monotonic() + START_SECONDS, 0)
        if ready != b"R":
            proc.wait(START_SECONDS)
            return Result(sql, None, error=proc.stderr.read().decode(errors="replace").strip()
                          or "The query process did not start.")
        started = time.monotonic()
        data, done = _read_until(proc.stdout, started + seconds, RESULT_BYTES + (1 << 20))
        if not done:
            proc.kill()
            return Result(sql, None, error=f"Stopped: the query ran longer than the {seconds:g} s time limit "
                                           "(including converting its result).", seconds=time.monotonic() - started)
        code = proc.wait(START_SECONDS)
        took = time.monotonic() - started
        if code != 0:
            why = proc.stderr.read().decode(errors="replace").strip()
            return Result(sql, None, seconds=took, error=why or f"The query process ended with status {code} "
                                                                "(most likely it ran out of its memory budget).")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for s in (proc.stdout, proc.stderr):
            s.close()
    table = pa.ipc.open_stream(data).read_all()
    cut = (table.schema.metadata or {}).get(b"truncated", b"").decode() or None
    return Result(sql, pl.from_arrow(table.replace_schema_metadata(None)), truncated=cut, seconds=took)


if __name__ == "__main__":
    sys.exit(_worker())
