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

    def slow_conv(key, spec):
        time.sleep(float(os.environ.get("PLUGIN_SLEEP", "0")))
        return key.count("conv")
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


def _rows(db, sql, params=None):
    con = store.connect(db, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_arch_plugin_and_resume_after_kill(env):
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
    # killed mid-run (after some chunks are staged), then the same command resumes the verified chunks
    args = ["score", "plugin", "myplug:slow_conv", "--bench", "nb201", "--sample", "24", "--chunk-size", "2",
            "--quiet"]
    proc = subprocess.Popen([sys.executable, "-m", "nasdb.cli", "--db", str(db), *args],
                            env={**environ, "PLUGIN_SLEEP": "0.3"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    staging = tmp / "cache" / "staging"
    deadline = time.monotonic() + 120
    while len(list(staging.glob("*/*.parquet"))) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _rows(db, "SELECT count(*) FROM proxies WHERE proxy = 'slow_conv'")[0][0] == 0
    out = _cli(db, {**environ, "PLUGIN_SLEEP": "0"}, *args)
    assert out.returncode == 0, out.stderr
    assert "chunk(s) kept from an interrupted attempt" in out.stdout
    assert _rows(db, "SELECT count(*) FROM proxies WHERE proxy = 'slow_conv'")[0][0] == 24


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
