"""Batches for the zero-cost proxies: synthetic, Debian's fashion-mnist, and CIFAR-10 python files
(a small fixture written here in torchvision's format)."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from nasdb.errors import NasdbError
from nasdb.proxies.zc import data


def test_synthetic_is_seeded_and_shaped():
    a = data.draw("synthetic", 6, 3, (3, 16, 16), 120)
    assert a.x.shape == (6, 3, 16, 16) and a.y.dtype == torch.int64 and a.y.max() < 120
    assert torch.equal(a.x, data.draw("synthetic", 6, 3, (3, 16, 16), 120).x)
    assert not torch.equal(a.x, data.draw("synthetic", 6, 4, (3, 16, 16), 120).x)


@pytest.mark.skipif(not data.FASHION_MNIST.exists(), reason="apt-get install dataset-fashion-mnist")
def test_fashion_mnist_padded_to_32_and_three_channels():
    b = data.draw("fashion-mnist", 16, 0, (3, 32, 32), 10)
    assert b.x.shape == (16, 3, 32, 32)
    assert torch.equal(b.x[:, 0], b.x[:, 2])  # one grey channel, replicated
    black = (0 - data.FASHION_MEAN) / data.FASHION_STD
    assert torch.allclose(b.x[:, :, :2, :], torch.tensor(black))  # the 2-pixel padding border
    assert b.x.max() <= (1 - data.FASHION_MEAN) / data.FASHION_STD + 1e-5
    assert set(b.y.tolist()) <= set(range(10)) and len(set(b.y.tolist())) > 3  # real labels of a real set
    assert not torch.equal(b.x, data.draw("fashion-mnist", 16, 1, (3, 32, 32), 10).x)
    small = data.draw("fashion-mnist", 4, 0, (3, 16, 16), 120)
    assert small.x.shape == (4, 3, 16, 16)


def write_cifar(root, n_per_file=(5, 3)):
    """CIFAR-10 python batches: pickled dicts, b'data' N x 3072 uint8 (channel-major), b'labels'."""
    d = root / "cifar-10-batches-py"
    d.mkdir()
    rng = np.random.default_rng(0)
    images, labels = [], []
    for i, n in enumerate(n_per_file, start=1):
        x = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        y = [int(v) for v in rng.integers(0, 10, size=n)]
        with open(d / f"data_batch_{i}", "wb") as fh:
            pickle.dump({b"batch_label": b"fixture", b"data": x, b"labels": y}, fh)
        images.append(x)
        labels.extend(y)
    return d, np.concatenate(images).reshape(-1, 3, 32, 32), np.array(labels)


def test_cifar10_python_format(tmp_path):
    d, images, labels = write_cifar(tmp_path)
    spec = f"cifar10:{tmp_path}"
    assert data.parse(spec) == spec
    b = data.draw(spec, 8, 0, (3, 32, 32), 10)
    mean = np.array(data.CIFAR_MEAN, np.float32)[:, None, None]
    std = np.array(data.CIFAR_STD, np.float32)[:, None, None]
    expected = (images.astype(np.float32) / 255.0 - mean) / std
    for x, y in zip(b.x.numpy(), b.y.numpy()):  # each drawn image is one of the fixture's, with its label
        hit = [i for i in range(len(expected)) if np.allclose(expected[i], x, atol=1e-5)]
        assert len(hit) == 1 and labels[hit[0]] == y
    assert data.draw(f"cifar10:{d}", 8, 0, (3, 32, 32), 10).x.equal(b.x)  # the batches folder itself works too


def test_bad_sources_are_one_line_errors(tmp_path):
    with pytest.raises(NasdbError, match="unknown data source 'imagenet'"):
        data.parse("imagenet")
    with pytest.raises(NasdbError, match="no data_batch_"):
        data.parse(f"cifar10:{tmp_path}")
    d = tmp_path / "cifar-10-batches-py"
    d.mkdir()
    (d / "data_batch_1").write_bytes(b"not a pickle")
    with pytest.raises(NasdbError, match="data_batch_1: not a CIFAR-10 python batch"):
        data.draw(f"cifar10:{tmp_path}", 2, 0, (3, 32, 32), 10)
    with pytest.raises(NasdbError, match="fewer than the batch size"):
        d2 = tmp_path / "small"
        d2.mkdir()
        write_cifar(d2, (2,))
        data.draw(f"cifar10:{d2}", 5, 0, (3, 32, 32), 10)
    with pytest.raises(NasdbError, match="positive"):
        data.draw("synthetic", 0, 0, (3, 32, 32), 10)


def test_targets_per_task_kind():
    b = data.draw("synthetic", 4, 0, (3, 8, 8), 10)
    assert torch.equal(data.for_task(b, "classification", 3, 1).y, b.y % 3)
    reg = data.for_task(b, "regression", 9, 1)
    assert reg.y.shape == (4, 9) and reg.y.is_floating_point()
    seg = data.for_task(b, "segmentation", 17, 1)
    assert seg.y.shape == (4, 8, 8) and seg.y.max() < 17 and not seg.y.is_floating_point()
    assert torch.equal(data.for_task(b, "reconstruction", 3, 1).y, b.x)
    assert torch.equal(data.for_task(b, "segmentation", 17, 1).y, seg.y)  # seeded
    with pytest.raises(NasdbError, match="unknown task kind"):
        data.for_task(b, "detection", 3, 1)


@pytest.mark.parametrize("source", ["synthetic", "fashion-mnist"])
def test_jigsaw_tiles_are_the_image_cut_in_reading_order(source):
    if source == "fashion-mnist" and not data.FASHION_MNIST.exists():
        pytest.skip("apt-get install dataset-fashion-mnist")
    tiles = data.draw(source, 2, 5, (9, 3, 8, 8), 1000)
    whole = data.draw(source, 2, 5, (3, 24, 24), 1000)
    assert tiles.x.shape == (2, 9, 3, 8, 8) and torch.equal(tiles.y, whole.y)
    for t in range(9):
        r, c = divmod(t, 3)
        assert torch.equal(tiles.x[:, t], whole.x[:, :, 8 * r:8 * r + 8, 8 * c:8 * c + 8])
