"""A benchmark's WL index: the feature rows of its cells, built once and cached on disk.

Which cells: every architecture of the benchmark that has ground truth in the database (all of
NB201 and TNB101; on NB101 the 20,001 measured cells of 423,624, since a neighbour without an
accuracy tells nothing) — plus any query cell, vectorised on demand. Graphs are the Space protocol's
``cell_graph`` reduced to what computes (as ``nasdb.spaces.computational``: no ``none`` ops, only
nodes on an input->output path), so cells computing the same function through the same wiring look identical.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import scipy.sparse as sp

from nasdb import config
from nasdb.similarity import wl

ITERATIONS = 3


@dataclass
class Index:
    bench: str
    keys: list[str]
    arch_ids: np.ndarray
    matrix: sp.csr_matrix
    vocab: np.ndarray
    h: int = ITERATIONS

    def __post_init__(self) -> None:
        self.row = {k: i for i, k in enumerate(self.keys)}

    def similarities(self, space, spec) -> np.ndarray:
        """Cosine WL similarity of ``spec``'s cell to every indexed cell."""
        key = space.key(spec)
        if key in self.row:
            return wl.cosine(self.matrix, self.matrix[self.row[key]])
        labels, adj = wl.computational(*wl.pack([space.cell_graph(spec)]))
        q, extra = wl.vectorise(labels, adj, self.vocab, self.h)
        return wl.cosine(self.matrix, q, extra[0])


def build(space, keys: list[str], arch_ids: np.ndarray, h: int = ITERATIONS) -> Index:
    labels, adj = wl.computational(*wl.pack([space.cell_graph(space.parse(k)) for k in keys]))
    matrix, vocab = wl.features(labels, adj, h)
    return Index(space.bench, keys, np.asarray(arch_ids), matrix, vocab, h)


def _cache_file(bench: str, keys: list[str], h: int) -> Path:
    code = hashlib.sha1(Path(wl.__file__).read_bytes() + Path(__file__).read_bytes()).hexdigest()[:10]
    digest = hashlib.sha1("\n".join(keys).encode()).hexdigest()[:12]
    return config.cache_dir() / "wl" / f"{bench}-h{h}-{digest}-{code}.npz"


def indexed(con: duckdb.DuckDBPyConnection, space, h: int = ITERATIONS) -> Index:
    """The index of ``space``'s cells with ground truth (from the disk cache when the cells and code match)."""
    rows = con.execute("SELECT arch_id, arch_key FROM archs a WHERE bench = ? AND EXISTS "
                       "(SELECT 1 FROM ground_truth g WHERE g.bench = a.bench AND g.arch_id = a.arch_id) "
                       "ORDER BY arch_id", [space.bench]).fetchall()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    keys = [r[1] for r in rows]
    path = _cache_file(space.bench, keys, h)
    if path.is_file():
        z = np.load(path)
        m = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
        return Index(space.bench, keys, ids, m, z["vocab"], h)
    idx = build(space, keys, ids, h)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, data=idx.matrix.data, indices=idx.matrix.indices, indptr=idx.matrix.indptr,
             shape=np.array(idx.matrix.shape), vocab=idx.vocab)
    tmp.replace(path)
    return idx
