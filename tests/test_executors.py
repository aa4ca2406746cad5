"""Parallel and distributed scoring on real processes: ``--workers 2`` local processes and a real Dask
scheduler with two workers on 127.0.0.1; in both, one worker is SIGKILLed mid-run and the completed run
must equal a serial run value for value, with every chunk exactly once."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from nasdb import store

# NASGraph reference mode: about 0.2-0.5 s of CPU per NB201 arch, so chunks of 2 take long enough to kill mid-run
SCORE = ["score", "nasgraph", "--bench", "nb201", "--mode", "reference", "--sample", "24", "--seed", "5",
         "--chunk-size", "2", "--quiet"]


def _env(cache: Path) -> dict:
    env = dict(os.environ, NASDB_CACHE=str(cache), OMP_NUM_THREADS="1")
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _nasdb(db: Path, cache: Path, *args: str, wait: bool = True):
    cmd = [sys.executable, "-m", "nasdb.cli", "--db", str(db), *args]
    if wait:
        return subprocess.run(cmd, env=_env(cache), capture_output=True, text=True, timeout=900)
    return subprocess.Popen(cmd, env=_env(cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run_values(db: Path) -> tuple[dict, dict]:
    """(arch_id, dataset, proxy) -> value of the one reference run, and that run's executor record."""
    con = store.connect(db, read_only=True)
    try:
        (rid, executor), = con.execute("SELECT run_id, executor FROM proxy_runs WHERE proxy = 'nasgraph' "
                                       "AND settings->>'mode' = 'reference'").fetchall()
        rows = con.execute("SELECT arch_id, dataset, proxy, value FROM proxy_values WHERE run_id = ?", [rid]).fetchall()
    finally:
        con.close()
    values = {(a, d, p): v for a, d, p, v in rows}
    assert len(values) == len(rows), "a value was stored twice"
    return values, json.loads(executor)


def _staged(cache: Path) -> int:
    return len(list((cache / "staging").glob("*/chunk-*.json")))


def _wait_for(pred, what: str, timeout: float = 300.0) -> None:
    t0 = time.monotonic()
    while not pred():
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def serial(ingested, tmp_path_factory) -> dict:
    """The reference values of a serial (in-process) run."""
    tmp = tmp_path_factory.mktemp("serial")
    db = tmp / "nasdb.duckdb"
    shutil.copy(ingested("nb201"), db)
    out = _nasdb(db, tmp / "cache", *SCORE, "--workers", "1")
    assert out.returncode == 0, out.stderr
    values, executor = _run_values(db)
    assert executor["name"] == "in-process" and len(executor["chunks"]) == 12
    assert len({a for a, _, _ in values}) == 24
    return values


def _same(values: dict, serial: dict) -> None:
    assert values.keys() == serial.keys()
    diff = [k for k in serial if not (values[k] == serial[k] or (values[k] is None and serial[k] is None))]
    assert not diff, f"{len(diff)} values differ from the serial run, e.g. {diff[0]}: {values[diff[0]]} vs {serial[diff[0]]}"


@pytest.mark.slow
def test_two_local_workers_equal_serial_even_when_one_is_killed(ingested, tmp_path, serial):
    db, cache = tmp_path / "nasdb.duckdb", tmp_path / "cache"
    shutil.copy(ingested("nb201"), db)
    proc = _nasdb(db, cache, *SCORE, "--workers", "2", wait=False)
    _wait_for(lambda: _staged(cache) >= 2 or proc.poll() is not None, "the first staged chunks")
    children = [c for c in psutil.Process(proc.pid).children(recursive=True) if "python" in c.name().lower()]
    workers = [c for c in children if "spawn" in " ".join(c.cmdline()) and "resource_tracker" not in " ".join(c.cmdline())]
    assert proc.poll() is None and len(workers) == 2, f"expected 2 live workers mid-run, saw {len(workers)}"
    workers[0].send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    values, executor = _run_values(db)
    _same(values, serial)
    assert executor["name"] == "local-processes" and executor["workers"] == 2 and executor["restarts"] >= 1
    assert sorted(c["chunk"] for c in executor["chunks"]) == list(range(12))  # every chunk once
    assert len({c["worker"] for c in executor["chunks"]}) >= 2
    _timed(executor)


