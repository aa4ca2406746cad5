"""Streamlit entry point (`nasdb app` runs this): picks this run's snapshot, then the chosen page."""
from __future__ import annotations

import importlib
import sys
import threading
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `streamlit run app/main.py` from anywhere

from app import ui  # noqa: E402

VIEWS = Path(__file__).parent / "views"
PAGES = [
    st.Page(VIEWS / "overview.py", title="Overview", icon=":material/home:", default=True),  # served at /
    st.Page(VIEWS / "correlations.py", title="Correlations", icon=":material/grid_on:", url_path="correlations"),
    st.Page(VIEWS / "scatter.py", title="Proxy vs accuracy", icon=":material/scatter_plot:", url_path="scatter"),
    st.Page(VIEWS / "topk.py", title="Top-k retrievals", icon=":material/leaderboard:", url_path="topk"),
    st.Page(VIEWS / "predictors.py", title="Few-shot predictors", icon=":material/show_chart:",
            url_path="predictors"),
    st.Page(VIEWS / "search.py", title="Search replays", icon=":material/trending_up:", url_path="search"),
    st.Page(VIEWS / "byo.py", title="Evaluate your proxy", icon=":material/upload_file:", url_path="byo"),
    st.Page(VIEWS / "lookup.py", title="Architecture lookup", icon=":material/search:", url_path="lookup"),
    st.Page(VIEWS / "sql.py", title="SQL console", icon=":material/terminal:", url_path="sql"),
]

st.set_page_config(page_title="nasdb", page_icon=":material/hub:", layout="wide")
page = st.navigation(PAGES)
ui.snapshot()
page.run()
if "app.selection" not in sys.modules:
    # warm-up: once the first page is shown, import the analysis pages' heavy dependencies
    # (scipy for the scatter, nasdb.evaluate's pairing) in the background instead of on their first visit
    for name in ("scipy.stats", "app.selection"):
        threading.Thread(target=importlib.import_module, args=(name,), daemon=True).start()
