"""Results know their ground truth: re-ingesting a benchmark whose source file changed (a new sha256) marks the
evaluation rows computed on the old ground truth stale, an unchanged re-ingest does not, and the refresh that
`nasdb build` ends with leaves none stale.

The changed source is real: the NB201 CIFAR-100 CSV of the mirror with one test accuracy edited, served from a
mirror copy with the manifest entry carrying the edited file's sha256 and size (as a new release would)."""
from __future__ import annotations

import dataclasses
import shutil

import pytest

from ingest import nb201
from ingest.runner import run_job
from nasdb import dbfile, sources, store
from nasdb.evaluate.runner import Filters, Settings, evaluate, refresh_stale

CIFAR100 = nb201.CSV["cifar100"]
STALE = "SELECT count(*) FILTER (WHERE stale), count(*) FROM correlations WHERE bench = 'nb201'"


@pytest.fixture
def changed_mirror(mirror, tmp_path, monkeypatch):
    """A mirror whose NB201 CIFAR-100 file differs in one accuracy, and the manifest that names it."""
    new = tmp_path / "mirror"
    for rel in nb201.FILES:
        (new / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(mirror / rel, new / rel)
    lines = (new / CIFAR100).read_text().splitlines(keepends=True)
    head, *cells = lines[1].split(",")
    cells[-1] = "1.25\n"  # arch 0's test accuracy
    lines[1] = ",".join([head, *cells])
    (new / CIFAR100).write_text("".join(lines))
    real = sources.manifest()
    edited = dataclasses.replace(real[CIFAR100], sha256=sources.sha256_of(new / CIFAR100),
                                 bytes=(new / CIFAR100).stat().st_size)
    return new, lambda: {**real, CIFAR100: edited}


def test_a_changed_ground_truth_makes_its_results_stale_and_the_refresh_clears_them(ingested, cache, mirror,
                                                                                       changed_mirror, tmp_path,
                                                                                       monkeypatch):
    db = tmp_path / "nb201.duckdb"
    shutil.copy(ingested("nb201"), db)
    with dbfile.writing(db) as con:
        evaluate(con, Filters(bench="nb201"), Settings(bootstrap=0, trials=5), progress=False)
        n = con.execute(STALE).fetchone()
        assert n[0] == 0 and n[1] > 0
        run_job(con, "nb201", cache, mirror)  # the same files again: nothing changed, nothing stale
        assert con.execute(STALE).fetchone() == n
        new_mirror, new_manifest = changed_mirror
        monkeypatch.setattr(sources, "manifest", new_manifest)
        run_job(con, "nb201", tmp_path / "new-cache", new_mirror)
        assert con.execute("SELECT value FROM ground_truth WHERE bench = 'nb201' AND arch_id = 0 AND "
                           "dataset = 'cifar100' AND split = 'test'").fetchone() == (1.25,)
        assert con.execute(STALE).fetchone() == (n[1], n[1])
    refresh_stale(db, progress=False)
    con = store.connect(db, read_only=True)
    try:
        assert con.execute(STALE).fetchone() == (0, n[1])
    finally:
        con.close()
