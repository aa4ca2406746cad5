"""TransNAS-Bench-101 networks: parameter counts against NAS-Bench-Suite-Zero's, shapes, seeding.

Suite-Zero's ``params`` (NASLib building TNB101's networks; millions with 6 decimals, i.e. exact
units) cover ~700 archs per task in each space. Counting ~10,000 networks module by module is too
slow for a test, so the full check counts from the builder's own parts (stem, each module's blocks,
the task's decoder: each distinct part built once on the meta device) and a sample of real networks
checks that this count equals ``sum(p.numel())``.
"""
from __future__ import annotations

import functools
import json
import os

import pytest
import torch

from nasdb import sources, spaces
from nasdb.errors import NasdbError
from nasdb.nets import n_parameters, tnb101 as nets

SZ = "zc/naslib_nbsuitezero_early/zc_transbench101_{}.json"
SAMPLE = int(os.environ.get("NASDB_NETS_SAMPLE", "1"))
# NASLib's classifier widths where they differ from the official configs (47 scenes, 75 objects):
# the only difference between its networks and the official ones (see docs/networks.md)
NASLIB_CLASSES = {"class_scene": 63, "class_object": 100}


@functools.cache
def _count(kind: str, *key) -> int:
    """Parameters of one part, built once on the meta device (no memory, no initialisation)."""
    factory = {"stem": lambda: nets.encoder((), None)[0], "op": nets.micro_op, "basic": nets.BasicBlock,
               "decoder": nets.decoder}[kind]
    with torch.device("meta"):
        return n_parameters(factory(*key))


def _cell(ops: tuple[str, ...], c_in: int, c_out: int, stride: int) -> int:
    """A micro cell: edges leaving node 0 change the shape, the others keep it."""
    return sum(_count("op", op, c_in, c_out, stride) if i == 0 else _count("op", op, c_out, c_out, 1)
               for op, (i, _) in zip(ops, nets.MICRO_EDGES))


def analytic_params(task: str, modules: tuple[int, ...], cell: tuple[str, ...] | None) -> int:
    total, channels, stride = _count("stem"), nets.BASE_CHANNELS, 4
    for digit in modules:
        c_out, s = (2 * channels if digit % 2 == 0 else channels), (2 if digit > 2 else 1)
        for c_in, block_stride in ((channels, s), (c_out, 1)):
            total += (_cell(cell, c_in, c_out, block_stride) if cell is not None
                      else _count("basic", c_in, c_out, block_stride))
        channels, stride = c_out, stride * s
    return total + _count("decoder", task, channels, stride)


def micro(digits) -> tuple[tuple[int, ...], tuple[str, ...]]:
    return (4, 1, 4, 1, 4), tuple(nets.MICRO_OPS[d] for d in digits)


def macro(digits) -> tuple[tuple[int, ...], None]:
    return tuple(digits), None


SPACES = [("tnb101_micro", micro), ("tnb101_macro", macro)]  # bench, spec -> (module digits, cell ops)


@pytest.fixture(scope="module")
def suite_zero(cache, mirror) -> dict[str, dict]:
    return {bench: json.loads(sources.verified_path(SZ.format(bench.split("_")[1]), cache, mirror).read_bytes())
            for bench in ("tnb101_micro", "tnb101_macro")}


@pytest.mark.parametrize("bench,arch", SPACES)
def test_counts_equal_suite_zero_params(bench, arch, suite_zero):
    space = spaces.get(bench)
    checked = 0
    for task, records in suite_zero[bench].items():
        for key, record in records.items():
            modules, cell = arch(space.parse(key))
            ours = analytic_params(task, modules, cell)
            theirs = record["params"]["score"] * 1e6
            if task in NASLIB_CLASSES:  # one bias + one weight per encoder output channel, per class
                channels = nets.BASE_CHANNELS * 2 ** sum(d % 2 == 0 for d in modules)
                theirs -= (NASLIB_CLASSES[task] - nets.TASKS[task][1]) * (channels + 1)
            assert abs(ours - theirs) < 0.5, (bench, task, key, ours, record["params"]["score"])
            checked += 1
    assert checked > 4_500


@pytest.mark.parametrize("task", list(nets.TASKS))
def test_analytic_count_equals_real_networks(task, suite_zero):
    for bench, arch in SPACES:
        space = spaces.get(bench)
        for key in list(suite_zero[bench][task])[:SAMPLE]:
            spec = space.parse(key)
            net = space.network(spec, task, seed=0)
            assert n_parameters(net) == analytic_params(task, *arch(spec)), (bench, task, key)


