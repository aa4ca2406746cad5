"""Immutable runs on real DuckDB files: pointer rules, staged parts, stale results, readers during writers,
missing and damaged databases, the old one-table model upgraded, verified caches."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy.stats import spearmanr

from nasdb import cachefile, cli, dbfile, runs, store
from nasdb.errors import NasdbError
from nasdb.evaluate.runner import Filters, Settings, evaluate, refresh_stale
from nasdb.proxies import harness
from nasdb.proxies.harness import staging

N = 40


def _insert(con, table: str, df: pl.DataFrame) -> None:
    con.register("_rows", df.to_arrow())
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    con.unregister("_rows")


@pytest.fixture
def toy(tmp_path, monkeypatch) -> Path:
    """40 archs of a toy bench with accuracy = arch_id; the cache (staging) under tmp_path."""
    monkeypatch.setenv("NASDB_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "toy.duckdb"
    with dbfile.writing(path, create=True) as con:
        _insert(con, "archs", pl.DataFrame({"bench": "toy", "arch_id": list(range(N)),
                                            "arch_key": [f"a{i}" for i in range(N)]}))
        _insert(con, "ground_truth", pl.DataFrame({
            "bench": "toy", "arch_id": list(range(N)), "dataset": "d", "split": "test", "metric": "accuracy",
            "epochs": 1, "value": [float(i) for i in range(N)], "higher_is_better": True,
            "aggregation": "single_run", "source": "toy"}, schema_overrides={"epochs": pl.Int32}))
    return path


def values(ids, scale: float = 1.0) -> pl.DataFrame:
    """proxy p = scale * arch_id (+ a little noise that depends on the arch only), proxy q = -arch_id."""
    ids = list(ids)
    noise = np.sin(np.array(ids, dtype=float)) * 0.1
    return pl.concat([
        pl.DataFrame({"arch_id": ids, "dataset": "", "proxy": "p", "value": [scale * i + e for i, e in zip(ids, noise)],
                      "note": None}),
        pl.DataFrame({"arch_id": ids, "dataset": "", "proxy": "q", "value": [-float(i) for i in ids], "note": None})],
        how="vertical_relaxed")


def job(**kw) -> harness.Job:
    return harness.Job(**{"family": "import", "bench": "toy", "proxies": ("p", "q"), "settings": {"file": "x"}, **kw})


def compute_chunk(bench: str, chunk: list[tuple[int, str]], settings: dict) -> pl.DataFrame:
    """A module-level family function: p = scale * arch_id, q = -arch_id (counts calls in a marker dir)."""
    marker = settings.get("marker")
    if marker:
        Path(marker).mkdir(exist_ok=True)
        (Path(marker) / f"{chunk[0][0]}").write_text("computed")
    return values([aid for aid, _ in chunk], settings["scale"])


def current(path: Path) -> pl.DataFrame:
    con = store.connect(path, read_only=True)
    try:
        return store.frame(con, "SELECT * FROM proxies WHERE bench = 'toy' ORDER BY proxy, arch_id")
    finally:
        con.close()


def test_full_run_stays_current_against_samples_and_use_moves_the_pointer(toy):
    full = harness.store_values(job(), values(range(N)), toy)
    assert sorted(full.current_for) == ["p", "q"]
    sample = harness.store_values(job(selection=harness.Selection.of_ids(range(0, N, 4)), settings={"file": "y"}),
                                  values(range(0, N, 4), scale=2.0), toy)
    assert sample.current_for == []
    shown = current(toy)
    assert shown.height == 2 * N and set(shown["run_id"]) == {full.run_id}
    assert not shown.select("arch_id", "dataset", "proxy").is_duplicated().any()
    with dbfile.writing(toy) as con:
        assert sorted(runs.use(con, sample.run_id)) == ["p", "q"]
    shown = current(toy)
    assert shown.height == 2 * (N // 4) and set(shown["run_id"]) == {sample.run_id}
    with dbfile.writing(toy) as con:
        runs.use(con, full.run_id)
        assert runs.prune(con) == (1, 2 * (N // 4))
        assert con.execute("SELECT status FROM proxy_runs WHERE run_id = ?", [sample.run_id]).fetchone() == ("pruned",)
        with pytest.raises(NasdbError, match="pruned"):
            runs.use(con, sample.run_id)
    assert current(toy).height == 2 * N


def test_a_later_full_run_replaces_and_history_keeps_both(toy):
    first = harness.store_values(job(), values(range(N)), toy)
    second = harness.store_values(job(settings={"file": "z"}), values(range(N), scale=3.0), toy)
    assert set(current(toy)["run_id"]) == {second.run_id}
    con = store.connect(toy, read_only=True)
    assert dict(con.execute("SELECT run_id, count(*) FROM proxy_values GROUP BY run_id").fetchall()) == \
        {first.run_id: 2 * N, second.run_id: 2 * N}


def test_bad_values_are_refused_naming_the_problem(toy):
    dup = pl.concat([values(range(N)), values([3])])
    with pytest.raises(NasdbError, match="several values for arch 3"):
        harness.store_values(job(), dup, toy)
    with pytest.raises(NasdbError, match="proxy 'r' is not one the job names"):
        harness.store_values(job(), values(range(N)).with_columns(proxy=pl.lit("r")), toy)
    with pytest.raises(NasdbError, match="arch_id 99 is not in the chunk"):
        harness.store_values(job(), values([1, 99]), toy)
    with pytest.raises(NasdbError, match="reserved"):
        job(source="peer:me")
    assert current(toy).height == 0


def test_score_stages_parts_and_resumes_only_verified_parts_of_the_same_run(toy, tmp_path):
    marker = tmp_path / "computed"
    j = job(compute_chunk=compute_chunk, settings={"scale": 1.0, "marker": str(marker)}, chunk_size=8)
    # an interrupted attempt: stage chunks 0..2 by hand, as an executor would, then stop
    con = store.connect(toy, read_only=True)
    archs = harness.run.select_archs(con, j)
    con.close()
    key = j.key(harness.job.digest(archs))
    folder = staging.run_dir(Path(os.environ["NASDB_CACHE"]), key)
    run_id = "import:toy:interrupted"
    staging.start(folder, run_id, {"started_at": "2026-12-01T00:00:00+00:00"})
    for i in range(3):
        chunk = archs[i * 8:(i + 1) * 8]
        harness.stage_chunk(harness.executor.ChunkTask("import", compute_chunk, "toy", i, chunk,
                                                       harness.job.digest(chunk), j.settings, j.proxies,
                                                       str(folder), run_id))
    # chunk 1's part is damaged (one flipped byte) and chunk 2's belongs to another run: both are recomputed
    part1 = folder / "chunk-000001.parquet"
    data = bytearray(part1.read_bytes())
    data[len(data) // 2] ^= 0xFF
    part1.write_bytes(bytes(data))
    side2 = folder / "chunk-000002.json"
    side2.write_text(side2.read_text().replace(run_id, "import:toy:other"))
    for f in marker.iterdir():
        f.unlink()
    r = harness.score(j, toy, progress=False)
    assert r.run_id == run_id and r.resumed_chunks == 1
    assert sorted(int(f.name) for f in marker.iterdir()) == [8, 16, 24, 32]  # chunk 0 (arch 0) was kept
    con = store.connect(toy, read_only=True)
    assert con.execute("SELECT resumed_chunks, n_chunks, status FROM proxy_runs").fetchone() == ([0], 5, "complete")
    con.close()
    shown = current(toy)
    assert shown.height == 2 * N and set(shown["run_id"]) == {run_id}
    np.testing.assert_allclose(shown.filter(pl.col("proxy") == "p").sort("arch_id")["value"],
                               values(range(N)).filter(pl.col("proxy") == "p")["value"])
    assert not folder.exists()  # merged: the staging is gone
    # the same job again is a new run, not a resume of the merged one
    assert harness.score(j, toy, progress=False).run_id != run_id


def test_results_record_their_inputs_and_go_stale_when_the_current_run_changes(toy):
    first = harness.store_values(job(), values(range(N)), toy)
    with dbfile.writing(toy) as con:
        evaluate(con, Filters(bench="toy"), Settings(bootstrap=10, trials=20), progress=False)
        rows = store.frame(con, "SELECT proxy, proxy_run_id, inputs, stale FROM correlations ORDER BY proxy")
    assert rows.filter(pl.col("proxy") == "p").row(0) == ("p", first.run_id, [f"p@nasdb#{first.run_id}"], False)
    assert not rows["stale"].any()
    # a partial run does not move the pointer: nothing goes stale
    harness.store_values(job(selection=harness.Selection.of_ids(range(5)), settings={"file": "s"}),
                         values(range(5)), toy)
    con = store.connect(toy, read_only=True)
    assert con.execute("SELECT count(*) FILTER (WHERE stale) FROM correlations").fetchone() == (0,)
    con.close()
    second = harness.store_values(job(settings={"file": "w"}), values(range(N), scale=-1.0), toy)
    con = store.connect(toy, read_only=True)
    stale = dict(con.execute("SELECT proxy, stale FROM correlations").fetchall())
    con.close()
    assert stale == {"p": True, "q": True, "n_conv": False} or stale == {"p": True, "q": True}
    # the leaderboard says so
    from nasdb.evaluate.leaderboard import leaderboard
    con = store.connect(toy, read_only=True)
    table, source = leaderboard(con, "toy", "d")
    con.close()
    assert "STALE" in source and table.filter(pl.col("proxy") == "p")["stale"].to_list() == [True]
    # what `nasdb build` does at its end: re-evaluate stale rows with their own settings
    refresh_stale(toy, progress=False)
    with dbfile.writing(toy) as con:
        fresh = store.frame(con, "SELECT proxy, proxy_run_id, stale, spearman FROM correlations WHERE proxy = 'p'")
    assert fresh.row(0)[:3] == ("p", second.run_id, False)
    assert fresh["spearman"][0] == pytest.approx(spearmanr(-np.arange(N), np.arange(N)).statistic)


def test_old_single_table_databases_are_upgraded(tmp_path):
    path = tmp_path / "old.duckdb"
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE proxies (bench VARCHAR, arch_id BIGINT, dataset VARCHAR, proxy VARCHAR, value DOUBLE, "
                "source VARCHAR, run_id VARCHAR, note VARCHAR)")
    con.execute("CREATE TABLE proxy_runs (run_id VARCHAR PRIMARY KEY, proxy VARCHAR NOT NULL, bench VARCHAR, "
                "settings JSON, code_version VARCHAR, started_at TIMESTAMP, seconds DOUBLE, n_archs BIGINT, status VARCHAR)")
    con.execute("INSERT INTO proxy_runs VALUES ('ok', 'nasgraph', 'toy', '{\"mode\": \"fast\", \"sample\": null}', "
                "'0', now(), 1, 3, 'complete'), ('dead', 'nasgraph', 'toy', '{}', '0', now(), 1, 3, 'running')")
    con.execute("INSERT INTO proxies VALUES ('toy', 1, '', 'g', 1.0, 'nasdb', 'ok', NULL), "
                "('toy', 2, '', 'g', 2.0, 'nasdb', 'ok', NULL), ('toy', 1, '', 'g', 9.0, 'nasdb', 'dead', NULL), "
                "('toy', 1, '', 'w', 5.0, 'peer:x', NULL, NULL)")
    con.close()
    with dbfile.writing(path) as con:
        assert con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'proxies'"
                           ).fetchone() == ("VIEW",)
        assert con.execute("SELECT arch_id, proxy, value, source, run_id FROM proxies ORDER BY ALL").fetchall() == [
            (1, "g", 1.0, "nasdb", "ok"), (1, "w", 5.0, "peer:x", None), (2, "g", 2.0, "nasdb", "ok")]
        assert con.execute("SELECT run_id, scope, source, proxies FROM proxy_runs").fetchall() == \
            [("ok", "full", "nasdb", ["g"])]


SCORER = """
import sys
import polars as pl
from nasdb.proxies import harness

