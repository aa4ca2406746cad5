"""The dashboard driven by Streamlit's AppTest on a database built from the mirror.

Numbers shown by the pages are checked against the mirrored source files read here directly
(pandas / csv) and scipy, never against the app's own code paths.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats
from streamlit.testing.v1 import AppTest

import appdb
from app import db as app_db
from nasdb import cli
from nasdb.commands import app as app_command

MAIN = Path(__file__).resolve().parents[1] / "app" / "main.py"
VIEWS = ["views/overview.py", "views/correlations.py", "views/scatter.py", "views/topk.py", "views/lookup.py",
         "views/sql.py"]
ARCH_9930 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


@pytest.fixture(scope="module")
def db(tmp_path_factory, cache, mirror) -> Path:
    return appdb.build(tmp_path_factory.getbasetemp(), cache, mirror)


@pytest.fixture(scope="module")
def naswot(mirror) -> pd.DataFrame:
    """The NASWOT release read directly: NB201 index, v1 score (NaN for cut-off cells), cifar10 test accuracy."""
    return pd.read_pickle(mirror / "zc" / "naswot" / "arch_score_acc.pd")


@pytest.fixture
def app(db, tmp_path, monkeypatch):
    """A fresh app session on ``db`` with its own snapshot directory."""
    monkeypatch.setenv("NASDB_DB", str(db))
    monkeypatch.setenv("NASDB_APP_SNAPSHOTS", str(tmp_path / "snapshots"))
    at = AppTest.from_file(str(MAIN), default_timeout=120)
    at.run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _page(at: AppTest, view: str) -> AppTest:
    at.switch_page(view).run()
    _ok(at)
    return at


def _pick(at: AppTest, key: str, label_start: str) -> None:
    """Choose the selectbox option whose shown label starts with ``label_start``."""
    box = at.selectbox(key=key)
    box.select_index(next(i for i, o in enumerate(box.options) if o.startswith(label_start))).run()


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The shown table that has ``column`` (tables carry no key in AppTest's element tree)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _chart_title(at: AppTest) -> str:
    return json.loads(at.get("vega_lite_chart")[0].proto.spec)["title"]["text"]


def _chart_data(at: AppTest) -> pa.Table:
    """The rows Streamlit sends to the browser for the page's first chart (Arrow IPC in the proto)."""
    return pa.ipc.open_stream(at.get("vega_lite_chart")[0].proto.datasets[0].data.data).read_all()


def test_every_page_runs(app):
    for view in VIEWS:
        _page(app, view)


def test_overview_counts_match_the_sources(app):
    metrics = {m.label: m.value for m in app.metric}
    # NB201 15,625 cells + TransNAS-Bench-101 3,256 macro + 4,096 micro (the benchmarks' published sizes)
    assert metrics["Architectures"] == f"{15625 + 3256 + 4096:,}"
    assert metrics["Benchmarks"] == "3"


def test_scatter_title_is_the_rank_correlation_of_the_points(app, naswot):
    _page(app, "views/scatter.py")
    app.selectbox(key="scatter_dataset").set_value("cifar10").run()
    _pick(app, "scatter_proxy", "naswot_v1 (")
    _ok(app)
    d = naswot.dropna(subset=["score"])
    rho = stats.spearmanr(d["score"], d["test_top1"]).statistic
    tau = stats.kendalltau(d["score"], d["test_top1"]).statistic
    assert f"Spearman ρ = {rho:.3f}, Kendall τ = {tau:.3f} (n = {len(d):,})" in _chart_title(app)
    for colour in ("iso_size", "is_degenerate", "n_conv"):
        app.selectbox(key="scatter_colour_density").set_value(colour).run()
        _ok(app)
    for population in ("unique", "non_degenerate", "all"):
        app.radio(key="scatter_population").set_value(population).run()
        _ok(app)
    app.radio(key="scatter_scale").set_value("ranks").run()
    _ok(app)
    assert f"Spearman ρ = {rho:.3f}" in _chart_title(app)  # ranks change the axes, not the statistic


def test_scatter_density_view_counts_every_architecture(app, naswot):
    """15,625 cells default to the binned density view; its cells hold every architecture exactly once."""
    _page(app, "views/scatter.py")
    app.selectbox(key="scatter_dataset").set_value("cifar10").run()
    _pick(app, "scatter_proxy", "naswot_v1 (")
    app.radio(key="scatter_population").set_value("all").run()
    assert app.radio(key="scatter_view").value == "density"
    grid = _chart_data(app)
    assert grid["archs"].to_pylist() and min(grid["archs"].to_pylist()) >= 1
    assert sum(grid["archs"].to_pylist()) == len(naswot.dropna(subset=["score"]))
    app.radio(key="scatter_view").set_value("points").run()
    _ok(app)
    assert _chart_data(app).num_rows == len(naswot.dropna(subset=["score"]))


