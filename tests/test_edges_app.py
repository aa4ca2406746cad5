"""Dashboard edges from the new-user trial (issue 10), driven by Streamlit's AppTest on the app test database.

Expected values are read from the database with plain SQL or computed here, never by the page's code.
"""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import appdb

MAIN = Path(__file__).resolve().parents[1] / "app" / "main.py"
NB201_DATASETS = "ImageNet16-120, cifar10, cifar10-valid, cifar100"


@pytest.fixture(scope="module")
def db(tmp_path_factory, cache, mirror) -> Path:
    return appdb.build(tmp_path_factory.getbasetemp(), cache, mirror)


@pytest.fixture
def app(db, tmp_path, monkeypatch):
    monkeypatch.setenv("NASDB_DB", str(db))
    monkeypatch.setenv("NASDB_APP_SNAPSHOTS", str(tmp_path / "snapshots"))
    at = AppTest.from_file(str(MAIN), default_timeout=120)
    at.run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _page(at: AppTest, view: str) -> None:
    at.switch_page(view).run()
    _ok(at)


def _charts(at: AppTest) -> list[tuple[dict, pa.Table]]:
    """(vega-lite spec, first dataset) of every chart on the page."""
    out = []
    for c in at.get("vega_lite_chart"):
        data = pa.ipc.open_stream(c.proto.datasets[0].data.data).read_all() if c.proto.datasets else None
        out.append((json.loads(c.proto.spec), data))
    return out


def _selectbox(at: AppTest, label: str):
    return next(s for s in at.selectbox if s.label == label)


@pytest.mark.parametrize("view, key", [("views/topk.py", "topk"), ("views/scatter.py", "scatter")])
def test_ground_truth_box_follows_the_benchmark(app, view, key):
    _page(app, view)
    before = _selectbox(app, "Ground truth")
    assert "accuracy" in before.options[before.index]
    app.selectbox(key=f"{key}_bench").set_value("tnb101_micro").run()
    _ok(app)
    after = _selectbox(app, "Ground truth")
    assert after.key != before.key  # a new widget: the browser cannot keep showing NB201's label
    shown = after.options[after.index]
    dataset = app.selectbox(key=f"{key}_dataset").value
    with duckdb.connect(str(appdb_path(app)), read_only=True) as con:
        metrics = {r[0] for r in con.execute("SELECT DISTINCT metric FROM ground_truth WHERE bench = 'tnb101_micro' "
                                             "AND dataset = ?", [dataset]).fetchall()}
    assert any(m in shown for m in metrics) and "[naswot]" not in shown


def appdb_path(at: AppTest) -> Path:
    return Path(__import__("os").environ["NASDB_DB"])


def test_lookup_errors_are_shown_as_code(app):
    _page(app, "views/lookup.py")
    app.text_input(key="lookup_arch").input("|nor_conv_3x3~0|+|bogus~0|").run()
    _ok(app)
    text = app.error[0].value
    assert text.startswith("` ") and "malformed NB201 architecture" in text and "|op~0|+|op~0|op~1|" in text


def test_lookup_lists_each_value_once(app, db):
    _page(app, "views/lookup.py")
    app.text_input(key="lookup_arch").input("1").run()
    _ok(app)
    table = next(d.value for d in app.dataframe if "rank_in_bench" in d.value.columns)
    assert not table.duplicated(["proxy", "source"]).any()
    with duckdb.connect(str(db), read_only=True) as con:
        n = con.execute("SELECT count(DISTINCT (proxy, source)) FROM proxies WHERE bench = 'nb201' AND arch_id = 1"
                        ).fetchone()[0]
    assert len(table) == n
    graph = table[table.proxy.str.startswith("nasgraph_")]
    assert set(graph.datasets) == {NB201_DATASETS}  # one shared graph for the four datasets
    spec, data = _charts(app)[-1]
    assert data.num_rows == len(graph) == 8  # one bar per measure


def test_search_simulation_axis_ends_with_the_data_and_legend_fits(app, db):
    _page(app, "views/topk.py")
    spec, data = _charts(app)[0]
    with duckdb.connect(str(db), read_only=True) as con:
        lo, hi = con.execute("SELECT min(n_sample), max(n_sample) FROM search_sim").fetchone()
    assert spec["encoding"]["x"]["scale"]["domain"] == [lo, hi] == [10, 200]
    legend = spec["encoding"]["color"]["legend"]
    assert legend["orient"] == "bottom" and legend["labelLimit"] == 0


def test_overview_bar_chart_is_log_scaled(app):
    spec, _ = _charts(app)[0]
    assert spec["encoding"]["x"]["scale"]["type"] == "log"


def test_density_view_colour_by_shows_the_cell_means(app, db):
    _page(app, "views/scatter.py")
    assert app.radio(key="scatter_view").value == "density"
    _, counts = _charts(app)[0]
    assert "archs" in counts.column_names
    app.selectbox(key="scatter_colour_density").set_value("n_conv").run()
    _ok(app)
    spec, cells = _charts(app)[0]
    assert spec["encoding"]["color"]["field"] == "n_conv"
    cells = cells.to_pydict()
    with duckdb.connect(str(db), read_only=True) as con:
        total = con.execute("SELECT sum(n_conv) FROM archs WHERE bench = 'nb201'").fetchone()[0]
    # every architecture sits in one cell: sum over cells of (mean n_conv x count) is the space's total
    assert sum(m * a for m, a in zip(cells["n_conv"], cells["archs"])) == pytest.approx(total)
    assert len(set(cells["n_conv"])) > 5