def test_workers_exit_when_the_driver_is_killed(ingested, tmp_path):
    """Found by trying it: after a SIGKILLed `--workers 2` run, its two worker processes lived on as orphans
    (~300 MB each, waiting for work forever). They now exit with their driver; a rerun resumes."""
    db, cache = tmp_path / "nasdb.duckdb", tmp_path / "cache"
    shutil.copy(ingested("nb201"), db)
    proc = _nasdb(db, cache, *SCORE, "--workers", "2", wait=False)
    _wait_for(lambda: _staged(cache) >= 1 or proc.poll() is not None, "the first staged chunk")
    assert proc.poll() is None, "the run ended before it could be killed"
    workers = [c for c in psutil.Process(proc.pid).children(recursive=True) if "python" in c.name().lower()]
    assert len([w for w in workers if "resource_tracker" not in " ".join(w.cmdline())]) == 2
    proc.kill()
    proc.wait(timeout=60)  # not communicate(): orphans would hold its pipes open
    gone, alive = psutil.wait_procs(workers, timeout=30)
    for p in alive:
        p.kill()
    assert not alive, f"{len(alive)} worker process(es) outlived their killed driver: {[p.pid for p in alive]}"
    out = _nasdb(db, cache, *SCORE, "--workers", "2")
    assert out.returncode == 0, out.stderr


def _timed(executor: dict) -> None:
    """Every chunk's compute seconds and start are recorded; the span covers them all."""
    chunks = executor["chunks"]
    assert all(c["seconds"] > 0 and c["start"] >= 0 for c in chunks)
    assert executor["span"] >= max(c["seconds"] for c in chunks)
    assert executor["span"] >= max(c["start"] + c["seconds"] for c in chunks) - min(c["start"] for c in chunks) - 0.01


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A real `dask scheduler` and two single-threaded `dask worker` processes (no nanny) on 127.0.0.1."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = _env(tmp_path / "worker-cache")
    bindir = Path(sys.executable).parent
    dask = [str(bindir / "dask")]  # the CLI that dask[distributed] installs beside this interpreter
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", ":0"], env=env, cwd=tmp_path,
                              stdout=open(logs / "scheduler.log", "w"), stderr=subprocess.STDOUT)]
    from distributed import Client

    try:
        for i in range(2):
            procs.append(subprocess.Popen([*dask, "worker", address, "--nthreads", "1", "--no-nanny",
                                           "--host", "127.0.0.1", "--name", f"w{i}", "--dashboard-address", ":0"],
                                          env=env, cwd=tmp_path, stdout=open(logs / f"worker{i}.log", "w"),
                                          stderr=subprocess.STDOUT))
        client = None
        t0 = time.monotonic()
        while client is None:
            try:
                client = Client(address, timeout=5)
            except OSError:
                if time.monotonic() - t0 > 120:
                    raise
                time.sleep(0.5)
        client.wait_for_workers(2, timeout=180)
        client.close()
        yield address, procs[1:]
    finally:
        for p in procs:
            p.kill()
            p.wait()


