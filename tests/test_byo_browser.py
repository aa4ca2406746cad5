"""The "Evaluate your proxy" page in real chromium: upload a file, see placement, a correlation equal to
scipy's on the same rows, the rank; a bad file is refused on the page; the database is never written."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats

import appdb
import browser as browser_util
from nasdb import store

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "_artifacts"


@pytest.fixture(scope="module")
def db(tmp_path_factory, cache, mirror) -> Path:
    return appdb.build(tmp_path_factory.getbasetemp(), cache, mirror)


@pytest.fixture(scope="module")
def server(db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("byo_server")
    proc, url = browser_util.start_server(db, tmp / "snapshots", tmp / "server.log")
    yield url
    browser_util.stop_server(proc)


@pytest.fixture(scope="module")
def page():
    ARTIFACTS.mkdir(exist_ok=True)
    for browser in browser_util.chromium():
        yield browser_util.tall_page(browser)


def _counts(db) -> tuple:
    con = store.connect(db, read_only=True)
    try:
        return tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("proxy_runs", "proxy_values", "current_runs", "correlations"))
    finally:
        con.close()


def test_upload_evaluates_without_writing(db, server, page, tmp_path):
    con = store.connect(db, read_only=True)
    try:
        df = store.frame(con, "SELECT a.arch_key, g.value AS acc FROM archs a "
                              "JOIN ground_truth g USING (bench, arch_id) WHERE a.bench = 'nb201' "
                              "AND g.dataset = 'ImageNet16-120' AND g.split = 'test' AND g.metric = 'accuracy' "
                              "AND g.source = 'nb201' ORDER BY a.arch_id")
    finally:
        con.close()
    score = df["acc"].to_numpy() + np.random.default_rng(7).normal(0, 8, df.height)
    good = tmp_path / "mine.csv"
    pl.DataFrame({"arch": df["arch_key"], "score": score}).write_csv(good)
    rho = stats.spearmanr(score, df["acc"].to_numpy()).statistic
    before = _counts(db)

    page.goto(f"{server}/byo")
    page.get_by_role("heading", name="Evaluate your proxy", exact=True).wait_for()
    browser_util.settle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    page.get_by_text("rows placed").wait_for()  # the first dataset (ImageNet16-120) is the default
    browser_util.settle(page)
    body = page.inner_text("body")
    assert "15,625" in body and "15625 official" in body
    shown = re.search(r"Spearman ρ vs ImageNet16-120 test accuracy\s+(-?\d\.\d{3})", body)
    assert shown and float(shown.group(1)) == pytest.approx(rho, abs=6e-4), body[:2000]
    assert re.search(r"Rank among stored proxies on the same archs\s+\d+ of \d+", body)
    page.screenshot(path=str(ARTIFACTS / "byo_evaluated.png"), full_page=True)

    bad = tmp_path / "bad.csv"
    bad.write_text("arch,score\n|bogus~0|,1.0\n" + "".join(f"{k},{v}\n" for k, v in zip(df["arch_key"][:3], "x12")))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    page.get_by_text("Not placed").wait_for()
    page.get_by_text("whose value is not a number", exact=False).wait_for()
    browser_util.settle(page)
    body = page.inner_text("body")
    assert "1 row(s) with a key that is no nb201 architecture (line 2" in body
    assert "1 row(s) whose value is not a number (line 3: 'x')" in body
    page.screenshot(path=str(ARTIFACTS / "byo_refused.png"), full_page=True)
    assert _counts(db) == before
