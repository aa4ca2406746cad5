"""What every page shares: the snapshot notice, cached queries, 'not computed yet' notices, chart+table.

Queries are cached per snapshot file, so a page switch on an unchanged database costs no SQL at all,
and a refreshed snapshot (new file name) invalidates everything at once.
"""
from __future__ import annotations

import re
from pathlib import Path

import altair as alt
import polars as pl
import streamlit as st

from app import db
from nasdb.errors import NasdbError


def snapshot() -> db.Snapshot:
    """Choose this run's snapshot (main.py, every run): show the 'busy' notice, or stop with a clear message."""
    try:
        snap = db.snapshot()
    except db.DatabaseBusy as e:
        st.warning(str(e), icon=":material/hourglass_top:")
        st.button("Retry", key="retry_busy")
        st.stop()
    except NasdbError as e:
        st.error(str(e))
        st.stop()
    if snap.notice:
        st.info(snap.notice, icon=":material/hourglass_top:")
    st.session_state["snapshot"] = snap
    return snap


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(path: str, sql: str, params: tuple) -> pl.DataFrame:
    return db.query(sql, list(params), Path(path))


@st.cache_data(show_spinner=False, max_entries=8)
def _tables(path: str) -> dict[str, int]:
    return db.tables(Path(path))


@st.cache_data(show_spinner="Ranking proxies within groups ...", max_entries=64)
def _leaderboard(path: str, bench: str, dataset: str, metric: str, split: str, population: str
                 ) -> tuple[pl.DataFrame, str]:
    from nasdb.evaluate.leaderboard import leaderboard

    con = db.connect(Path(path))
    try:  # the baselines recomputed on a group's archs use fewer resamples than `nasdb eval` (a page must be quick)
        return leaderboard(con, bench, dataset, metric, split, population, bootstrap=200)
    finally:
        con.close()


def leaderboard(bench: str, dataset: str, metric: str, split: str, population: str) -> tuple[pl.DataFrame, str]:
    """The CLI's like-with-like leaderboard (nasdb.evaluate.leaderboard) on this run's snapshot (cached)."""
    return _leaderboard(str(snapshot_path()), bench, dataset, metric, split, population)


def query(sql: str, *params) -> pl.DataFrame:
    """Run an app-written query on this run's snapshot (cached)."""
    return _cached(str(snapshot_path()), sql, params)


def snapshot_path() -> Path:
    """The snapshot main.py chose for this script run (one check per run, not per query)."""
    return st.session_state["snapshot"].path


def rows(table: str) -> int:
    """Rows in ``table`` (0 if it does not exist)."""
    return _tables(str(snapshot_path())).get(table, 0)


def require(table: str, what: str, command: str) -> bool:
    """True if ``table`` has rows; otherwise show why the page section is empty and how to fill it."""
    if rows(table):
        return True
    st.info(f"{what} not computed yet — run `{command}` to fill the `{table}` table.", icon=":material/info:")
    return False


def chart_with_table(chart: alt.Chart, frame: pl.DataFrame, key: str, description: str | None = None) -> None:
    """Every chart comes with the table it was drawn from (tabs: Chart / Table); ``description`` is the
    chart's text alternative (screen readers, and tests that cannot read a canvas)."""
    tab_chart, tab_table = st.tabs(["Chart", "Table"])
    with tab_chart:
        st.altair_chart(chart, width="stretch", key=f"{key}_chart", alt=description)
    with tab_table:
        st.dataframe(frame, hide_index=True, key=f"{key}_table")


def error(message: str) -> None:
    """An error box whose message is code, not Markdown: a grammar such as ``|op~0|+|op~0|op~1|`` would
    otherwise turn into strikethrough, and a DuckDB message's ``* ...`` lines into a list. Each line is
    one inline code span (these wrap, a fenced block would scroll sideways)."""
    fence = "`" * (1 + max((len(m) for m in re.findall(r"`+", message)), default=0))
    st.error("  \n".join(f"{fence} {line} {fence}" for line in message.splitlines() if line.strip()))


def table_or_note(frame: pl.DataFrame, note: str, key: str) -> None:
    """A table, or a note saying why there is nothing to show."""
    if frame.height:
        st.dataframe(frame, hide_index=True, key=key)
    else:
        st.info(note)


def choose(label: str, options: list, key: str, **kw):
    """A selectbox that tolerates an empty option list (shows a notice and stops the page)."""
    if not options:
        st.info(f"No {label.lower()} available in this database yet.")
        st.stop()
    return st.selectbox(label, options, key=key, **kw)


def warn_stale(frame: pl.DataFrame) -> None:
    """Say so when stored evaluation rows were computed from proxy runs or ground truth no longer current."""
    n = int(frame["stale"].fill_null(True).sum()) if "stale" in frame.columns else 0
    if n:
        st.warning(f"{n} of these {frame.height} rows are stale: a proxy's current run or the ground truth changed "
                   "after they were computed (marked 'stale' below). Re-run `nasdb eval` to refresh them.")