@pytest.mark.slow
def test_dask_cluster_equals_serial_even_when_a_worker_dies(ingested, tmp_path, serial, dask_cluster):
    address, workers = dask_cluster
    db, cache = tmp_path / "nasdb.duckdb", tmp_path / "cache"
    shutil.copy(ingested("nb201"), db)
    import torch

    if not torch.cuda.is_available():  # --device is checked on the workers (a driver may have no GPU)
        out = _nasdb(db, cache, "score", "zc", "--bench", "nb201", "--sample", "2", "--proxy", "params",
                     "--device", "cuda", "--scheduler", address, "--quiet")
        assert out.returncode == 2 and out.stderr.strip().count("\n") == 0, out.stderr
        assert "Dask worker tcp://127.0.0.1:" in out.stderr and "sees no CUDA device" in out.stderr, out.stderr
    proc = _nasdb(db, cache, *SCORE, "--scheduler", address, wait=False)
    _wait_for(lambda: _staged(cache) >= 2 or proc.poll() is not None, "the first chunks back from the cluster")
    assert proc.poll() is None, proc.communicate()[1]
    workers[0].send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    values, executor = _run_values(db)
    _same(values, serial)
    assert executor["name"] == "dask" and executor["scheduler"] == address and executor["workers"] == 2
    assert sorted(c["chunk"] for c in executor["chunks"]) == list(range(12))
    assert all(c["worker"].startswith("tcp://127.0.0.1:") for c in executor["chunks"])
    _timed(executor)


def test_unreachable_scheduler_is_one_line(ingested, tmp_path):
    db = tmp_path / "nasdb.duckdb"
    shutil.copy(ingested("nb201"), db)
    out = _nasdb(db, tmp_path / "cache", *SCORE, "--scheduler", f"tcp://127.0.0.1:{_free_port()}")
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().count("\n") == 0 and "Dask scheduler" in out.stderr and "Traceback" not in out.stderr


def test_workers_must_be_positive(ingested, tmp_path):
    db = tmp_path / "nasdb.duckdb"
    shutil.copy(ingested("nb201"), db)
    out = _nasdb(db, tmp_path / "cache", *SCORE, "--workers", "0")
    assert out.returncode == 2 and "--workers must be at least 1" in out.stderr


ZC = ["score", "zc", "--bench", "nb201", "--sample", "4", "--seed", "3", "--dataset", "cifar10", "--proxy", "synflow",
      "--proxy", "params", "--data", "synthetic", "--chunk-size", "1"]


def _zc_run(db: Path) -> list[tuple]:
    con = store.connect(db, read_only=True)
    try:
        return con.execute("SELECT run_id, settings->>'device', executor FROM proxy_runs WHERE proxy = 'zc' "
                           "ORDER BY finished_at").fetchall()
    finally:
        con.close()


def test_device_reaches_the_workers_and_progress_aggregates(ingested, tmp_path):
    """``--device`` travels in the settings every chunk task carries: two worker processes compute on it, the
    run records it, the values equal an in-process run's, and one progress bar counts every worker's archs."""
    db = tmp_path / "nasdb.duckdb"
    shutil.copy(ingested("nb201"), db)
    out = _nasdb(db, tmp_path / "cache1", *ZC, "--device", "cpu", "--workers", "1", "--quiet")
    assert out.returncode == 0, out.stderr
    proc = _nasdb(db, tmp_path / "cache2", *ZC, "--device", "cpu", "--workers", "2", wait=False)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    (serial_id, serial_device, _), (rid, device, executor) = _zc_run(db)
    assert serial_device == device == "cpu"
    executor = json.loads(executor)
    assert executor["name"] == "local-processes" and executor["workers"] == 2
    pids = {int(c["worker"].rsplit(":", 1)[1]) for c in executor["chunks"]}
    assert proc.pid not in pids and len(pids) == 2, f"chunks computed by {pids}, driver {proc.pid}"
    _timed(executor)
    con = store.connect(db, read_only=True)
    try:
        one, two = ({(a, d, p): v for a, d, p, v in con.execute(
            "SELECT arch_id, dataset, proxy, value FROM proxy_values WHERE run_id = ?", [r]).fetchall()}
            for r in (serial_id, rid))
    finally:
        con.close()
    assert len(one) == 8 and one == two
    states = [line for line in err.replace("\r", "\n").splitlines() if "arch" in line]
    assert "0/4" in states[0] and "4/4" in states[-1], states  # one bar, fed by both workers, reaches every arch
