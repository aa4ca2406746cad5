"""nasdb.network: every space's network through the Space protocol, from any accepted encoding."""
from __future__ import annotations

import json

import pytest
import torch

import nasdb
from nasdb import sources, spaces
from nasdb.errors import NasdbError
from nasdb.nets import n_parameters

NB201_BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def test_nb201_by_string_and_naslib_tuple_give_the_same_network():
    a = nasdb.network("nb201", NB201_BEST, "cifar100", seed=0)
    b = nasdb.network("nb201", spaces.convert("nb201", NB201_BEST, "naslib"), "cifar100", seed=0)
    # five 3x3 convs: 1,288,506 on cifar10 (NASWOT/NASLib), plus 90 more classes x (64 weights + bias)
    assert n_parameters(a) == n_parameters(b) == 1_288_506 + 90 * 65
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_nb101_by_spec_dict(cache, mirror):
    """The first published cell, given as google nasbench's ModelSpec-style dict."""
    d = json.loads(sources.verified_path("nb101/nasbench_vis/data-1k.json", cache, mirror).read_bytes())
    adjacency, codes = d["adjacency"][0], d["operations"][0]
    keep = [i for i, c in enumerate(codes) if c != -3]  # drop the padding vertices
    names = {-1: "input", -2: "output", 0: "conv3x3-bn-relu", 1: "conv1x1-bn-relu", 2: "maxpool3x3"}
    arch = {"matrix": [[adjacency[i][j] for j in keep] for i in keep], "ops": [names[codes[i]] for i in keep]}
    net = nasdb.network("nb101", arch)
    assert n_parameters(net) == d["trainable_parameters"][0]
    assert net(torch.randn(1, 3, 32, 32)).shape == (1, 10)


def test_the_trained_benchmarks_have_networks():
    assert {"nb201", "nb101", "tnb101_micro", "tnb101_macro"} <= {s.bench for s in spaces.all_spaces() if s.network}


@pytest.mark.parametrize("bench", [s.bench for s in spaces.all_spaces() if s.network is not None])
def test_every_network_builds_its_first_architecture_on_cpu(bench):
    space = spaces.get(bench)
    if space.at_index is None or space.ids is None or space.n_archs > 100_000:
        pytest.skip(f"{bench}: no index rule, or an enumeration too slow for a unit test; see its own tests")
    net = space.network(space.at_index(space.ids.start), None, seed=0, device="cpu")
    assert n_parameters(net) > 0 and next(net.parameters()).device.type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_device():
    net = nasdb.network("nb201", NB201_BEST, seed=0, device="cuda")
    assert next(net.parameters()).is_cuda


def test_bad_input_is_a_named_error():
    with pytest.raises(NasdbError, match="unknown benchmark"):
        nasdb.network("nb999", NB201_BEST)
    with pytest.raises(NasdbError):
        nasdb.network("nb201", "|nor_conv_9x9~0|")
