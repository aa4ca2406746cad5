"""End to end in headless Debian chromium: the Search replays page (curves from real `nasdb search` runs,
the landscape heatmap from `nasdb landscape`) and the lookup page's similar-architectures panel.
Screenshots go to tests/_artifacts/."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import appdb
import browser as browser_util
from nasdb.cli import main

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "_artifacts"
ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


@pytest.fixture(scope="module")
def wl_cache(tmp_path_factory) -> Path:
    """One WL index cache for the CLI, the test and the server, so the NB201 index is built once."""
    return tmp_path_factory.mktemp("wl_cache")


@pytest.fixture(scope="module")
def db(tmp_path_factory, cache, mirror, wl_cache) -> Path:
    """The app test database plus two search replays and the NB201 landscape, written by the real CLI."""
    path = tmp_path_factory.mktemp("search_app") / "nasdb.duckdb"
    shutil.copy(appdb.build(tmp_path_factory.getbasetemp(), cache, mirror), path)
    for algo in ("random", "re"):
        assert main(["--db", str(path), "search", "--algo", algo, "--bench", "nb201", "--dataset", "cifar10-valid",
                     "--test-dataset", "cifar10", "--budget", "60", "--seeds", "10"]) == 0
    mp = pytest.MonkeyPatch()
    mp.setenv("NASDB_CACHE", str(wl_cache))
    try:
        assert main(["--db", str(path), "landscape", "--bench", "nb201", "--dataset", "cifar10-valid"]) == 0
    finally:
        mp.undo()
    return path


@pytest.fixture(scope="module")
def server(db, tmp_path_factory, wl_cache):
    tmp = tmp_path_factory.mktemp("search_server")
    mp = pytest.MonkeyPatch()
    mp.setenv("NASDB_CACHE", str(wl_cache))  # start_server passes the environment on
    try:
        proc, url = browser_util.start_server(db, tmp / "snapshots", tmp / "server.log", timeout=240)
    finally:
        mp.undo()
    yield url
    browser_util.stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    yield from browser_util.chromium()


@pytest.fixture
def page(browser):
    ARTIFACTS.mkdir(exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1400, "height": 2400})
    p = ctx.new_page()
    p.set_default_timeout(120_000)
    yield p
    ctx.close()


def test_search_page_draws_curves_and_the_landscape(server, page, db):
    page.goto(f"{server}/search")
    page.get_by_role("heading", name="Search replays").wait_for()
    browser_util.settle(page)
    browser_util.chart_drawn(page)
    chart = '[data-testid="stVegaLiteChart"][aria-label*="{}"]'
    for label in ("validation value of the incumbent over queries for nb201/cifar10-valid: ",
                  "test value of the incumbent over queries for nb201/cifar10-valid: ",
                  "own value against neighbours' mean"):
        page.locator(chart.format(label)).first.wait_for(state="attached")
    labels = page.locator(chart.format("of the incumbent")).first.get_attribute("aria-label")
    assert "re (10 seeds)" in labels and "random (10 seeds)" in labels
    page.locator(chart.format("of the incumbent")).first.locator("canvas, svg").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "search_page.png"), full_page=True)


def test_lookup_panel_lists_similar_architectures(server, page, db, wl_cache, monkeypatch):
    from nasdb import spaces, store
    from nasdb.similarity.similar import neighbours_by_wl

    monkeypatch.setenv("NASDB_CACHE", str(wl_cache))
    con = store.connect(db, read_only=True)
    expected = neighbours_by_wl(con, spaces.get("nb201"), ARCH, 10)["arch_key"].to_list()
    con.close()
    page.goto(f"{server}/lookup")
    page.get_by_role("heading", name="Architecture lookup").wait_for()
    field = page.get_by_label("Architecture: official index, cell string, TNB101 name or NB101 module hash")
    field.fill(ARCH)
    field.press("Enter")
    page.get_by_role("heading", name="Similar architectures").wait_for()
    browser_util.settle(page)
    page.get_by_text("Show the most similar architectures").click()
    page.get_by_text("Rank 1 is the architecture itself").wait_for()
    browser_util.settle(page)
    for key in expected[1:4]:  # the grid is a canvas; its accessible copy holds the cell text
        page.get_by_text(key, exact=True).first.wait_for(state="attached")
    table = page.locator('[data-testid="stDataFrame"]').last
    table.scroll_into_view_if_needed()
    table.screenshot(path=str(ARTIFACTS / "lookup_similar.png"))
    page.screenshot(path=str(ARTIFACTS / "lookup_similar_page.png"), full_page=True)
