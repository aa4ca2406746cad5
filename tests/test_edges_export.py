"""Export edges from the bad-input campaign (issue 10): awkward paths, unwritable targets, re-exports."""
from __future__ import annotations

import os

import polars as pl
import pytest

from nasdb import cli, store


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "tiny.duckdb"
    con = store.connect(path)
    con.execute("INSERT INTO benchmarks VALUES ('toy', 'Toy', 3, NULL, NULL)")
    con.execute("INSERT INTO archs (bench, arch_id, arch_key, n_conv) VALUES ('toy', 0, 'a0', 0), ('toy', 1, 'a1', 1), "
                "('toy', 2, 'a2', 2)")
    con.close()
    return path


def _export(db, target, *extra) -> int:
    return cli.main(["--db", str(db), "export", "--format", "parquet", str(target), *extra])


def _leftovers(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if "tmp" in p.name.lower())


def test_a_quote_in_the_path_is_just_a_character(db, tmp_path, capsys):
    out = tmp_path / "out" / "it's"
    assert _export(db, out, "--wide") == 0, capsys.readouterr().err
    assert pl.read_parquet(out / "archs.parquet")["arch_key"].to_list() == ["a0", "a1", "a2"]
    assert pl.read_parquet(out / "wide_toy.parquet").height == 3
    assert "## archs.parquet (3 rows)" in (out / "README.md").read_text()
    assert _leftovers(tmp_path) == []


def _one_line_exit_2(capsys, code: int, *words: str) -> None:
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert all(w in err for w in words), err


def test_parent_is_a_file(db, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    _one_line_exit_2(capsys, _export(db, tmp_path / "file" / "out"), "cannot create export directory")
    assert (tmp_path / "file").read_text() == "x" and _leftovers(tmp_path) == []


def test_a_table_path_that_is_a_directory(db, tmp_path, capsys):
    out = tmp_path / "out"
    (out / "archs.parquet").mkdir(parents=True)
    _one_line_exit_2(capsys, _export(db, out), "archs.parquet", "is a directory")
    assert sorted(p.name for p in out.iterdir()) == ["archs.parquet"] and _leftovers(tmp_path) == []


def test_a_read_only_target(db, tmp_path, capsys):
    """/proc/self is a directory no one, root included, can create files in (tests run as root here,
    where chmod would not stop a write)."""
    _one_line_exit_2(capsys, _export(db, "/proc/self"), "/proc/self", "nothing written")
    assert not [p for p in os.listdir("/proc/self") if "nasdb" in p]
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if os.access(ro, os.W_OK):  # root: permission bits do not apply, /proc covered the case above
        return
    _one_line_exit_2(capsys, _export(db, ro), "nothing written")
    assert list(ro.iterdir()) == []


def test_re_export_removes_the_earlier_exports_files_only(db, tmp_path, capsys):
    out = tmp_path / "out"
    assert _export(db, out, "--wide") == 0
    assert (out / "wide_toy.parquet").exists()
    (out / "notes.parquet").write_bytes(b"the user's own file")
    assert _export(db, out) == 0  # no --wide this time
    names = sorted(p.name for p in out.iterdir())
    assert "wide_toy.parquet" not in names and "notes.parquet" in names and "archs.parquet" in names
    assert (out / "notes.parquet").read_bytes() == b"the user's own file"
    assert "wide_toy" not in (out / "README.md").read_text()
    assert _leftovers(tmp_path) == []
