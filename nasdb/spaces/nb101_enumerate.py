"""All unique NB101 cells with their module hashes, computed once and cached on disk.

Like NB101's ``generate_graphs.py``: every upper-triangular matrix with 2..7 vertices, <= 9 edges and
no dangling vertex, times every labelling of its inner vertices, de-duplicated by module hash; the
first cell met in that order represents its class. md5-hashing all 1.29 M labelled graphs is the
slow part, so a numba kernel first groups them with a 64-bit hash of the *same*
Weisfeiler-Lehman refinement (equal md5 hash <=> equal 64-bit hash, barring collisions, which the
final count check would expose); only one representative per group is md5-hashed
(with the numba MD5 of nb101_hash_numba).
Row order of the result = sorted md5 hash = ``arch_id``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

from nasdb import cachefile, config
from nasdb.errors import SourceError
from nasdb.spaces import nb101
from nasdb.spaces.nb101_hash_numba import hex_strings, module_hashes

CACHE_NAME = "nb101/cells-v1.npz"
N_OPS = len(nb101.OPS)


@dataclass(frozen=True)
class Cells:
    """The enumerated space, one row per unique cell, sorted by hash."""

    hashes: np.ndarray      # (N,) str, the module hash
    n_vertices: np.ndarray  # (N,) int8
    matrices: np.ndarray    # (N, 7, 7) int8, zero-padded after the last vertex
    labels: np.ndarray      # (N, 7) int8, hash labels (-1 in, -2 out, 0..2 ops), -3 padding

    def __len__(self) -> int:
        return len(self.hashes)

    def take(self, rows: np.ndarray) -> "Cells":
        """The cells at these rows, in that order."""
        return Cells(self.hashes[rows], self.n_vertices[rows], self.matrices[rows], self.labels[rows])

    def cell(self, i: int) -> nb101.Cell:
        n = int(self.n_vertices[i])
        names = {v: k for k, v in nb101.HASH_LABELS.items()}
        return nb101.Cell(tuple(map(tuple, self.matrices[i, :n, :n].tolist())),
                          tuple(names[c] for c in self.labels[i, :n].tolist()))


def full_dag_bits(n: int, max_edges: int) -> np.ndarray:
    """Edge bit masks (NB101's ``gen_is_edge_fn`` layout: edge x->y is bit x + y(y-1)/2) of the n-vertex
    DAGs with <= max_edges edges where every vertex lies on an input->output path (``is_full_dag``)."""
    bits = np.arange(2 ** (n * (n - 1) // 2), dtype=np.int64)
    edges = np.zeros_like(bits)
    for i in range(n * (n - 1) // 2):
        edges += (bits >> i) & 1
    ok = edges <= max_edges
    for v in range(n):
        out_mask = sum(1 << (v + w * (w - 1) // 2) for w in range(v + 1, n))
        in_mask = sum(1 << (w + v * (v - 1) // 2) for w in range(v))
        if v < n - 1:
            ok &= (bits & out_mask) != 0
        if v > 0:
            ok &= (bits & in_mask) != 0
    return bits[ok]


@numba.njit(cache=True)
def _mix(x):
    """splitmix64 finaliser: a cheap, well-spread 64-bit hash step."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@numba.njit(cache=True)
def _wl_fingerprints(n, all_bits, n_ops):
    """64-bit WL fingerprint of every (matrix, labelling), labellings in itertools.product order."""
    n_lab = n_ops ** (n - 2)
    out = np.empty(len(all_bits) * n_lab, dtype=np.uint64)
    adj = np.zeros((n, n), dtype=np.uint8)
    h = np.empty(n, dtype=np.uint64)
    new = np.empty(n, dtype=np.uint64)
    label = np.empty(n, dtype=np.int64)
    for g in range(len(all_bits)):
        bits = all_bits[g]
        for y in range(n):
            for x in range(y):
                adj[x, y] = (bits >> (x + y * (y - 1) // 2)) & 1
        for k in range(n_lab):
            label[0] = -1
            label[n - 1] = -2
            rest = k
            for v in range(n - 2, 0, -1):  # last inner vertex varies fastest
                label[v] = rest % n_ops
                rest //= n_ops
            for v in range(n):
                deg_in = 0
                deg_out = 0
                for w in range(n):
                    deg_in += adj[w, v]
                    deg_out += adj[v, w]
                h[v] = _mix(np.uint64(deg_out * 1000003 + deg_in * 1009 + label[v] + 7))
            for _ in range(n):
                for v in range(n):
                    s_in = np.uint64(0)
                    s_out = np.uint64(0)
                    for w in range(n):
                        if adj[w, v]:
                            s_in += _mix(h[w] ^ np.uint64(0x5851F42D4C957F2D))
                        if adj[v, w]:
                            s_out += _mix(h[w] ^ np.uint64(0x14057B7EF767814F))
                    new[v] = _mix(_mix(_mix(s_in) ^ s_out) ^ h[v])
                h[:] = new
            fp = np.uint64(0)
            for v in range(n):
                fp += _mix(h[v])
            out[g * n_lab + k] = _mix(fp ^ np.uint64(n))
    return out


def _representatives(max_vertices: int, max_edges: int):
    """(n, bits, labelling index) of the first labelled graph of each WL class, in enumeration order."""
    fps, ns, bits_of, labs = [], [], [], []
    for n in range(2, max_vertices + 1):
        bits = full_dag_bits(n, max_edges)
        n_lab = N_OPS ** (n - 2)
        fps.append(_wl_fingerprints(n, bits, N_OPS))
        ns.append(np.full(len(bits) * n_lab, n, dtype=np.int8))
        bits_of.append(np.repeat(bits, n_lab))
        labs.append(np.tile(np.arange(n_lab, dtype=np.int64), len(bits)))
    fp = np.concatenate(fps)
    _, first = np.unique(fp, return_index=True)
    first.sort()
    return np.concatenate(ns)[first], np.concatenate(bits_of)[first], np.concatenate(labs)[first]


def _expand(ns: np.ndarray, bits: np.ndarray, labs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, edge bits, labelling index) -> zero-padded (N, 7, 7) matrices and (N, 7) hash labels."""
    size = nb101.MAX_VERTICES
    matrices = np.zeros((len(ns), size, size), dtype=np.int8)
    for y in range(size):
        for x in range(y):
            matrices[:, x, y] = (bits >> (x + y * (y - 1) // 2)) & 1
    labels = np.full((len(ns), size), nb101.PADDING_CODE, dtype=np.int8)
    for n in np.unique(ns):
        rows = np.flatnonzero(ns == n)
        labels[rows, 0], labels[rows, n - 1] = nb101.HASH_LABELS[nb101.INPUT], nb101.HASH_LABELS[nb101.OUTPUT]
        for v in range(1, n - 1):  # itertools.product order: vertex 1 is the most significant digit
            labels[rows, v] = (labs[rows] // N_OPS ** (n - 2 - v)) % N_OPS
    return matrices, labels


def enumerate_cells(max_vertices: int = nb101.MAX_VERTICES, max_edges: int = nb101.MAX_EDGES,
                    progress: bool = True) -> Cells:
    """Compute the space from scratch (use :func:`load` for the cached full space)."""
    from tqdm import tqdm

    ns, bits, labs = _representatives(max_vertices, max_edges)
    matrices, labels = _expand(ns, bits, labs)
    chunk = 20_000
    hashes = np.empty(len(ns), dtype="U32")
    for start in tqdm(range(0, len(ns), chunk), desc="nb101 hashes", unit="chunk", disable=not progress):
        sl = slice(start, start + chunk)
        hashes[sl] = hex_strings(module_hashes(matrices[sl], labels[sl], ns[sl]))
    order = np.argsort(hashes, kind="stable")
    return Cells(hashes[order], ns[order], matrices[order], labels[order])


def cache_path(cache: Path | None = None) -> Path:
    return (cache or config.cache_dir()) / CACHE_NAME


def load(cache: Path | None = None, progress: bool = True) -> Cells:
    """The full space (423,624 cells), from the verified cache or computed once (~1 min) and cached."""
    path = cache_path(cache)
    cells = cachefile.read(path, _read, "NB101 enumeration")
    if cells is not None:
        return cells
    cells = enumerate_cells(progress=progress)
    cachefile.write(path, lambda tmp: np.savez(tmp, hashes=cells.hashes, n_vertices=cells.n_vertices,
                                               matrices=cells.matrices, labels=cells.labels))
    return cells


def _read(path: Path) -> Cells:
    with np.load(path) as z:
        cells = Cells(z["hashes"], z["n_vertices"], z["matrices"], z["labels"])
    if len(cells) != nb101.N_ARCHS or not (cells.hashes[1:] > cells.hashes[:-1]).all():
        raise SourceError(f"not the complete NB101 enumeration ({len(cells)} cells, expected "
                          f"{nb101.N_ARCHS} with sorted unique hashes)")
    return cells
