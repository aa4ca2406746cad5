"""Where a proxy's batch comes from: ``synthetic``, ``fashion-mnist`` or ``cifar10:PATH``.

A batch is drawn from the source with a generator seeded by the run seed only, so every architecture
of a run sees the same images (values never depend on chunking, order or worker) and comparisons
between architectures are not blurred by batch noise. Images are resized to the network's input
resolution with bilinear interpolation when it is not 32x32.

* ``synthetic``: N(0, 1) pixels, labels uniform over the network's classes.
* ``fashion-mnist``: the training images of Debian's ``dataset-fashion-mnist`` package
  (``/usr/share/datasets/fashion-mnist``), 28x28 zero-padded to 32x32, replicated to 3 channels,
  normalised with the set's mean/std.
* ``cifar10:PATH``: torchvision's CIFAR-10 python format (``PATH`` = ``cifar-10-batches-py`` or the
  folder holding it; pickled ``data_batch_*`` dicts with ``data`` N x 3072 uint8 and ``labels``),
  normalised with the usual CIFAR-10 mean/std.
Labels >= the network's number of classes are taken modulo it.
"""
from __future__ import annotations

import gzip
import math
import pickle
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from nasdb.errors import NasdbError

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
FASHION_MEAN, FASHION_STD = 0.2860, 0.3530
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2470, 0.2435, 0.2616)
SOURCES = "synthetic, fashion-mnist or cifar10:PATH"


@dataclass(frozen=True)
class Batch:
    x: torch.Tensor  # float32 N x C x H x W (N x tiles x C x h x w for a jigsaw network)
    y: torch.Tensor  # the loss target: int64 class labels N (or N x H x W), or float regression targets


KINDS = ("classification", "regression", "segmentation", "reconstruction")
LOSSES = {"classification": F.cross_entropy, "regression": F.mse_loss, "segmentation": F.cross_entropy,
          "reconstruction": F.l1_loss}


def for_task(batch: Batch, kind: str, n_outputs: int, seed: int) -> Batch:
    """The batch with targets for a network trained on a ``kind`` task. Only classification uses the
    source's labels; the others get seeded stand-ins (regression: N(0, 1) per output; segmentation:
    uniform classes per pixel; reconstruction: the input image itself, as an autoencoder's)."""
    g = torch.Generator().manual_seed(seed)
    n, (h, w) = len(batch.x), batch.x.shape[-2:]
    if kind == "classification":
        return Batch(batch.x, batch.y % n_outputs)
    if kind == "regression":
        return Batch(batch.x, torch.randn((n, n_outputs), generator=g))
    if kind == "segmentation":
        return Batch(batch.x, torch.randint(0, n_outputs, (n, h, w), generator=g))
    if kind == "reconstruction":
        return Batch(batch.x, batch.x)
    raise NasdbError(f"unknown task kind {kind!r}; expected one of {', '.join(KINDS)}")


def parse(spec: str) -> str:
    """Validate a ``--data`` value early (so a bad path fails before any work); returns it normalised."""
    if spec in ("synthetic", "fashion-mnist"):
        return spec
    if spec.startswith("cifar10:"):
        _cifar_dir(spec.split(":", 1)[1])
        return spec
    raise NasdbError(f"unknown data source {spec!r}; expected {SOURCES}")


def draw(spec: str, batch_size: int, seed: int, shape: tuple[int, ...], n_classes: int) -> Batch:
    """``batch_size`` images of ``shape`` (C, H, W) and labels in [0, n_classes), seeded by ``seed``.
    A shape (T, C, h, w) with T = k*k asks for jigsaw tiles: each image at (C, k*h, k*w), cut into its
    k x k tiles in reading order."""
    if len(shape) == 4:
        k = math.isqrt(shape[0])
        whole = draw(spec, batch_size, seed, (shape[1], k * shape[2], k * shape[3]), n_classes)
        tiles = whole.x.unfold(2, shape[2], shape[2]).unfold(3, shape[3], shape[3])  # N C k k h w
        return Batch(tiles.permute(0, 2, 3, 1, 4, 5).reshape(batch_size, *shape).contiguous(), whole.y)
    if batch_size < 1:
        raise NasdbError(f"batch size must be a positive number of images, got {batch_size}")
    g = torch.Generator().manual_seed(seed)
    if spec == "synthetic":
        return Batch(torch.randn((batch_size, *shape), generator=g),
                     torch.randint(0, n_classes, (batch_size,), generator=g))
    images, labels = _fashion_mnist() if spec == "fashion-mnist" else _cifar10(parse(spec).split(":", 1)[1])
    if batch_size > len(images):
        raise NasdbError(f"{spec} holds {len(images)} images, fewer than the batch size {batch_size}")
    pick = torch.randperm(len(images), generator=g)[:batch_size].numpy()
    x = torch.from_numpy(_fashion_pixels(images[pick]) if spec == "fashion-mnist" else images[pick]).float()
    if x.shape[1] != shape[0]:
        x = x[:, :1].expand(-1, shape[0], -1, -1) if x.shape[1] == 1 else x.mean(1, keepdim=True).expand(-1, shape[0], -1, -1)
    if tuple(x.shape[2:]) != tuple(shape[1:]):
        x = F.interpolate(x, size=tuple(shape[1:]), mode="bilinear", align_corners=False)
    return Batch(x.contiguous(), torch.from_numpy(labels[pick].astype(np.int64)) % n_classes)


