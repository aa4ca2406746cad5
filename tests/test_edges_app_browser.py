"""Issue 10's dashboard fixes in a real browser: `nasdb app` on loopback, headless Debian chromium.

What a user sees is checked where AppTest cannot look (the text a select box shows, Markdown rendering,
the server's memory), and every fixed page is screenshotted to tests/_artifacts/edges_*.png.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

import appdb
import browser as browser_util

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "_artifacts"
HOSTILE = ["SELECT list(range(100000000)) AS l", "SELECT repeat('x', 2000000000) AS s",
           "SELECT repeat('x', 1000000) AS s FROM range(1000)"]


@pytest.fixture(scope="module")
def db(tmp_path_factory, cache, mirror) -> Path:
    return appdb.build(tmp_path_factory.getbasetemp(), cache, mirror)


@pytest.fixture(scope="module")
def server(db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("edges_server")
    proc, url = browser_util.start_server(db, tmp / "snapshots", tmp / "server.log", timeout=180)
    yield proc, url
    browser_util.stop_server(proc)


@pytest.fixture(scope="module")
def page():
    ARTIFACTS.mkdir(exist_ok=True)
    for browser in browser_util.chromium():
        yield browser_util.tall_page(browser)


def _box(page, label: str):
    return page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first


def _pick(page, label: str, option: str) -> None:
    _box(page, label).click()
    page.get_by_role("option", name=option, exact=True).click()
    browser_util.settle(page)


def _shown(page, label: str) -> str:
    return page.get_by_role("combobox", name=label, exact=True).input_value()


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]) / 1024


@pytest.mark.parametrize("link", ["Top-k retrievals", "Proxy vs accuracy"])
def test_ground_truth_box_shows_the_new_benchmarks_target(server, page, link):
    page.goto(server[1])
    browser_util.settle(page)
    browser_util.goto(page, link, link)
    _pick(page, "Benchmark", "nb201")
    assert "[naswot]" in _shown(page, "Ground truth") or "accuracy" in _shown(page, "Ground truth")
    _pick(page, "Benchmark", "tnb101_micro")
    expect(page.get_by_role("combobox", name="Dataset / task", exact=True)).to_have_value("autoencoder",
                                                                                          timeout=120_000)
    browser_util.settle(page)
    dataset, truth = _shown(page, "Dataset / task"), _shown(page, "Ground truth")
    assert dataset == "autoencoder" and "ssim" in truth and "naswot" not in truth, truth
    page.screenshot(path=str(ARTIFACTS / f"edges_{link.split()[0].lower()}_tnb101.png"))


def test_lookup_error_is_code_and_each_value_once(server, page):
    page.goto(f"{server[1]}/lookup")
    browser_util.settle(page)
    field = page.get_by_label("Architecture: official index, cell string, TNB101 name or NB101 module hash")
    field.fill("|nor_conv_3x3~0|+|bogus~0|")
    field.press("Enter")
    alert = page.locator('[data-testid="stAlert"]').filter(has=page.locator('[data-testid="stAlertContentError"]'))
    alert.first.wait_for()
    browser_util.settle(page)
    alert = alert.first
    alert.locator("code").first.wait_for()
    assert alert.locator("del, s").count() == 0
    assert "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|" in alert.inner_text()  # the grammar, tildes intact
    page.screenshot(path=str(ARTIFACTS / "edges_lookup_error.png"))
    field.fill("1")
    field.press("Enter")
    page.get_by_role("heading", name="NASGraph graph summary").wait_for()
    browser_util.settle(page)
    chart = page.locator('[data-testid="stVegaLiteChart"]').last
    chart.scroll_into_view_if_needed()
    browser_util.chart_drawn(page)
    chart.screenshot(path=str(ARTIFACTS / "edges_lookup_bars.png"))


def test_search_simulation_and_overview_charts(server, page):
    page.goto(server[1])
    browser_util.settle(page)
    browser_util.chart_drawn(page)
    page.locator('[data-testid="stVegaLiteChart"]').first.screenshot(path=str(ARTIFACTS / "edges_overview_bars.png"))
    browser_util.goto(page, "Top-k retrievals", "Top-k retrievals")
    _pick(page, "Benchmark", "nb201")
    chart = page.locator('[data-testid="stVegaLiteChart"]').last
    chart.scroll_into_view_if_needed()
    browser_util.chart_drawn(page)
    chart.screenshot(path=str(ARTIFACTS / "edges_search_sim.png"))


def test_density_colour_by(server, page):
    page.goto(f"{server[1]}/scatter")
    browser_util.settle(page)
    _pick(page, "Colour by", "mean convolutions in the cell (per cell)")
    browser_util.chart_drawn(page)
    page.locator('[data-testid="stVegaLiteChart"]').first.screenshot(path=str(ARTIFACTS / "edges_density_nconv.png"))


def test_console_hostile_queries_keep_the_server_small(server, page):
    proc, url = server
    page.goto(f"{url}/sql")
    browser_util.settle(page)
    before = _rss_mb(proc.pid)
    for sql in HOSTILE:
        box = page.get_by_role("textbox", name="SQL", exact=True)
        box.fill(sql)
        page.get_by_role("button", name="Run query").click()
        page.get_by_text(f"Result of: {sql}", exact=True).wait_for()
        browser_util.settle(page)
        assert browser_util.healthy(url)
    after = _rss_mb(proc.pid)
    page.screenshot(path=str(ARTIFACTS / "edges_console_hostile.png"))
    print(f"server RSS {before:.0f} MB -> {after:.0f} MB after {len(HOSTILE)} hostile queries")
    assert after - before < 200, (before, after)
    assert os.path.exists(f"/proc/{proc.pid}")
