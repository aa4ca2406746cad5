"""`nasdb score zc` through the scoring harness on real DuckDB files built from the mirror."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from nasdb import store
from nasdb.proxies.zc import family
from nasdb.spaces import nb201


def cli(db, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nasdb.cli", "--db", str(db), "score", "zc", "--bench", "nb201",
                           "--quiet", *args], capture_output=True, text=True, env=os.environ.copy(), timeout=900)


def test_sample_run_is_stored_with_its_settings(ingested, tmp_path):
    db = tmp_path / "nasdb.duckdb"
    shutil.copy(ingested("nb201"), db)
    out = cli(db, "--sample", "2", "--seed", "4", "--proxy", "params", "--proxy", "snip", "--data", "synthetic",
              "--batch-size", "4", "--dataset", "cifar10")
    assert out.returncode == 0, out.stderr
    assert "nb201: 2 archs (a sample of 2), 4 proxy rows" in out.stdout
    con = store.connect(db, read_only=True)
    rows = con.execute("SELECT arch_id, proxy, value, run_id FROM proxies WHERE source = 'nasdb' AND bench = 'nb201' "
                       "AND proxy IN ('params', 'snip') ORDER BY arch_id, proxy").fetchall()
    settings = json.loads(con.execute("SELECT settings FROM proxy_runs WHERE run_id = ?", [rows[0][3]]).fetchone()[0])
    keys = dict(con.execute("SELECT arch_id, arch_key FROM archs WHERE bench = 'nb201' AND arch_id IN (SELECT unnest(?))",
                            [[r[0] for r in rows]]).fetchall())
    con.close()
    assert len(rows) == 4 and all(v > 0 for _, _, v, _ in rows)
    assert {k: settings[k] for k in ("data", "batch_size", "seed", "implementation", "datasets")} == {
        "data": "synthetic", "batch_size": 4, "seed": 4, "implementation": family.registry.IMPLEMENTATION,
        "datasets": ["cifar10"]}
    # the stored params are the network's: the NB201 builder's count for that cell
    from nasdb.nets import n_parameters

    for arch_id, proxy, value, _ in rows:
        if proxy == "params":
            net = nb201.network(nb201.parse(keys[arch_id]), "cifar10")
            assert value == n_parameters(net) / 1e6


def test_default_selection_is_the_suite_zero_archs(ingested, tmp_path):
    db = ingested("nb201", "tnb101", "suite_zero")
    con = store.connect(db, read_only=True)
    try:
        ids = family.published_ids(con, "nb201")
        n_peer = con.execute("SELECT count(DISTINCT arch_id) FROM proxies WHERE bench = 'nb201' "
                             "AND source = 'peer:nas-bench-suite-zero'").fetchone()[0]
    finally:
        con.close()
    assert len(ids) == n_peer > 700  # ~725 NB201 archs per dataset in the mirrored Suite-Zero files
    bare = tmp_path / "bare.duckdb"
    shutil.copy(ingested("nb201"), bare)
    out = cli(bare, "--proxy", "params")
    assert out.returncode == 2 and "no published Suite-Zero values for nb201" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_bad_device_is_one_line_and_writes_nothing(ingested, tmp_path):
    db = tmp_path / "nasdb.duckdb"
    shutil.copy(ingested("nb201"), db)
    before = db.read_bytes()
    import torch

    cases = [("gpu9", "unknown --device 'gpu9'")] + ([] if torch.cuda.is_available() else [("cuda", "sees no CUDA device")])
    for device, expected in cases:
        out = cli(db, "--sample", "2", "--proxy", "params", "--device", device)
        assert out.returncode == 2 and expected in out.stderr, out.stderr
        assert out.stderr.strip().count("\n") == 0 and "Traceback" not in out.stderr
    assert db.read_bytes() == before
