"""Plug-ins through the scoring harness: each --needs over a small sample (values checked against
independent numbers), resume after a SIGKILL, and an installed entry-point proxy discovered by `nasdb score`."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from dbkit import rows as _rows

import nasdb
from nasdb import store
from nasdb.proxies import harness, plugins

REPO = Path(__file__).resolve().parents[1]
PLUGIN = textwrap.dedent("""
    import os, time

    def conv_count(key, spec):
        return key.count("conv")

    def edges(graph):
        return graph.number_of_edges()

    def n_params(network, batch):
        assert batch.x.shape[0] == 8
        return sum(p.numel() for p in network.parameters() if p.requires_grad)

    def _slowly():  # one line per call in PLUGIN_LOG (the test kills the run after some calls), then a pause
        if os.environ.get("PLUGIN_LOG"):
            with open(os.environ["PLUGIN_LOG"], "a") as f:
                print("call", file=f)
        time.sleep(float(os.environ.get("PLUGIN_SLEEP", "0")))

    def slow_conv(key, spec):
        _slowly()
        return key.count("conv")

    def slow_graph(graph):
        _slowly()
        return graph.number_of_edges() + sum(w for _, _, w in graph.edges(data="weight", default=0.0))

    def slow_network(network, batch):
        import torch

        _slowly()
        with torch.no_grad():
            out = network(batch.x)
        out = out[-1] if isinstance(out, tuple) else out
        return float(out.double().sum())
