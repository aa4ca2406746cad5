"""End to end: `nasdb app` as a real server on loopback, driven by headless Debian chromium.

Clicks through every page, runs SQL console queries (and downloads the result), checks that file,
extension and settings access is refused with a message while the server keeps serving, and that the
app opens while another process holds the database's write lock. Screenshots go to tests/_artifacts/.
"""
from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

import appdb
import browser as browser_util

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "_artifacts"
PAGES = [  # (link text, heading, text the page must show)
    ("Overview", "nasdb — NAS benchmark ground truth, graph proxies and their evaluation", "NAS-Bench-201"),
    ("Correlations", "Correlations", None),
    ("Proxy vs accuracy", "Proxy vs accuracy", "Colour by"),
    ("Top-k retrievals", "Top-k retrievals", "precision@10"),
    ("Few-shot predictors", "Few-shot predictors", "Ground truth: cifar10-valid test/accuracy@200"),
    ("Architecture lookup", "Architecture lookup", "Paste an architecture"),
    ("SQL console", "SQL console", "Read-only"),
]
REFUSED = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "COPY archs TO '/tmp/nasdb_app_escape.csv'",
    "ATTACH '/tmp/nasdb_app_escape.duckdb' AS escape",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "PRAGMA threads = 4",
    "SELECT * FROM glob('/etc/*')",
]


@pytest.fixture(scope="module")
def db(tmp_path_factory, cache, mirror) -> Path:
    return appdb.build(tmp_path_factory.getbasetemp(), cache, mirror)


@pytest.fixture(scope="module")
def server(db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server")
    proc, url = browser_util.start_server(db, tmp / "snapshots", tmp / "server.log")
    yield url
    browser_util.stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    yield from browser_util.chromium()


@pytest.fixture
def page(browser):
    ARTIFACTS.mkdir(exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1400, "height": 2200}, accept_downloads=True)
    p = ctx.new_page()
    p.set_default_timeout(60_000)
    yield p
    ctx.close()


def _run_sql(page, sql: str) -> str:
    box = page.get_by_role("textbox", name="SQL", exact=True)
    box.fill(sql)
    page.get_by_role("button", name="Run query").click()
    page.get_by_text(f"Result of: {sql}", exact=True).wait_for()  # this query's result, not the previous one
    browser_util.settle(page)
    return page.locator('[data-testid="stAlert"]').last.inner_text()


def test_every_page_renders(server, page):
    page.goto(server)
    page.get_by_role("heading", name=PAGES[0][1]).wait_for()
    browser_util.settle(page)
    for link, heading, must_show in PAGES:
        browser_util.goto(page, link, heading)
        if must_show:
            page.get_by_text(must_show).first.wait_for(state="attached")  # grid cells are drawn on a canvas
        page.screenshot(path=str(ARTIFACTS / f"page_{link.split()[0].lower()}.png"))
    # charts really render (vega draws into a canvas or svg)
    browser_util.goto(page, "Proxy vs accuracy", "Proxy vs accuracy")
    browser_util.chart_drawn(page)
    title = page.locator('[data-testid="stVegaLiteChart"]').first.get_attribute("aria-label")
    assert "Spearman ρ = " in title and "Kendall τ = " in title
    page.screenshot(path=str(ARTIFACTS / "page_scatter.png"))


def test_predictor_learning_curves_are_drawn(server, page):
    page.goto(f"{server}/predictors")
    page.get_by_role("heading", name="Few-shot predictors", exact=True).wait_for()
    browser_util.settle(page)
    browser_util.chart_drawn(page)
    label = page.locator('[data-testid="stVegaLiteChart"]').first.get_attribute("aria-label")
    assert "Learning curves of 1 predictors on nb201/cifar10-valid" in label and "graph · ridge" in label
    page.get_by_role("heading", name="Ensemble searches").wait_for()
    page.get_by_text("search(es) selected on nb201/cifar100; best held-out Spearman 0.").wait_for()
    page.screenshot(path=str(ARTIFACTS / "page_predictors.png"))


def test_lookup_draws_the_cell(server, page):
    page.goto(f"{server}/lookup")
    page.get_by_role("heading", name="Architecture lookup").wait_for()
    arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    field = page.get_by_label("Architecture: official index, cell string, TNB101 name or NB101 module hash")
    field.fill(arch)
    field.press("Enter")
    page.get_by_role("heading", name="Ground truth").wait_for()
    browser_util.settle(page)
    page.locator('[data-testid="stGraphVizChart"] svg').first.wait_for()
    svg = page.locator('[data-testid="stGraphVizChart"] svg').first.inner_html()
    assert svg.count("nor_conv_3x3") == 5 and "skip_connect" in svg  # the cell's 6 edge labels
    page.screenshot(path=str(ARTIFACTS / "lookup_cell.png"))
    summary = page.locator('[data-testid="stVegaLiteChart"]').last  # the NASGraph summary bars
    summary.scroll_into_view_if_needed()
    browser_util.chart_drawn(page)
    summary.screenshot(path=str(ARTIFACTS / "lookup_nasgraph.png"))


def test_sql_console_runs_downloads_and_refuses(server, page):
    page.goto(f"{server}/sql")
    page.get_by_role("heading", name="SQL console").wait_for()
    browser_util.settle(page)
    msg = _run_sql(page, "SELECT dataset, count(*) AS n FROM ground_truth WHERE bench = 'nb201' "
                         "AND split = 'test' GROUP BY dataset ORDER BY dataset")
    assert "4 row(s)" in msg  # cifar10 (NASWOT), cifar10-valid, cifar100, ImageNet16-120
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text())))
    assert [r["dataset"] for r in rows] == ["ImageNet16-120", "cifar10", "cifar10-valid", "cifar100"]
    assert {r["n"] for r in rows} == {"15625"}
    page.screenshot(path=str(ARTIFACTS / "sql_result.png"))
    for sql in REFUSED:
        text = _run_sql(page, sql)
        assert any(w in text for w in ("Refused", "Permission", "disabled", "locked")), (sql, text)
        assert browser_util.healthy(server)
    assert not Path("/tmp/nasdb_app_escape.csv").exists() and not Path("/tmp/nasdb_app_escape.duckdb").exists()
    page.screenshot(path=str(ARTIFACTS / "sql_refused.png"))
    assert "1 row(s)" in _run_sql(page, "SELECT count(*) FROM archs")  # still serving queries


def test_opens_while_a_writer_holds_the_lock(db, tmp_path, page):
    locked = tmp_path / "locked.duckdb"
    shutil.copyfile(db, locked)
    writer = appdb.hold_write_lock(locked, "BEGIN", "INSERT INTO meta VALUES ('writer', 'busy')")
    proc, url = browser_util.start_server(locked, tmp_path / "snapshots", tmp_path / "server.log")
    try:
        page.goto(url)
        page.get_by_text("Database busy").wait_for()
        browser_util.settle(page)
        page.screenshot(path=str(ARTIFACTS / "busy.png"))
        writer.stdin.close()  # the writer finishes (its transaction is rolled back on exit)
        writer.wait(30)
        page.get_by_role("button", name="Retry").click()
        page.get_by_role("heading", name=PAGES[0][1]).wait_for()
        browser_util.settle(page)
    finally:
        if writer.poll() is None:
            writer.kill()
        browser_util.stop_server(proc)
