"""NB201 cell space: grammar, NASLib conversion, isomorphism classes, degeneracy."""
from __future__ import annotations

import polars as pl
import pytest

from nasdb import sources
from nasdb.errors import ArchStringError
from nasdb.spaces import nb201

ARCH1 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


def test_isomorphism_classes_match_the_nb201_paper():
    # NB201 paper: 15,625 cells, 6,466 unique after de-duplication
    cells = nb201.all_cells()
    assert len(cells) == 15625
    assert len({nb201.canonical_expression(c) for c in cells}) == 6466


def test_isomorphic_pair_by_hand():
    # output = conv(x) through edge 0->3 either directly, or via a skip 0->1 then conv 1->3
    a = ("skip_connect", "none", "none", "none", "nor_conv_3x3", "none")
    b = ("skip_connect", "none", "none", "nor_conv_3x3", "none", "none")
    c = ("skip_connect", "none", "none", "nor_conv_1x1", "none", "none")
    assert nb201.canonical_expression(a) == nb201.canonical_expression(b) != nb201.canonical_expression(c)


def test_degenerate_cells():
    assert nb201.is_degenerate(("nor_conv_3x3", "none", "nor_conv_3x3", "none", "none", "none"))
    assert not nb201.is_degenerate(("none", "none", "none", "avg_pool_3x3", "none", "none"))
    # 0->1->2->3 path only
    assert not nb201.is_degenerate(("skip_connect", "none", "skip_connect", "none", "none", "skip_connect"))
    # with 3 edges into the output all `none`, every cell is degenerate: 5^3 of them
    assert sum(nb201.is_degenerate(c) for c in nb201.all_cells() if c[3:] == ("none",) * 3) == 125


def test_naslib_tuples_round_trip_for_all_archs_against_hwnas_file(cache, mirror):
    """HW-NAS-Bench lists the NASLib tuple per NB201 index; our conversion of the official string must agree."""
    gt = pl.read_csv(sources.verified_path("nb201/nasbench201_cifar10.csv", cache, mirror)).sort("file id")
    hw = pl.read_csv(sources.verified_path("hwnas/graf_hw_nas_bench/hw_cifar10.csv", cache, mirror))
    assert gt.height == hw.height == 15625
    for s, net in zip(gt["arch str"], hw["net"]):
        cell = nb201.parse(s)
        assert nb201.naslib_string(cell) == net
        assert nb201.to_string(nb201.from_naslib(net)) == s


@pytest.mark.parametrize("bad", [
    "", "|nor_conv_3x3~0|", ARCH1.replace("~1|+", "~2|+"), ARCH1.replace("nor_conv_3x3~0", "conv_5x5~0", 1),
    ARCH1[:-1], 42,
])
def test_malformed_strings_show_the_grammar(bad):
    with pytest.raises(ArchStringError, match=r"expected an NB201 cell string '\|op~0\|\+"):
        nb201.parse(bad)


def test_malformed_naslib_key():
    with pytest.raises(ArchStringError, match="NASLib"):
        nb201.from_naslib("(0, 1, 2)")
    with pytest.raises(ArchStringError, match="NASLib"):
        nb201.from_naslib((0, 1, 2, 3, 4, 5))
