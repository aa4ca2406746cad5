"""Driving the dashboard in a real browser: start `nasdb app` on loopback, launch Debian's chromium,
wait for Streamlit script runs. Shared by tests/test_app_browser.py and bench/bench_app.py.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.read() == b"ok"
    except OSError:
        return False


def start_server(db: Path, snapshots: Path, log: Path, timeout: float = 60) -> tuple[subprocess.Popen, str]:
    """`nasdb --db DB app` on a free loopback port; returns the process and its URL once it is healthy."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "nasdb.cli", "--db", str(db), "app", "--port", str(port)],
                                env={**os.environ, "NASDB_APP_SNAPSHOTS": str(snapshots)},
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while not healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"nasdb app did not come up on {url}; see {log}")
        time.sleep(0.2)
    return proc, url


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def launch(playwright):
    """Headless Debian chromium (never a downloaded browser build)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def chromium():
    """A pytest fixture body: yield a launched chromium, closed afterwards. Without chromium the tests are
    skipped, or fail under NASDB_REQUIRE_BROWSER=1 (CI), so a missing browser never passes silently."""
    import pytest

    if not CHROMIUM.is_file():
        if os.environ.get("NASDB_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} not found (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch(pw)
        yield b
        b.close()


def tall_page(browser):
    """A page tall enough to show a whole dashboard page, patient with first renders."""
    p = browser.new_context(viewport={"width": 1400, "height": 2000}).new_page()
    p.set_default_timeout(120_000)
    return p


def settle(page) -> None:
    """Wait until the script run finished; fail if Streamlit shows an exception box."""
    page.wait_for_selector(IDLE)
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


def goto(page, link: str, heading: str) -> None:
    """Click a page in the navigation and wait until it has rendered."""
    page.get_by_role("link", name=link, exact=True).click()
    page.get_by_role("heading", name=heading, exact=True).wait_for()
    settle(page)


def chart_drawn(page) -> None:
    """Wait until a vega chart has drawn (into a canvas or an svg)."""
    page.locator('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg').first.wait_for()
