"""NB201 ingest on the real mirrored files: content facts, idempotence, and atomicity under failure or kill."""
from __future__ import annotations

import shutil

import pytest

import ingest.nb201 as job
from dbkit import run_job_killed_before_commit
from ingest.runner import run_job
from nasdb import store
from nasdb.errors import IngestError

ARCH1 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
ARCH0 = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"


@pytest.fixture(scope="module")
def nb201_db(ingested):
    return ingested("nb201")


def fingerprint(con) -> tuple:
    return (
        con.execute("SELECT count(*), sum(arch_id), count(DISTINCT iso_class) FROM archs").fetchone(),
        con.execute("SELECT count(*), sum(value), sum(hash(dataset || split)) FROM ground_truth").fetchone(),
        con.execute("SELECT count(*) FROM benchmarks").fetchone(),
    )


def test_content_facts(nb201_db):
    con = store.connect(nb201_db, read_only=True)
    assert con.execute("SELECT count(*) FROM archs WHERE bench = 'nb201'").fetchone()[0] == 15625
    assert con.execute("SELECT arch_key FROM archs WHERE arch_id = 1").fetchone()[0] == ARCH1
    assert con.execute("SELECT arch_key, naslib_key FROM archs WHERE arch_id = 0").fetchone() == (
        ARCH0, "(4, 3, 3, 0, 0, 0)")
    # NB201 API: index 1, cifar10-valid, test accuracy 90.513 (200 epochs)
    v = con.execute("SELECT value FROM ground_truth WHERE arch_id = 1 AND dataset = 'cifar10-valid' "
                    "AND split = 'test' AND metric = 'accuracy' AND epochs = 200").fetchone()[0]
    assert v == pytest.approx(90.513, abs=5e-4)
    assert con.execute("SELECT count(DISTINCT iso_class), count(*) FILTER (WHERE is_degenerate) FROM archs"
                       ).fetchone() == (6466, 341)
    # iso_class is the smallest member's index, so it is its own class representative
    assert con.execute("SELECT count(*) FROM archs a JOIN archs r ON r.arch_id = a.iso_class "
                       "WHERE r.iso_class <> r.arch_id").fetchone()[0] == 0
    assert con.execute("SELECT n_conv, op_counts['nor_conv_3x3'], op_counts['skip_connect'] FROM archs "
                       "WHERE arch_id = 1").fetchone() == (3, 3, 2)
    rows = con.execute("SELECT dataset, split, count(*) FROM ground_truth GROUP BY ALL ORDER BY ALL").fetchall()
    assert {(d, s) for d, s, _ in rows} == {(d, s) for d in ("cifar10-valid", "cifar100", "ImageNet16-120")
                                            for s in ("train", "valid", "test")}
    assert all(n == 15625 for *_, n in rows)


def test_ingest_is_idempotent(nb201_db, tmp_path, cache, mirror):
    path = tmp_path / "db.duckdb"
    shutil.copy(nb201_db, path)
    con = store.connect(path)
    before = fingerprint(con)
    run_job(con, "nb201", cache, mirror)
    assert fingerprint(con) == before


def test_reingest_rewrites_only_tables_whose_rows_changed(nb201_db, tmp_path, cache, mirror):
    """Unchanged rows stay where they are (rewriting NB101's archs held the file ~22 s); one changed value is
    enough to replace a table's rows."""
    path = tmp_path / "db.duckdb"
    shutil.copy(nb201_db, path)
    con = store.connect(path)
    before = fingerprint(con)
    row_ids = "SELECT list(rowid ORDER BY arch_id) FROM archs WHERE bench = 'nb201'"
    stored = con.execute(row_ids).fetchall()
    con.execute("UPDATE ground_truth SET value = value + 1 WHERE bench = 'nb201' AND arch_id = 7 AND split = 'test'")
    run_job(con, "nb201", cache, mirror)
    assert con.execute(row_ids).fetchall() == stored  # archs: not rewritten
    assert fingerprint(con) == before  # ground truth: the tampered value replaced by the file's
    con.close()


def test_failing_load_leaves_database_unchanged(nb201_db, tmp_path, cache, mirror, monkeypatch):
    path = tmp_path / "db.duckdb"
    shutil.copy(nb201_db, path)
    con = store.connect(path)
    before = fingerprint(con)
    original = job.load

    def load_then_fail(con, files):
        original(con, files)
        raise IngestError("injected failure after all rows were written")

    monkeypatch.setattr(job, "load", load_then_fail)
    with pytest.raises(IngestError, match="injected"):
        run_job(con, "nb201", cache, mirror)
    assert fingerprint(con) == before


def test_truncated_csv_is_an_error_naming_the_file(tmp_path, cache, mirror):
    from nasdb import sources

    files = {p: sources.verified_path(p, cache, mirror) for p in job.FILES}
    short = tmp_path / "nasbench201_cifar100.csv"
    short.write_text("".join(files[job.CSV["cifar100"]].read_text().splitlines(keepends=True)[:1000]))
    files[job.CSV["cifar100"]] = short
    con = store.connect(tmp_path / "db.duckdb")
    with pytest.raises(IngestError, match=r"nasbench201_cifar100.csv: expected 15625 data rows, found 999"):
        with store.transaction(con):
            job.load(con, files)
    assert con.execute("SELECT count(*) FROM archs").fetchone()[0] == 0


def test_unknown_op_in_csv_names_line(tmp_path, cache, mirror):
    from nasdb import sources

    files = {p: sources.verified_path(p, cache, mirror) for p in job.FILES}
    lines = files[job.CSV["cifar10-valid"]].read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace("nor_conv_3x3", "dil_conv_5x5", 1).replace("nor_conv_1x1", "dil_conv_5x5", 1) \
        .replace("avg_pool_3x3", "dil_conv_5x5", 1)
    bad = tmp_path / "c10.csv"
    bad.write_text("".join(lines))
    files[job.CSV["cifar10-valid"]] = bad
    con = store.connect(tmp_path / "db.duckdb")
    with pytest.raises(IngestError, match=r"line 4: .*dil_conv_5x5"):
        with store.transaction(con):
            job.load(con, files)


def test_kill_mid_ingest_keeps_previous_content(nb201_db, tmp_path, cache, mirror):
    """SIGKILL after the job has written every row but before it commits: the old content survives."""
    path = tmp_path / "db.duckdb"
    shutil.copy(nb201_db, path)
    con = store.connect(path)
    con.execute("UPDATE ground_truth SET value = value + 1 WHERE arch_id = 7")  # a marker the re-ingest would undo
    before = fingerprint(con)
    con.close()
    proc = run_job_killed_before_commit(path, "nb201", cache, mirror)
    assert proc.returncode == -9, proc.stderr.decode()
    con = store.connect(path)
    assert fingerprint(con) == before