def test_scatter_n_conv_baseline_on_each_dataset(app, mirror):
    """The n_conv baseline vs NB201 test accuracy, recomputed from the mirrored CSVs by counting ops."""
    _page(app, "views/scatter.py")
    _pick(app, "scatter_proxy", "n_conv (")
    for dataset, csv_name in [("cifar10-valid", "cifar10"), ("cifar100", "cifar100"),
                              ("ImageNet16-120", "ImageNet16-120")]:
        app.selectbox(key="scatter_dataset").set_value(dataset).run()
        _ok(app)
        with open(mirror / "nb201" / f"nasbench201_{csv_name}.csv") as f:
            rows = list(csv.DictReader(f))
        n_conv = [r["arch str"].count("conv") for r in rows]
        acc = [float(r["test accuracy"]) for r in rows]
        rho = stats.spearmanr(n_conv, acc).statistic
        assert f"Spearman ρ = {rho:.3f}" in _chart_title(app), dataset


def test_topk_lists_the_proxys_best_with_true_ranks(app, naswot):
    _page(app, "views/topk.py")
    app.selectbox(key="topk_dataset").set_value("cifar10").run()
    _pick(app, "topk_proxy", "naswot_v1 (")
    app.number_input(key="topk_k").set_value(20).run()
    _ok(app)
    d = naswot.dropna(subset=["score"]).sort_values(["score", "arch"], ascending=[False, True])
    true_rank = d["test_top1"].rank(method="min", ascending=False).astype(int)
    top = d.head(20)
    shown = _table(app, "true_rank")
    assert shown["arch_id"].tolist() == top["arch"].tolist()
    assert shown["true_rank"].tolist() == true_rank.loc[top.index].tolist()
    assert np.allclose(shown["true_value"], top["test_top1"])
    precision = (true_rank.loc[top.index] <= 20).mean()
    assert {m.label: m.value for m in app.metric}["precision@20"] == f"{precision:.3f}"
    for population in ("unique", "non_degenerate"):
        app.radio(key="topk_population").set_value(population).run()
        _ok(app)


