"""The Space protocol: registry, exact parsing, conversions, neighbours and cell graphs of every space."""
from __future__ import annotations

import itertools
import json
import random

import networkx as nx
import pytest

from nasdb import spaces
from nasdb.errors import ArchStringError, NasdbError

NB201_ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
EXAMPLES = {"nb201": NB201_ARCH, "tnb101_micro": "64-41414-1_02_123", "tnb101_macro": "64-2311-basic",
            "nb101": "00005c142e6f48ac74fdcf73e3439874",
            "nb301": "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
                     "('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), "
                     "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
                     "('max_pool_3x3', 1), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), "
                     "('skip_connect', 2), ('max_pool_3x3', 1), ('skip_connect', 2)], reduce_concat=[2, 3, 4, 5])"}


def _nds_examples() -> dict[str, str]:
    """Every NDS sweep: the canonical key of the first fixture net of its family (tests/fixtures/nds)."""
    from pathlib import Path

    from nasdb.spaces import nds

    nets = {}
    for path in sorted((Path(__file__).parent / "fixtures" / "nds").glob("*.json")):
        data = json.loads(path.read_text())
        nets.setdefault(nds.family_of(path.stem), (data["top"] if isinstance(data, dict) else data)[0]["net"])
    out = {}
    for sweep in nds.SWEEPS:
        space = spaces.get(nds.bench_of(sweep))
        out[space.bench] = space.key(space.parse(nets[nds.family_of(sweep)]))
    return out


EXAMPLES.update(_nds_examples())


def test_registry_discovers_every_space_module():
    assert set(spaces.bench_ids()) == {"nb201", "nb101", "tnb101_micro", "tnb101_macro", "nb301"} | {
        b for b in spaces.bench_ids() if b.startswith("nds_")}
    assert sum(b.startswith("nds_") for b in spaces.bench_ids()) == 26  # the NDS release's sweeps
    assert [s.bench for s in spaces.all_spaces()] == list(spaces.bench_ids())
    with pytest.raises(NasdbError, match="unknown benchmark 'nb999'"):
        spaces.get("nb999")


@pytest.mark.parametrize("bench, n", [("nb201", 15_625), ("tnb101_micro", 4_096), ("tnb101_macro", 3_256)])
def test_published_space_sizes(bench, n):
    space = spaces.get(bench)
    keys = list(space.enumerate())
    assert len(keys) == len(set(keys)) == space.n_archs == n
    assert all(space.key(space.parse(k)) == k for k in keys)


def test_macro_space_is_exactly_the_official_3256_of_all_grammar_strings():
    """Every '64-<4..6 digits 1..4>-basic' string (5,376): exactly the official 3,256 are accepted."""
    space = spaces.get("tnb101_macro")
    accepted = set()
    for n in (4, 5, 6):
        for digits in itertools.product("1234", repeat=n):
            s = f"64-{''.join(digits)}-basic"
            try:
                accepted.add(space.key(space.parse(s)))
            except ArchStringError:
                pass
    assert len(accepted) == 3256 and accepted == set(space.enumerate())
    for bad in ("64-1111-basic", "64-333333-basic", "64-44444-basic"):  # no doubling / 6 downsamplings / 5
        with pytest.raises(ArchStringError, match="not in the space"):
            space.parse(bad)


def test_tnb101_official_index_rule():
    micro, macro = spaces.get("tnb101_micro"), spaces.get("tnb101_macro")
    assert spaces.convert("tnb101_micro", "64-41414-0_00_000", "index") == 3256
    assert spaces.convert("tnb101_micro", "64-41414-3_33_333", "index") == 7351
    assert spaces.convert("tnb101_micro", 3257, "official") == "64-41414-0_00_001"
    for i in random.Random(0).sample(micro.ids, 50):
        assert micro.index_of(micro.at_index(i)) == i
    assert [macro.key(macro.at_index(i)) for i in macro.ids] == list(macro.enumerate())


@pytest.mark.parametrize("bench", sorted(EXAMPLES))
def test_every_encoding_parses_back_to_the_same_spec(bench):
    space = spaces.get(bench)
    spec = space.parse(EXAMPLES[bench])
    assert space.key(spec) == EXAMPLES[bench]
    for name, encode in space.encodings.items():
        value = encode(spec)
        assert space.parse(value) == spec, name
        if isinstance(value, dict):
            assert space.parse(json.dumps(value)) == spec, name