""")


@pytest.fixture()
def env(ingested, tmp_path):
    db = tmp_path / "nasdb.duckdb"
    shutil.copy(ingested("nb201", "tnb101", "suite_zero"), db)
    (tmp_path / "plug").mkdir()
    (tmp_path / "plug" / "myplug.py").write_text(PLUGIN)
    environ = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{tmp_path / 'plug'}",
               "NASDB_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    return db, tmp_path, environ


def _cli(db, environ, *args, **kw):
    return subprocess.run([sys.executable, "-m", "nasdb.cli", "--db", str(db), *args], capture_output=True, text=True,
                          env=environ, **kw)


def test_arch_plugin_values_and_provenance(env):
    db, tmp, environ = env
    out = _cli(db, environ, "score", "plugin", "myplug:conv_count", "--bench", "nb201", "--sample", "40", "--quiet")
    assert out.returncode == 0, out.stderr
    rows = _rows(db, "SELECT a.arch_key, p.value, p.dataset, p.source FROM proxies p JOIN archs a "
                     "USING (bench, arch_id) WHERE p.proxy = 'conv_count'")
    assert len(rows) == 40 and all(v == k.count("conv") and d == "" and s == "user:conv_count"
                                   for k, v, d, s in rows)
    settings = json.loads(_rows(db, "SELECT settings FROM proxy_runs WHERE source = 'user:conv_count'")[0][0])
    assert settings["module"] == "myplug" and settings["function"] == "conv_count"
    assert len(settings["function_sha256"]) == 64 and settings["needs"] == "arch"


@pytest.mark.parametrize("needs, function", [("arch", "slow_conv"),
                                             pytest.param("graph", "slow_graph", marks=pytest.mark.slow),
                                             pytest.param("network", "slow_network", marks=pytest.mark.slow)])
def test_plugin_resumes_after_a_kill_with_the_values_of_an_uninterrupted_run(env, needs, function):
    """SIGKILL mid-run (some chunks staged), then the same command: the verified chunks are kept (and the run
    says which), the rest computed, and the values equal an uninterrupted run's of the same function."""
    db, tmp, environ = env
    args = ["score", "plugin", f"myplug:{function}", "--bench", "nb201", "--needs", needs, "--sample", "6",
            "--chunk-size", "1", "--dataset", "cifar10", "--data", "synthetic", "--batch-size", "8", "--workers", "1",
            "--quiet"]
    out = _cli(db, environ, *args, "--name", "uninterrupted")
    assert out.returncode == 0, out.stderr
    log = tmp / "calls.log"
    proc = subprocess.Popen([sys.executable, "-m", "nasdb.cli", "--db", str(db), *args, "--name", "resumed"],
                            env={**environ, "PLUGIN_SLEEP": "0.4", "PLUGIN_LOG": str(log)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 180
    while (not log.exists() or len(log.read_text().splitlines()) < 4) and time.monotonic() < deadline \
            and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
    os.killpg(proc.pid, signal.SIGKILL)   # in chunk 4: chunks 1-3 are staged
    proc.wait()
    assert _rows(db, "SELECT count(*) FROM proxies WHERE proxy = 'resumed'")[0][0] == 0
    out = _cli(db, environ, *args, "--name", "resumed")
    assert out.returncode == 0, out.stderr
    assert "chunk(s) kept from an interrupted attempt" in out.stdout
    n_chunks, resumed = _rows(db, "SELECT n_chunks, resumed_chunks FROM proxy_runs WHERE source = 'user:resumed' "
                                  "AND status = 'complete'")[0]
    assert n_chunks == 6 and 3 <= len(resumed) < 6 and set(resumed) <= set(range(n_chunks))
    values = {name: _rows(db, "SELECT arch_id, dataset, value, note FROM proxies WHERE proxy = ? "
                              "ORDER BY arch_id, dataset", [name]) for name in ("uninterrupted", "resumed")}
    assert len(values["resumed"]) == 6 and values["resumed"] == values["uninterrupted"]
    assert all(v is not None for _, _, v, _ in values["resumed"])


def test_graph_and_network_plugins_match_independent_numbers(env, monkeypatch):
    db, tmp, environ = env
    monkeypatch.syspath_prepend(str(tmp / "plug"))
    monkeypatch.setenv("NASDB_CACHE", str(tmp / "cache"))
    # archs Suite-Zero published a parameter count for (NASLib counts in millions, cifar10 network)
    published = dict(_rows(db, "SELECT arch_id, value FROM proxies WHERE bench = 'nb201' AND proxy = 'params' "
                               "AND dataset = 'cifar10' AND source = 'peer:nas-bench-suite-zero' "
                               "ORDER BY arch_id LIMIT 3"))
    ids = harness.Selection.of_ids(published)
    harness.score(plugins.job("nb201", "edges", "myplug:edges", "graph", ids), db, progress=False)
    harness.score(plugins.job("nb201", "n_params", "myplug:n_params", "network", ids, data="synthetic",
                              batch_size=8, datasets=["cifar10"]), db, progress=False)
    for aid, key, edges in _rows(db, "SELECT a.arch_id, a.arch_key, p.value FROM proxies p JOIN archs a "
                                     "USING (bench, arch_id) WHERE p.proxy = 'edges'"):
        assert edges == nasdb.score("nb201", key, proxy="nasgraph_edges")
    got = dict(_rows(db, "SELECT arch_id, value FROM proxies WHERE proxy = 'n_params' AND dataset = 'cifar10'"))
    assert set(got) == set(published)
    for aid, params in got.items():
        assert params / 1e6 == pytest.approx(published[aid], abs=1e-6)


def test_entry_point_proxy_is_discovered_and_scored(env):
    db, tmp, environ = env
    site = tmp / "site"
    (site / "byo_demo").mkdir(parents=True)
    (site / "byo_demo" / "__init__.py").write_text("def ops(key, spec):\n    return -key.count('none')\n"
                                                   "ops.needs = 'arch'\n")
    info = site / "byo_demo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: byo-demo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[nasdb.proxies]\nfewer_nones = byo_demo:ops\n")
    environ = {**environ, "PYTHONPATH": f"{environ['PYTHONPATH']}{os.pathsep}{site}"}
    assert "fewer_nones" in _cli(db, environ, "score", "--help").stdout
    out = _cli(db, environ, "score", "fewer_nones", "--bench", "nb201", "--sample", "10", "--quiet")
    assert out.returncode == 0, out.stderr
    rows = _rows(db, "SELECT a.arch_key, p.value, p.source FROM proxies p JOIN archs a USING (bench, arch_id) "
                     "WHERE p.proxy = 'fewer_nones'")
    assert len(rows) == 10 and all(v == -k.count("none") and s == "user:byo-demo" for k, v, s in rows)
