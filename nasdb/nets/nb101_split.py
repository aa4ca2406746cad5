"""NB101's channel split inside a cell, torch-free (the NASGraph surrogate and the network both use it)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Matrix = Sequence[Sequence[int]]


def vertex_channels(matrix: Matrix, in_channels: int, out_channels: int) -> list[int]:
    """Channels of every vertex, as ``compute_vertex_channels`` splits them: the output's channels are
    divided among the vertices feeding it (the first ones get the remainder); every other inner vertex
    takes the max over the vertices it feeds."""
    n = len(matrix)
    ch = [0] * n
    ch[0], ch[-1] = in_channels, out_channels
    if n == 2:
        return ch
    feeding = [v for v in range(1, n - 1) if matrix[v][n - 1]]
    base, extra = divmod(out_channels, len(feeding))
    for i, v in enumerate(feeding):
        ch[v] = base + (i < extra)
    for v in range(n - 3, 0, -1):
        if not matrix[v][n - 1]:
            ch[v] = max(ch[d] for d in range(v + 1, n - 1) if matrix[v][d])
    return ch


def vertex_channels_array(adjacency: np.ndarray, in_channels: int, out_channels: int) -> np.ndarray:
    """:func:`vertex_channels` of N cells at once: ``adjacency`` (N, V, V) 0/1 with the input first, the
    output last and the inner vertices in cell order between (vertices without edges, padding, get 0)."""
    n, v = adjacency.shape[:2]
    adj = adjacency.astype(bool)
    ch = np.zeros((n, v), dtype=np.int64)
    ch[:, 0], ch[:, -1] = in_channels, out_channels
    feeding = adj[:, 1:-1, -1]
    base, extra = np.divmod(out_channels, np.maximum(feeding.sum(1), 1))
    rank = np.cumsum(feeding, axis=1) - 1  # the first feeding vertices get the remainder
    ch[:, 1:-1] = np.where(feeding, base[:, None] + (rank < extra[:, None]), 0)
    for t in range(v - 2, 0, -1):
        fed = np.where(adj[:, t, t + 1:-1], ch[:, t + 1:-1], 0).max(axis=1, initial=0)
        ch[:, t] = np.where(feeding[:, t - 1], ch[:, t], fed)
    return ch
