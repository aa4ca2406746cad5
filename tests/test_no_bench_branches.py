"""Benchmark knowledge lives in nasdb/spaces/ (and the ingest jobs): no other module branches on a
benchmark id. Checked on the syntax tree: a string constant equal to a bench id (or a prefix of one,
in ``startswith``) inside a comparison, an if/while/conditional test, a match pattern, or as a key
of a dict literal (dispatch tables) is a branch."""
from __future__ import annotations

import ast
from pathlib import Path

from nasdb import spaces

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("nasdb", "app")  # ingest/, tests/ and bench/ may name benchmarks; so may nasdb/spaces/
EXEMPT = (ROOT / "nasdb" / "spaces",)


def _bench_constants(node: ast.AST, ids: tuple[str, ...]) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and n.value in ids]


def branches(tree: ast.AST, ids: tuple[str, ...]) -> list[tuple[int, str]]:
    """(line, bench id) of every place that branches on a bench id."""
    found = []
    for node in ast.walk(tree):
        tested: list[ast.AST] = []
        if isinstance(node, ast.Compare):
            tested = [node.left, *node.comparators]
        elif isinstance(node, ast.If | ast.While | ast.IfExp):
            tested = [node.test]
        elif isinstance(node, ast.match_case):
            tested = [node.pattern]
        elif isinstance(node, ast.Dict):
            tested = [k for k in node.keys if k is not None]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("startswith", "endswith")):
            found += [(node.lineno, a.value) for a in node.args if isinstance(a, ast.Constant)
                      and isinstance(a.value, str) and len(a.value) >= 3 and any(b.startswith(a.value) for b in ids)]
        for t in tested:
            found += [(getattr(node, "lineno", t.lineno if hasattr(t, "lineno") else 0), c)
                      for c in _bench_constants(t, ids)]
    return sorted(set(found))


def test_the_detector_sees_each_kind_of_branch():
    ids = ("nb201", "tnb101_micro")
    code = '''
if bench == "nb201": pass
x = 1 if b in ("nb201", "other") else 2
match b:
    case "tnb101_micro": pass
table = {"nb201": f}
ok = b.startswith("tnb101_")
fine = f"{'nb201'}" ; label = "nb201 cells"
'''
    lines = sorted({line for line, _ in branches(ast.parse(code), ids)})
    assert lines == [2, 3, 5, 6, 7]


def test_no_module_outside_the_spaces_branches_on_a_benchmark_id():
    ids = spaces.bench_ids()
    offenders = []
    for top in CHECKED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if any(path.is_relative_to(e) for e in EXEMPT):
                continue
            for line, bench in branches(ast.parse(path.read_text(encoding="utf-8")), ids):
                offenders.append(f"{path.relative_to(ROOT)}:{line} branches on {bench!r}")
    assert not offenders, "ask nasdb.spaces instead:\n" + "\n".join(offenders)
