"""Readers in other processes while `nasdb score nasgraph --bench nb101` runs (3.4 M values): every one succeeds,
those that meet the merge wait for it (bounded) instead of failing."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nasdb import dbfile, store

CONNECT = "import sys, nasdb; con = nasdb.connect(sys.argv[1]); print(con.execute('SELECT count(*) FROM proxies').fetchone()[0])"


def _readers(db: Path, out: Path) -> list[list[str]]:
    cli = [sys.executable, "-m", "nasdb.cli", "--db", str(db)]
    return [cli + ["query", "SELECT count(*) FROM proxies"],
            cli + ["leaderboard", "--bench", "nb101", "--dataset", "cifar10", "--split", "valid", "--bootstrap", "0"],
            cli + ["info"],
            cli + ["export", "--format", "parquet", str(out)],
            [sys.executable, "-c", CONNECT, str(db)]]


@pytest.mark.slow
def test_readers_succeed_while_nb101_is_scored(ingested, tmp_path):
    db = tmp_path / "nb101.duckdb"
    shutil.copy(ingested("nb101", "suite_zero_nb101"), db)
    # the merge holds the file ~6 s at load 10 but ~28 s at load 20: give readers room on a busy CI box
    env = {**os.environ, "NASDB_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1", "NASDB_READ_WAIT": "300"}
    subprocess.run([sys.executable, "-m", "nasdb.cli", "--db", str(db), "eval", "--bench", "nb101", "--proxy", "n_conv",
                    "--bootstrap", "0", "--trials", "5"], check=True, capture_output=True, env=env)
    scorer = subprocess.Popen([sys.executable, "-m", "nasdb.cli", "--db", str(db), "score", "nasgraph", "--bench",
                               "nb101", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    results, during_merge, i = [], 0, 0
    try:
        while scorer.poll() is None:
            merging = dbfile.holder_file(db).exists()
            batch = _readers(db, tmp_path / f"export{i}") if merging else [_readers(db, tmp_path / f"export{i}")[i % 5]]
            procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                     for cmd in batch]
            for p in procs:
                out, err = p.communicate(timeout=300)
                results.append((p.args, p.returncode, err))
            during_merge += merging * len(procs)
            i += 1
            time.sleep(0.2)
    finally:
        out, err = scorer.communicate(timeout=900)
    assert scorer.returncode == 0, err
    failed = [(args[-3:], rc, err[-300:]) for args, rc, err in results if rc != 0]
    assert not failed
    assert len(results) >= 5 and not any("Traceback" in err for _, _, err in results)
    con = store.connect(db, read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT arch_id) FROM proxies WHERE source = 'nasdb'").fetchone() == \
        (423_624 * 8, 423_624)
    lock = con.execute("SELECT merge_seconds FROM proxy_runs WHERE bench = 'nb101'").fetchone()[0]
    print(f"{len(results)} reader runs during scoring, {during_merge} started while the merge held the file; "
          f"merge {lock:.2f} s; scorer said: {out.strip()}")