db, name = sys.argv[1:]

def compute_chunk(bench, chunk, settings):
    if chunk[0][0] >= 20:  # the first chunk is staged: wait here (to be killed, or for the test's go)
        print("staged", flush=True)
        sys.stdin.readline()
    return pl.DataFrame({"arch_id": [a for a, _ in chunk], "dataset": "", "proxy": "p",
                         "value": [float(a) for a, _ in chunk], "note": None})

job = harness.Job(family=name, bench="toy", proxies=("p",), settings={}, compute_chunk=compute_chunk, chunk_size=20)
print("done", harness.score(job, db, progress=False).run_id, flush=True)
"""


def test_prune_removes_abandoned_staging_folders_and_never_a_running_jobs(toy, tmp_path):
    """Two real scoring processes stage their first chunk: one is SIGKILLed (its folder is abandoned), the
    other keeps running. `nasdb runs prune` removes the first folder only; the running job then completes."""
    staging_dir = Path(os.environ["NASDB_CACHE"]) / "staging"

    def scorer(name: str) -> subprocess.Popen:
        p = subprocess.Popen([sys.executable, "-c", SCORER, str(toy), name], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "staged", p.stderr.read()
        return p

    killed = scorer("killedfam")
    (killed_dir,) = staging_dir.iterdir()
    killed.kill()
    killed.wait()
    running = scorer("runningfam")
    try:
        (running_dir,) = set(staging_dir.iterdir()) - {killed_dir}
        assert [p.name for p in sorted(running_dir.glob("chunk-*"))] == ["chunk-000000.json", "chunk-000000.parquet"]
        before = {p: p.read_bytes() for p in running_dir.iterdir()}
        pruned = _nasdb("--db", str(toy), "runs", "prune")
        assert pruned.returncode == 0, pruned.stderr
        assert "removed 1 abandoned staging folder" in pruned.stdout and str(killed_dir) in pruned.stdout
        assert not killed_dir.exists()
        assert {p: p.read_bytes() for p in running_dir.iterdir()} == before
        running.stdin.write("go\n")
        running.stdin.flush()
        out, err = running.communicate(timeout=120)
    finally:
        running.kill()
    assert running.returncode == 0, err
    run_id = out.split()[-1]
    con = store.connect(toy, read_only=True)
    assert con.execute("SELECT count(*), sum(value) FROM proxies WHERE run_id = ?", [run_id]).fetchone() == \
        (N, float(sum(range(N))))
    assert con.execute("SELECT resumed_chunks FROM proxy_runs WHERE run_id = ?", [run_id]).fetchone() == ([],)
    con.close()
    assert not running_dir.exists()  # merged: its folder is gone too
    again = _nasdb("--db", str(toy), "runs", "prune")
    assert "removed 0 abandoned staging folder" in again.stdout

SESSION1_SCHEMA = """
CREATE TABLE proxy_values (run_id VARCHAR NOT NULL, arch_id BIGINT NOT NULL, dataset VARCHAR NOT NULL,
                           proxy VARCHAR NOT NULL, value DOUBLE, note VARCHAR);