@pytest.mark.parametrize("task,shape,out", [
    ("class_scene", (3, 64, 64), (47,)), ("room_layout", (3, 64, 64), (9,)),
    ("jigsaw", (9, 3, 32, 32), (1000,)),
    ("segmentsemantic", (3, 64, 64), (17, 64, 64)), ("autoencoder", (3, 64, 64), (3, 64, 64))])
def test_forward_shapes(task, shape, out):
    """Small inputs keep this fast; dense decoders upsample back to the input size at any multiple of 32."""
    net = spaces.get("tnb101_micro").network(spaces.spec_of("tnb101_micro", "64-41414-1_23_013"), task, seed=0)
    assert net.eval()(torch.randn(1, *shape)).shape == (1, *out)  # eval: 1x1 maps in BN at batch 1
    assert nets.input_shape(task) == ((9, 3, 64, 64) if task == "jigsaw" else (3, 256, 256))


def test_macro_forward_at_benchmark_resolution():
    net = spaces.get("tnb101_macro").network(spaces.spec_of("tnb101_macro", "64-2311-basic"), "class_object", seed=0)
    assert net(torch.randn(1, *nets.input_shape("class_object"))).shape == (1, 75)


def test_seed_and_unknown_task():
    space = spaces.get("tnb101_micro")
    spec = space.parse("64-41414-3_33_333")
    a, b = space.network(spec, "room_layout", seed=5), space.network(spec, "room_layout", seed=5)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    with pytest.raises(NasdbError, match="unknown TransNAS-Bench-101 task 'depth'"):
        space.network(spec, "depth")


def suite_zero_flops(net: torch.nn.Module, x: torch.Tensor) -> float:
    """MFLOPs of one forward of ``net`` on ``x`` counted per layer as Suite-Zero's numbers are counted
    (NASLib uses tensorwatch's torchstat-style counter): convolutions multiply-adds (+1 per output with
    a bias), BatchNorm 2 per element, ReLU/LeakyReLU and pools 1 per input element, linear in x out,
    transposed convolutions 0; global average pooling C x (H + 1)^2, a convention read off the data
    (the only remainder, on every arch and task checked)."""
    total = 0

    def hook(m, inputs, out):
        nonlocal total
        inp = inputs[0]
        if isinstance(m, torch.nn.Conv2d):
            total += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
            total += out.numel() if m.bias is not None else 0
        elif isinstance(m, torch.nn.BatchNorm2d):
            total += 2 * inp.numel()
        elif isinstance(m, (torch.nn.ReLU, torch.nn.LeakyReLU, torch.nn.AvgPool2d, torch.nn.MaxPool2d)):
            total += inp.numel()
        elif isinstance(m, torch.nn.AdaptiveAvgPool2d):
            total += inp.shape[0] * inp.shape[1] * (inp.shape[2] + 1) * (inp.shape[3] + 1)
        elif isinstance(m, torch.nn.Linear):
            total += inp.shape[0] * m.in_features * m.out_features

    handles = [m.register_forward_hook(hook) for m in net.modules()]
    with torch.no_grad():
        net.eval()(x)
    for h in handles:
        h.remove()
    return total / 1e6


@pytest.mark.slow
@pytest.mark.parametrize("bench,arch", SPACES)
def test_flops_equal_suite_zero_on_a_sample(bench, arch, suite_zero):
    """Jigsaw: Suite-Zero counts the encoder on ONE 64x64 tile (not nine), then the 9-tile head."""
    space = spaces.get(bench)
    for task, records in suite_zero[bench].items():
        for key in list(records)[-SAMPLE:]:  # the pooling convention was read off the first records
            net = space.network(space.parse(key), task, seed=0)
            shape = space.input_shape(task)
            if task == "jigsaw":
                tile = torch.randn(1, *shape[1:])
                features = net.encoder.eval()(tile).detach().repeat(1, shape[0], 1, 1)
                ours = suite_zero_flops(net.encoder, tile) + suite_zero_flops(net.decoder, features)
            else:
                ours = suite_zero_flops(net, torch.randn(1, *shape))
            if task in NASLIB_CLASSES:
                ours += (NASLIB_CLASSES[task] - nets.TASKS[task][1]) * net.decoder[-1].in_features / 1e6
            assert ours == pytest.approx(records[key]["flops"]["score"], abs=1e-6), (bench, task, key)