def test_lookup_by_index_string_and_tnb101_name(app, mirror):
    _page(app, "views/lookup.py")
    with open(mirror / "nb201" / "nasbench201_cifar100.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["file id"] == "9930")
    assert row["arch str"] == ARCH_9930
    for text in ("9930", ARCH_9930):
        app.text_input(key="lookup_arch").input(text).run()
        _ok(app)
        truth = _table(app, "higher_is_better")
        c100 = truth[(truth.dataset == "cifar100") & (truth.split == "test")]["value"]
        assert c100.tolist() == pytest.approx([float(row["test accuracy"])])
        dot = app.get("graphviz_chart")[0].proto.spec
        assert dot.count("nor_conv_3x3") == 5 and '0 -> 3 [label="skip_connect"' in dot
    # NASGraph summary: the 8 graph measures of NASGRAPH.md section 3, as percentiles in the benchmark
    graph = _table(app, "percentile")
    graph = graph[graph.proxy.str.startswith("nasgraph_")]
    assert set(graph.proxy) == {f"nasgraph_{m}" for m in ("avg_degree", "edges", "nodes", "density",
                                                           "degree_entropy", "gini", "resilience", "wedges")}
    assert graph.percentile.between(0, 100).all()
    # TNB101 micro: id = 3256 + the six digits read in base 4 (README of the mirror); 3_13_022 -> 3130224
    app.text_input(key="lookup_arch").input("64-41414-3_13_022").run()
    _ok(app)
    assert f"tnb101_micro #{3256 + int('313022', 4)}" in [h.value for h in app.subheader]
    app.text_input(key="lookup_arch").input("|nor_conv_3x3~0|+|bogus~0|").run()
    assert not app.exception
    assert "malformed NB201 architecture" in app.error[0].value


def _run_sql(app: AppTest, sql: str, row_limit: int = 10_000, seconds: float = 10.0) -> AppTest:
    text_key = next(t.key for t in app.text_area if t.key.startswith("sql_text_"))
    app.text_area(key=text_key).input(sql)
    app.number_input(key="sql_row_limit").set_value(row_limit)
    app.number_input(key="sql_seconds").set_value(seconds)
    app.button[0].click().run()  # the form's "Run query"
    assert not app.exception
    return app


def test_sql_console_limits_refusals_and_downloads(app):
    _page(app, "views/sql.py")
    for example in app.selectbox(key="sql_example").options:
        app.selectbox(key="sql_example").set_value(example).run()
        _ok(app)
    _run_sql(app, "SELECT arch_id FROM archs WHERE bench = 'nb201' ORDER BY arch_id", row_limit=100)
    assert _table(app, "arch_id")["arch_id"].tolist() == list(range(100))
    assert "row limit" in app.success[0].value
    assert [b.label for b in app.get("download_button")] == ["Download CSV", "Download Parquet"]
    for sql in ["SELECT * FROM read_csv('/etc/passwd')", "COPY archs TO '/tmp/x.csv'", "ATTACH 'x.duckdb'",
                "INSTALL httpfs", "LOAD httpfs", "SET threads = 8", "PRAGMA threads = 8", "DROP TABLE archs",
                "SELECT 1; SELECT 2"]:
        _run_sql(app, sql)
        assert app.error, sql
    _run_sql(app, "SELECT count(*) FROM range(1000000000000)", seconds=1.0)
    assert "time limit" in app.error[0].value
    _run_sql(app, "SELECT count(*) AS n FROM archs")
    assert _table(app, "n")["n"].tolist() == [15625 + 3256 + 4096]


def test_busy_database_without_snapshot_shows_notice(db, tmp_path, monkeypatch):
    locked = tmp_path / "locked.duckdb"
    shutil.copyfile(db, locked)
    monkeypatch.setenv("NASDB_DB", str(locked))
    monkeypatch.setenv("NASDB_APP_SNAPSHOTS", str(tmp_path / "snapshots"))
    writer = appdb.hold_write_lock(locked, "BEGIN", "INSERT INTO meta VALUES ('writer', 'busy')")
    try:
        at = AppTest.from_file(str(MAIN), default_timeout=60).run()
        assert not at.exception
        assert "Database busy" in at.warning[0].value
    finally:
        writer.stdin.close()
        writer.wait(30)
    at.button(key="retry_busy").click().run()
    _ok(at)
    assert not at.warning


def test_busy_database_serves_the_last_snapshot(db, tmp_path, monkeypatch):
    live = tmp_path / "live.duckdb"
    shutil.copyfile(db, live)
    monkeypatch.setenv("NASDB_DB", str(live))
    monkeypatch.setenv("NASDB_APP_SNAPSHOTS", str(tmp_path / "snapshots"))
    at = AppTest.from_file(str(MAIN), default_timeout=60).run()
    _ok(at)
    # a scoring job changes the file (committed, checkpointed) and keeps holding the write lock
    writer = appdb.hold_write_lock(live, "CREATE TABLE scoring_in_progress AS SELECT * FROM range(100000)", "CHECKPOINT")
    try:
        for view in VIEWS:
            at.switch_page(view).run()
            _ok(at)
            assert "Showing the last complete state" in at.info[0].value
        _run_sql(at, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'scoring_in_progress'")
        assert _table(at, "n")["n"].tolist() == [0]  # the snapshot predates the writer
    finally:
        writer.stdin.close()
        writer.wait(30)
    at.switch_page("views/sql.py").run()
    _ok(at)
    assert not any("last complete state" in i.value for i in at.info)  # refreshed once the writer left
    _run_sql(at, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'scoring_in_progress'")
    assert _table(at, "n")["n"].tolist() == [1]


def test_evaluation_pages_show_the_stored_rows(app, naswot):
    """Rows written by `nasdb eval` (in the fixture database): heatmap, leaderboard, stored top-k, search plot."""
    _page(app, "views/correlations.py")
    d = naswot.dropna(subset=["score"])
    app.selectbox(key="corr_leader_target").set_value("cifar10 · accuracy @200").run()  # NASWOT's own target
    _ok(app)
    # like with like, as `nasdb leaderboard`: NASWOT (NaN for cut-off cells) is ranked in its own group, on its
    # own archs, next to the baselines recomputed on them; NASGraph (every cell) in the 15,625-arch group
    boards = [d.value for d in app.dataframe if "rank" in d.value.columns]
    headers = [m.value for m in app.markdown if m.value.startswith("**Group ")]
    assert len(boards) == len(headers) >= 2
    sizes = [int(h.split(": ")[1].split(" archs")[0].replace(",", "")) for h in headers]
    assert headers[0] == "**Group A: 15,625 archs**" and sizes == sorted(sizes, reverse=True)
    assert [h.split(":")[0] for h in headers] == [f"**Group {chr(65 + i)}" for i in range(len(headers))]
    for board in boards:
        assert board["rank"].tolist() == list(range(1, len(board) + 1))
        assert board["spearman"].is_monotonic_decreasing
    whole = boards[0].set_index("proxy")
    (i, naswot_group), = [(i, b.set_index("proxy")) for i, b in enumerate(boards) if "naswot_v1" in set(b["proxy"])]
    assert "nasgraph_avg_degree" in whole.index and i > 0 and sizes[i] == len(d)
    assert "n_conv" in naswot_group.index and "nasgraph_avg_degree" not in naswot_group.index
    assert naswot_group.loc["naswot_v1", "spearman"] == pytest.approx(
        stats.spearmanr(d["score"], d["test_top1"]).statistic)
    assert naswot_group.loc["n_conv", "n"] == len(d)  # the baseline ranked on NASWOT's archs, not all 15,625
    heat = _table(app, "ci_lo")
    assert (heat["ci_lo"] <= heat["value"]).all() and (heat["value"] <= heat["ci_hi"]).all()
    app.radio(key="corr_coef").set_value("kendall").run()
    _ok(app)
    app.selectbox(key="corr_leader_target").set_value("cifar10 · accuracy @200").run()
    board = next(d.value for d in app.dataframe if "rank" in d.value.columns and "naswot_v1" in set(d.value["proxy"]))
    assert board.set_index("proxy").loc["naswot_v1", "kendall"] == pytest.approx(
        stats.kendalltau(d["score"], d["test_top1"]).statistic)
    for target in app.selectbox(key="corr_leader_target").options:
        app.selectbox(key="corr_leader_target").set_value(target).run()
        _ok(app)
    _page(app, "views/topk.py")
    app.selectbox(key="topk_dataset").set_value("cifar10").run()
    _pick(app, "topk_proxy", "naswot_v1 (")
    _ok(app)
    assert set(_table(app, "precision_at_k")["k_spec"]) >= {"10"}
    assert sorted(_table(app, "n_sample")["proxy"].unique()) == ["n_conv", "naswot_v1"]  # proxy + baseline
    assert len(app.get("vega_lite_chart")) == 1


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM read_text('/etc/hostname')",
    "COPY archs TO '/tmp/nasdb_escape.csv'", "EXPORT DATABASE '/tmp/nasdb_escape'", "ATTACH '/tmp/x.duckdb'",
    "INSTALL httpfs", "LOAD httpfs", "SET enable_external_access = true", "SET lock_configuration = false",
    "PRAGMA threads = 8", "RESET memory_limit", "CREATE TABLE t (i INTEGER)", "DELETE FROM archs",
])
def test_sandboxed_connection_refuses(db, sql):
    """DuckDB itself refuses these on the app's connections (the console's statement check aside)."""
    con = app_db.open_sandboxed(db)
    try:
        with pytest.raises(duckdb.Error):
            con.execute(sql)
        assert con.execute("SELECT count(*) FROM archs WHERE bench = 'nb201'").fetchone() == (15625,)
    finally:
        con.close()


def test_app_command_serves_the_chosen_database(db, tmp_path, capsys):
    args = cli.parser().parse_args(["--db", str(db), "app", "--port", "8600", "--host", "0.0.0.0"])
    argv, env = app_command.command(Path(args.db), args.port, args.host)
    assert argv[argv.index("--server.port") + 1] == "8600"
    assert argv[argv.index("--server.address") + 1] == "0.0.0.0"
    assert env["NASDB_DB"] == str(db) and Path(argv[argv.index("run") + 1]) == MAIN
    assert cli.main(["--db", str(tmp_path / "missing.duckdb"), "app"]) == 2
    assert "no database at" in capsys.readouterr().err


def test_server_warm_up_imports_the_pages_dependencies_and_takes_the_snapshot(db, tmp_path):
    """`nasdb app` starts Streamlit through app/serve.py; a fresh interpreter after its warm-up must
    already hold what the analysis pages import, and the snapshot the first visit will read."""
    snaps = tmp_path / "snapshots"
    code = ("import sys; from app import serve; serve.warm_up(); "
            "print(*(m in sys.modules for m in ('altair', 'pandas', 'scipy.stats', 'nasdb.evaluate', 'app.ui')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=MAIN.parents[1], capture_output=True, text=True,
                         env={**os.environ, "NASDB_DB": str(db), "NASDB_APP_SNAPSHOTS": str(snaps)}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True"] * 5
    assert [p.stat().st_size for p in snaps.rglob("*.duckdb")] == [db.stat().st_size]
    argv, _ = app_command.command(db, 8600, "127.0.0.1")
    assert argv[1] == str(MAIN.parent / "serve.py")
    # a missing database must not stop the server from starting (the pages explain it)
    gone = subprocess.run([sys.executable, "-c", "from app import serve; serve.warm_up()"], cwd=MAIN.parents[1],
                          env={**os.environ, "NASDB_DB": str(tmp_path / "missing.duckdb")}, timeout=120)
    assert gone.returncode == 0