CREATE TABLE proxy_runs (run_id VARCHAR PRIMARY KEY, proxy VARCHAR NOT NULL, bench VARCHAR, settings JSON,
    code_version VARCHAR, started_at TIMESTAMP, seconds DOUBLE, n_archs BIGINT, status VARCHAR, source VARCHAR,
    proxies VARCHAR[], selection JSON, scope VARCHAR, run_key VARCHAR, finished_at TIMESTAMP, n_rows BIGINT,
    n_chunks INTEGER, resumed_chunks INTEGER[], executor JSON, merge_seconds DOUBLE);
CREATE TABLE current_runs (bench VARCHAR NOT NULL, proxy VARCHAR NOT NULL, source VARCHAR NOT NULL,
                           run_id VARCHAR NOT NULL, since TIMESTAMP, PRIMARY KEY (bench, proxy, source));
CREATE TABLE peer_proxies (bench VARCHAR NOT NULL, arch_id BIGINT NOT NULL, dataset VARCHAR NOT NULL,
    proxy VARCHAR NOT NULL, value DOUBLE, source VARCHAR NOT NULL, run_id VARCHAR, note VARCHAR);
CREATE VIEW proxies AS
SELECT c.bench, v.arch_id, v.dataset, v.proxy, v.value, c.source, v.run_id, v.note
FROM proxy_values v JOIN current_runs c ON v.run_id = c.run_id AND v.proxy = c.proxy
UNION ALL SELECT bench, arch_id, dataset, proxy, value, source, run_id, note FROM peer_proxies;
INSERT INTO proxy_runs (run_id, proxy, bench, status, source, proxies, scope, finished_at) VALUES
    ('old', 'nasgraph', 'toy', 'complete', 'nasdb', ['g', 'h'], 'full', '2026-01-01'),
    ('new', 'nasgraph', 'toy', 'complete', 'nasdb', ['g', 'h'], 'full', '2026-01-02');
