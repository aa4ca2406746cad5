"""Torch builders of the networks the benchmarks trained, one module per network family.

They take a *decoded* spec (what a space module's ``parse`` returns) and know nothing of benchmark
ids: ``nasdb/spaces/`` maps a bench and its datasets onto these builders. Layers are standard torch
layers with BatchNorm and torch's default initialisation; :func:`build` makes the init seedable
without touching the caller's global random state.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # torch is imported where a network is built, so torch-free helpers here stay light
    import torch
    from torch import nn


def build(factory: Callable[[], nn.Module], seed: int | None = None,
          device: str | torch.device | None = None) -> nn.Module:
    """Run ``factory`` (seeded with ``seed`` when given, in a forked RNG) and move the net to ``device``."""
    import torch

    if seed is None:
        net = factory()
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = factory()
    return net if device is None else net.to(device)


def n_parameters(net: nn.Module) -> int:
    """Trainable parameters, counted as the benchmarks count them (every ``requires_grad`` tensor)."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)
