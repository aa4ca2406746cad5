"""NB101's channel split inside a cell, torch-free (the NASGraph surrogate and the network both use it)."""
from __future__ import annotations

from collections.abc import Sequence

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