def test_naslib_encodings_match_naslib_conventions():
    # NASLib's NB201 op ids: skip 0, none 1, conv3x3 2, conv1x1 3, avg_pool 4; edges 0-1 0-2 0-3 1-2 1-3 2-3
    assert spaces.convert("nb201", NB201_ARCH, "naslib") == "(2, 2, 0, 4, 2, 0)"
    assert spaces.convert("tnb101_macro", "64-2311-basic", "naslib") == "(2, 3, 1, 1, 0, 0)"
    assert spaces.convert("nb101", EXAMPLES["nb101"], "hash") == EXAMPLES["nb101"]
    with pytest.raises(NasdbError, match="nb201 has no 'hash' encoding"):
        spaces.convert("nb201", NB201_ARCH, "hash")


def test_nb101_index_is_the_sorted_hash_position_and_zeros_are_no_hash():
    assert spaces.convert("nb101", "0", "official") == EXAMPLES["nb101"]  # the smallest published hash
    assert spaces.convert("nb101", EXAMPLES["nb101"], "index") == 0
    with pytest.raises(ArchStringError, match="not the module hash"):
        spaces.convert("nb101", "0" * 32, "index")


@pytest.mark.parametrize("bench, size", [("nb201", 24), ("tnb101_micro", 18)])
def test_edge_cell_neighbours_change_one_op_and_are_symmetric(bench, size):
    space = spaces.get(bench)
    keys = random.Random(1).sample(list(space.enumerate()), 30)
    for key in keys:
        nbrs = space.neighbours(space.parse(key))
        assert len(nbrs) == len(set(nbrs)) == size and key not in nbrs
        for n in nbrs[:5]:
            assert key in space.neighbours(space.parse(n))
            assert sum(a != b for a, b in zip(space.parse(n), space.parse(key))) == 1


def test_macro_and_nb101_neighbours_stay_in_the_space():
    macro = spaces.get("tnb101_macro")
    nbrs = macro.neighbours(macro.parse("64-2311-basic"))
    assert "64-4311-basic" in nbrs and "64-23111-basic" in nbrs and "64-1311-basic" not in nbrs  # no doubling left
    nb101 = spaces.get("nb101")
    cell = nb101.parse(EXAMPLES["nb101"])
    nbrs = nb101.neighbours(cell)
    assert nbrs and EXAMPLES["nb101"] not in nbrs
    assert all(nb101.key(nb101.parse(h)) == h for h in nbrs)  # each is one of the 423,624 enumerated hashes


def test_cell_graphs_put_ops_on_nodes():
    nb201 = spaces.get("nb201")
    cell = nb201.parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")
    g = nb201.cell_graph(cell)
    assert nx.is_directed_acyclic_graph(g) and g.number_of_nodes() == 8
    assert [g.nodes[n]["op"] for n in (0, 7)] == ["input", "output"]
    # edge 0->1 (conv) feeds the ops leaving node 1 (1->2, 1->3); the skip 0->3 feeds the output
    assert set(g.successors(1)) == {3, 5} and set(g.successors(4)) == {7}
    live = spaces.computational(g)
    assert sorted(op for _, op in live.nodes(data="op")) == ["input", "output", "skip_connect"]  # conv leads nowhere
    macro = spaces.get("tnb101_macro")
    assert [op for _, op in macro.cell_graph(macro.parse("64-2311-basic")).nodes(data="op")][1] == "channels ×2"
    nb101 = spaces.get("nb101")
    cell = nb101.parse(EXAMPLES["nb101"])
    assert nb101.cell_graph(cell).number_of_edges() == cell.n_edges


def test_every_space_draws_its_cell():
    for space in map(spaces.get, EXAMPLES):
        drawing = space.dot(space.parse(EXAMPLES[space.bench]))
        assert drawing.startswith("digraph") and drawing.rstrip().endswith("}")


def test_convert_command_offers_exactly_the_conversions():
    from nasdb.commands.convert import TARGETS

    assert TARGETS == spaces.CONVERSIONS


def test_convert_command_prints_one_line_or_one_error(capsys):
    from nasdb import cli

    assert cli.main(["convert", "tnb101_micro", "3256", "--to", "naslib"]) == 0
    assert capsys.readouterr().out == "(0, 0, 0, 0, 0, 0)\n"
    assert cli.main(["convert", "tnb101_macro", "64-1111-basic", "--to", "index"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not in the space" in err


@pytest.mark.parametrize("bench, arch, task", [
    ("nb101", "00005c142e6f48ac74fdcf73e3439874garbage", None),  # was scored as its 32-character prefix
    ("tnb101_macro", "64-1111-basic", "class_scene"),             # was scored, outside the 3,256
    ("tnb101_macro", "64-333333-basic", "segmentsemantic"),       # was a ZeroDivisionError
    ("tnb101_macro", "64-333333-basic", "class_scene"),           # was torch's RuntimeError
    ("nb101", "0" * 32, None),
    ("nb201", "１２", None),
])
def test_score_refuses_architectures_outside_the_space(bench, arch, task):
    import nasdb

    with pytest.raises(ArchStringError):
        nasdb.score(bench, arch, task=task)