INSERT INTO proxy_values VALUES ('old', 1, 'c10', 'g', 1.0, NULL), ('old', 2, 'c10', 'g', NULL, 'undefined'),
    ('new', 1, 'c10', 'g', 3.0, NULL), ('new', 2, 'c10', 'g', NULL, 'no path'), ('new', 1, '', 'h', 4.0, NULL),
    ('new', 2, '', 'h', 5.0, NULL);
INSERT INTO current_runs VALUES ('toy', 'g', 'nasdb', 'new', now()), ('toy', 'h', 'nasdb', 'new', now());
INSERT INTO peer_proxies VALUES ('toy', 1, 'c10', 'w', 7.0, 'peer:x', 'ingest:x:1', NULL);
"""


def test_session1_history_table_is_compacted_and_readers_see_the_same_rows(tmp_path):
    """A database whose history is a table of strings (the previous model): its first opener (a reader too)
    moves the history to run_values/run_notes without changing a row of proxies or proxy_values."""
    import duckdb

    path = tmp_path / "session1.duckdb"
    con = duckdb.connect(str(path))
    con.execute(SESSION1_SCHEMA)
    con.close()
    proxies_sql = "SELECT * FROM proxies ORDER BY ALL"
    history_sql = "SELECT * FROM proxy_values ORDER BY ALL"
    con = duckdb.connect(str(path), read_only=True)  # as the previous nasdb read it
    before = con.execute(proxies_sql).fetchall(), con.execute(history_sql).fetchall()
    con.close()
    assert len(before[0]) == 5 and len(before[1]) == 6
    assert "table run_values" in store.schema_gaps(duckdb.connect(str(path), read_only=True))
    con = store.connect(path, read_only=True)  # today's reader upgrades it once, then reads the same rows
    assert (con.execute(proxies_sql).fetchall(), con.execute(history_sql).fetchall()) == before
    con.close()
    with dbfile.writing(path) as con:
        assert [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW' "
                                          "ORDER BY 1").fetchall()] == ["proxies", "proxy_values"]
        assert (con.execute(proxies_sql).fetchall(), con.execute(history_sql).fetchall()) == before
        assert con.execute("SELECT run_id, run_no FROM proxy_runs ORDER BY run_no").fetchall() == [("old", 1), ("new", 2)]
        assert con.execute("SELECT count(*) FROM run_values").fetchone() == (6,)
        assert con.execute("SELECT note FROM run_notes ORDER BY 1").fetchall() == [("no path",), ("undefined",)]
        # a run stored after the upgrade gets the next number and reuses the existing series codes
        _insert(con, "archs", pl.DataFrame({"bench": "toy", "arch_id": [1, 2], "arch_key": ["a1", "a2"]}))
        harness.store_frame(con, harness.Job(family="import", bench="toy", proxies=("g",), settings={},
                                             selection=harness.Selection.of_ids([1, 2])),
                            pl.DataFrame({"arch_id": [1, 2], "dataset": "c10", "proxy": "g", "value": [8.0, None],
                                          "note": [None, "again"]}))
        assert con.execute("SELECT max(run_no), count(DISTINCT series) FROM run_values").fetchone() == (3, 2)
        assert con.execute("SELECT arch_id, value, note FROM proxy_values v JOIN proxy_runs r USING (run_id) "
                           "WHERE r.run_no = 3 ORDER BY 1").fetchall() == [(1, 8.0, None), (2, None, "again")]


def test_notes_travel_with_their_values_through_staged_parts(toy):
    """Most values carry no note and the history keeps notes apart; the ones that do must come back on the
    right (arch, dataset, proxy) through the staged Parquet merge."""
    noted = values(range(N)).with_columns(
        note=pl.when((pl.col("arch_id") % 7 == 3) & (pl.col("proxy") == "q")).then(pl.lit("odd one")).otherwise(None))
    harness.store_values(job(), noted, toy)
    con = store.connect(toy, read_only=True)
    got = con.execute("SELECT arch_id, proxy, note FROM proxies WHERE note IS NOT NULL ORDER BY ALL").fetchall()
    assert got == [(i, "q", "odd one") for i in range(N) if i % 7 == 3]
    assert con.execute("SELECT count(*) FROM proxies WHERE bench = 'toy'").fetchone() == (2 * N,)
    con.close()

# ---- opening the file: readers wait for writers, missing and damaged files -------------------------------

HOLD = """
import sys
from nasdb import dbfile
con = dbfile.open_writer(sys.argv[1], create=False)
print("holding", flush=True)
sys.stdin.read()
dbfile.close_writer(con, sys.argv[1])
"""


def _nasdb(*args, env=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nasdb.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def _holder(path: Path) -> subprocess.Popen:
    """A process holding the write lock on ``path`` until its stdin closes."""
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline().strip() == "holding"
    return p


def test_a_reader_waits_for_a_short_writer_and_names_a_long_one(toy):
    p = _holder(toy)
    reader = subprocess.Popen([sys.executable, "-m", "nasdb.cli", "--db", str(toy), "query",
                               "SELECT count(*) AS n FROM archs", "--format", "csv"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    waiting = reader.stderr.readline()
    assert f"held by pid {p.pid}" in waiting and "writing since" in waiting and "waiting up to" in waiting
    p.stdin.close()  # the writer finishes: the reader goes on
    p.wait()
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0 and out.split() == ["n", str(N)], err
    p = _holder(toy)
    try:
        out = _nasdb("--db", str(toy), "info", env={"NASDB_READ_WAIT": "1"})
        assert out.returncode == 2 and "Traceback" not in out.stderr
        last = out.stderr.strip().splitlines()[-1]
        assert last.startswith("nasdb: error: cannot read") and f"pid {p.pid}" in last and "python" in last
        # a writer (another process) gives up the same way, and so does nasdb.connect() in Python
        out = _nasdb("--db", str(toy), "runs", "prune", env={"NASDB_WRITE_WAIT": "1"})
        assert out.returncode == 2 and "cannot write" in out.stderr and "Traceback" not in out.stderr
        os.environ["NASDB_READ_WAIT"] = "0.5"
        try:
            import nasdb
            with pytest.raises(dbfile.DatabaseBusy, match=f"pid {p.pid}"):
                nasdb.connect(toy)
        finally:
            del os.environ["NASDB_READ_WAIT"]
    finally:
        p.stdin.close()
        p.wait()


@pytest.mark.parametrize("command", [["query", "SELECT 1"], ["info"], ["export", "OUT"],
                                     ["leaderboard", "--bench", "toy", "--dataset", "d"], ["eval"],
                                     ["runs", "list"], ["score", "nasgraph", "--bench", "nb201"]])
def test_a_mistyped_db_is_never_created(tmp_path, command, capsys):
    path = tmp_path / "typo.duckdb"
    assert cli.main(["--db", str(path), *[str(tmp_path / "out") if c == "OUT" else c for c in command]]) == 2
    assert "no database at" in capsys.readouterr().err
    assert not path.exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_database_is_one_line(toy, tmp_path, damage, capsys):
    bad = tmp_path / "bad.duckdb"
    if damage == "garbage":
        bad.write_bytes(b"this is not a database\n" * 1000)
    else:
        bad.write_bytes(toy.read_bytes()[:5000])
    for command in (["query", "SELECT count(*) FROM archs"], ["eval"], ["ingest", "nb201"]):
        assert cli.main(["--db", str(bad), *command]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "not a readable DuckDB database" in err, err


# ---- verified caches ----------------------------------------------------------------------------------------

def test_cache_files_are_used_only_when_they_match_their_checksum(tmp_path, capfd):
    path = tmp_path / "c.npz"
    cachefile.write(path, lambda tmp: np.savez(tmp, x=np.arange(5)))
    read = lambda p: np.load(p)["x"].tolist()  # noqa: E731
    assert cachefile.read(path, read, "test") == [0, 1, 2, 3, 4]
    data = bytearray(path.read_bytes())
    data[-30] ^= 0x01  # a flipped byte
    path.write_bytes(bytes(data))
    assert cachefile.read(path, read, "test") is None and not path.exists()
    assert "does not match the checksum" in capfd.readouterr().err
    cachefile.write(path, lambda tmp: np.savez(tmp, x=np.arange(5)))
    np.savez(path, x=np.arange(7))  # a valid file with other values
    assert cachefile.read(path, read, "test") is None
    assert "does not match the checksum" in capfd.readouterr().err


def test_tampered_block_cache_is_recomputed(tmp_path, capfd):
    from nasdb.proxies.nasgraph import fast
    from nasdb.spaces import nb201

    s = nb201.surrogate(nb201.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"))
    first = fast.BlockCache(0, store=tmp_path)
    want = fast.measures_of([s], first)
    first.save()
    (path,) = tmp_path.glob("nasgraph-blocks-*.npz")
    # a valid file with other values: every matrix zeroed
    with np.load(path) as z:
        np.savez(path, blocks=z["blocks"], shapes=z["shapes"], bits=np.zeros_like(z["bits"]))
    again = fast.BlockCache(0, store=tmp_path)
    assert "NASGraph block cache" in capfd.readouterr().err and len(again.blocks) == 0
    got = fast.measures_of([s], again)
    assert {k: float(v[0]) for k, v in got.items()} == {k: float(v[0]) for k, v in want.items()}
