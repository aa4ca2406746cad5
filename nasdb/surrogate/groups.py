"""Surrogates grouped by wiring: the data a space's ``bulk`` fast path hands to NASGraph scoring."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nasdb.surrogate.blocks import Block, Surrogate


class SlotGroup(NamedTuple):
    """Surrogates that share one wiring (``skeleton``) and differ only in which candidate block fills
    each slot, so scoring needs no Surrogate per architecture."""

    rows: np.ndarray                                  # positions of these archs in the caller's list
    skeleton: Surrogate                               # shared blocks and parents (slot blocks: placeholders)
    slots: tuple[tuple[int, tuple[Block, ...]], ...]  # (block index, candidate blocks)
    choices: np.ndarray                               # (len(rows), len(slots)) candidate of each slot