@lru_cache(maxsize=1)
def _fashion_mnist() -> tuple[np.ndarray, np.ndarray]:
    """(N x 28 x 28 uint8 pixels, labels) from the Debian package's training set; a batch's images are
    normalised by :func:`_fashion_pixels` after they are picked (normalising all 60,000 costs every
    worker process ~1.5 CPU-s and 245 MB)."""
    img, lab = FASHION_MNIST / "train-images-idx3-ubyte.gz", FASHION_MNIST / "train-labels-idx1-ubyte.gz"
    if not img.exists() or not lab.exists():
        raise NasdbError(f"fashion-mnist not found at {FASHION_MNIST}; install it with "
                         f"`apt-get install dataset-fashion-mnist`")
    images, labels = _idx(img, 3), _idx(lab, 1)
    if len(images) != len(labels):
        raise NasdbError(f"{img}: {len(images)} images but {lab}: {len(labels)} labels")
    return images, labels


def _fashion_pixels(images: np.ndarray) -> np.ndarray:
    """N x 1 x 32 x 32 normalised float32 from N x 28 x 28 uint8 (the border is padding = black)."""
    x = images.astype(np.float32) / 255.0
    x = np.pad((x - FASHION_MEAN) / FASHION_STD, ((0, 0), (2, 2), (2, 2)), constant_values=(0 - FASHION_MEAN) / FASHION_STD)
    return x[:, None].astype(np.float32)


def _idx(path: Path, ndim: int) -> np.ndarray:
    """An IDX file (big-endian header: magic 0x08 type, ndim, then the dimension sizes)."""
    raw = gzip.decompress(path.read_bytes())
    if len(raw) < 4 + 4 * ndim or raw[2] != 0x08 or raw[3] != ndim:
        raise NasdbError(f"{path}: not an IDX file of unsigned bytes with {ndim} dimension(s)")
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4)
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise NasdbError(f"{path}: header says {tuple(dims)} but holds {data.size} bytes")
    return data.reshape(tuple(int(d) for d in dims))


def _cifar_dir(path: str) -> Path:
    p = Path(path)
    for d in (p, p / "cifar-10-batches-py"):
        if sorted(d.glob("data_batch_*")):
            return d
    raise NasdbError(f"cifar10:{path}: no data_batch_* files found there or in its cifar-10-batches-py "
                     f"folder; expected torchvision's CIFAR-10 python format")


@lru_cache(maxsize=2)
def _cifar10(path: str) -> tuple[np.ndarray, np.ndarray]:
    """(N x 3 x 32 x 32 normalised float32, labels) from every ``data_batch_*`` pickle under ``path``."""
    xs, ys = [], []
    for f in sorted(_cifar_dir(path).glob("data_batch_*")):
        try:
            with open(f, "rb") as fh:
                d = pickle.load(fh, encoding="bytes")
            data = np.asarray(d[b"data"], dtype=np.uint8)
            labels = np.asarray(d[b"labels"], dtype=np.int64)
        except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as e:
            raise NasdbError(f"{f}: not a CIFAR-10 python batch (a pickled dict with b'data' and "
                             f"b'labels'): {e}") from e
        if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
            raise NasdbError(f"{f}: data has shape {data.shape} with {len(labels)} labels; expected N x 3072 "
                             f"and N labels")
        if labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
            raise NasdbError(f"{f}: labels must be 0..9, found {labels.min()}..{labels.max()}")
        xs.append(data)
        ys.append(labels)
    x = np.concatenate(xs).reshape(-1, 3, 32, 32).astype(np.float32) / 255.0
    x = (x - np.array(CIFAR_MEAN, np.float32)[:, None, None]) / np.array(CIFAR_STD, np.float32)[:, None, None]
    return x.astype(np.float32), np.concatenate(ys)
