"""Benchmark: dashboard responsiveness on a real database — first page render and page switches.

Two views of the same thing:
- browser: `nasdb app` as a real server, headless Debian chromium; time from navigation until the
  page's heading is shown, Streamlit's script run has finished and (for chart pages) the chart drew.
  "first render" = a fresh server's first session (cold: imports, snapshot copy, empty query cache);
  "warm" = the same page visited again in a new browser session.
- server: Streamlit's AppTest running each page script in-process (no browser), cold then warm.
Targets (issue 6): first page render < 3 s, page switch < 1 s. Prints Markdown rows for
docs/benchmarks.md and writes bench/out/bench_app.json.

    .venv/bin/python bench/bench_app.py --db data/nasdb.duckdb
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import browser as browser_util  # noqa: E402  (tests/browser.py: server + chromium helpers)

PAGES = [  # (navigation link, heading, view file, waits for a chart)
    ("Overview", "nasdb — NAS benchmark ground truth, graph proxies and their evaluation", "views/overview.py", True),
    ("Correlations", "Correlations", "views/correlations.py", False),
    ("Proxy vs accuracy", "Proxy vs accuracy", "views/scatter.py", True),
    ("Top-k retrievals", "Top-k retrievals", "views/topk.py", False),
    ("Architecture lookup", "Architecture lookup", "views/lookup.py", False),
    ("SQL console", "SQL console", "views/sql.py", False),
]


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def browser_times(db: Path, tmp: Path) -> dict:
    from playwright.sync_api import sync_playwright

    proc, url = browser_util.start_server(db, tmp / "snapshots", tmp / "server.log")
    out: dict = {"switch_cold": {}, "switch_warm": {}}
    try:
        with sync_playwright() as pw:
            browser = browser_util.launch(pw)
            for visit in ("cold", "warm"):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(120_000)

                def first() -> None:
                    page.goto(url)
                    page.get_by_role("heading", name=PAGES[0][1]).wait_for()
                    browser_util.settle(page)
                    browser_util.chart_drawn(page)

                out[f"first_render_{visit}"] = _timed(first)
                for link, heading, _, chart in PAGES[1:] + PAGES[:1]:
                    def switch() -> None:
                        browser_util.goto(page, link, heading)
                        if chart:
                            browser_util.chart_drawn(page)

                    out[f"switch_{visit}"][link] = _timed(switch)
                browser_util.goto(page, "Proxy vs accuracy", "Proxy vs accuracy")

                def full_scatter() -> None:  # 15,625 NB201 points: the n_conv baseline covers every cell
                    page.locator('[data-testid="stSelectbox"]').filter(has_text="Proxy").click()
                    page.keyboard.type("n_conv (baseline:archs)")
                    page.keyboard.press("Enter")
                    page.locator('[data-testid="stVegaLiteChart"][aria-label*="(n = 15,625)"]').wait_for()
                    browser_util.settle(page)
                    browser_util.chart_drawn(page)

                out[f"scatter_15625_{visit}"] = _timed(full_scatter)
                page.close()
            browser.close()
    finally:
        browser_util.stop_server(proc)
    return out


def floor_times(tmp: Path) -> list[float]:
    """First render of a one-line Streamlit app on this machine now: what no page can beat."""
    from playwright.sync_api import sync_playwright

    script = tmp / "hello.py"
    script.write_text("import streamlit as st\nst.title('Hello')\n")
    port = browser_util.free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not browser_util.healthy(url):
            time.sleep(0.2)
        with sync_playwright() as pw:
            browser = browser_util.launch(pw)
            times = []
            for _ in range(3):
                page = browser.new_page()

                def hello() -> None:
                    page.goto(url)
                    page.get_by_role("heading", name="Hello").wait_for()
                    browser_util.settle(page)

                times.append(_timed(hello))
                page.close()
            browser.close()
    finally:
        browser_util.stop_server(proc)
    return times


def apptest_times(db: Path, tmp: Path) -> dict:
    from streamlit.testing.v1 import AppTest

    os.environ["NASDB_DB"] = str(db)
    os.environ["NASDB_APP_SNAPSHOTS"] = str(tmp / "apptest_snapshots")
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=300)
    out: dict = {"first_run": _timed(at.run), "cold": {}, "warm": {}}
    for visit in ("cold", "warm"):
        for _, _, view, _ in PAGES:
            out[visit][view] = _timed(lambda: at.switch_page(view).run())
            if at.exception:
                raise RuntimeError(f"{view}: {at.exception[0].value}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, type=Path, help="a built database (the full one for the targets)")
    args = ap.parse_args()
    import duckdb

    con = duckdb.connect(str(args.db), read_only=True)
    sizes = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("archs", "ground_truth",
                                                                                   "costs", "proxies")}
    con.close()
    with tempfile.TemporaryDirectory() as tmp:
        result = {"db": str(args.db), "db_mb": round(args.db.stat().st_size / 2**20), "rows": sizes,
                  "load_1min": os.getloadavg()[0], "browser": browser_times(args.db, Path(tmp)),
                  "apptest": apptest_times(args.db, Path(tmp)), "floor": floor_times(Path(tmp))}
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "bench_app.json").write_text(json.dumps(result, indent=2))
    b, a = result["browser"], result["apptest"]
    print(f"database: {result['db_mb']} MB, rows {sizes}, load avg {result['load_1min']:.1f}; "
          f"one-line Streamlit app first render: {', '.join(f'{t:.2f} s' for t in result['floor'])}")
    print("| page | browser switch, first visit | browser switch, warm | AppTest run, cold | AppTest run, warm |")
    print("|---|---|---|---|---|")
    print(f"| first page render (Overview) | {b['first_render_cold']:.2f} s | {b['first_render_warm']:.2f} s "
          f"| {a['first_run']:.2f} s | |")
    for link, _, view, _ in PAGES:
        print(f"| switch to {link} | {b['switch_cold'][link]:.2f} s | {b['switch_warm'][link]:.2f} s "
              f"| {a['cold'][view]:.2f} s | {a['warm'][view]:.2f} s |")
    print(f"| scatter: choose a proxy with 15,625 points | {b['scatter_15625_cold']:.2f} s "
          f"| {b['scatter_15625_warm']:.2f} s | | |")


if __name__ == "__main__":
    main()
