"""Fast mode: NASGraph measures for many architectures at once, with array arithmetic.

A block's edge matrix depends only on the block (position, op, shapes) and its weights; with
weights seeded per block (``probe.block_weights``) every distinct block is probed once
(:class:`BlockCache`) and each architecture's graph is a union of those matrices placed along its
wiring. Degrees are all the measures need (``measures.py``), and a node's degree is

    deg(L_j) = sum over parents P of L:  #{k : M_L[k + shift_P, j]}        (in-edges)
             + sum over children C of L: #{i : M_C[j + shift_L, i]}         (out-edges)

so for surrogates that share a wiring (:meth:`Surrogate.signature`) the degree matrix is built
slot by slot with table look-ups, no per-architecture graph. Slots are padded to the widest block
seen in that slot; padding columns stay zero and so are not nodes.

Reusable beyond NB201/TNB101 (e.g. NB101): describe each architecture as a ``Surrogate`` and call
:func:`measures_of` (or :func:`degrees` per wiring group, or :func:`degrees_of_keys` with block
ids computed in bulk, as NB101 does).

The probed matrices can be kept on disk (``BlockCache(seed, store=dir)``, as ``nasdb score`` does):
a later run then needs no probing and does not even import torch. The file name carries a digest
of the probing code and the torch version, so a change to either starts a fresh file; the file is
used only if it matches the checksum recorded when it was written (``nasdb.cachefile``).
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from importlib import metadata
from itertools import chain
from pathlib import Path

import numpy as np

from nasdb import cachefile
from nasdb.proxies.nasgraph import measures
from nasdb.surrogate.blocks import Block, Surrogate

_PROBE_CODE = (Path(__file__).with_name("probe.py"), Path(__file__).parents[2] / "surrogate" / "blocks.py")


class BlockCache:
    """Edge matrices of distinct blocks under deterministic weights, each probed once (and, with
    ``store``, once per machine: see :meth:`save`)."""

    def __init__(self, seed: int = 0, store: Path | None = None) -> None:
        self.seed = seed
        self.index: dict[Block, int] = {}
        self.blocks: list[Block] = []
        self.matrices: list[np.ndarray] = []
        self._sums: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}
        self.path = store / self.file_name(seed) if store is not None else None
        self._saved = 0
        if self.path is not None:
            cachefile.read(self.path, self._load, "NASGraph block")

    @staticmethod
    def file_name(seed: int) -> str:
        code = hashlib.sha256(b"".join(p.read_bytes() for p in _PROBE_CODE)).hexdigest()[:12]
        return f"nasgraph-blocks-seed{seed}-{code}-torch{metadata.version('torch')}.npz"

    def id(self, block: Block) -> int:
        i = self.index.get(block)
        if i is None:
            i = self._append(block, self._probe(block))
        return i

    def _probe(self, block: Block) -> np.ndarray:
        if block.kind == "input":
            return np.zeros((0, block.c_out), dtype=bool)
        from nasdb.proxies.nasgraph.probe import block_weights, probe_fast  # torch: only when probing

        return probe_fast(block, block_weights(block, seed=self.seed))

    def _append(self, block: Block, matrix: np.ndarray) -> int:
        i = self.index[block] = len(self.blocks)
        self.blocks.append(block)
        self.matrices.append(matrix)
        return i

    def matrix(self, i: int) -> np.ndarray:
        return self.matrices[i]

    def sums(self, child: int, n_parent: int, shift: int) -> tuple[np.ndarray, np.ndarray]:
        """Out-degrees of a parent's ``n_parent`` channels into block ``child`` (one-hot inputs from
        ``shift`` on) and the in-degrees of the child's channels from that parent; memoised."""
        key = (child, n_parent, shift)
        found = self._sums.get(key)
        if found is None:
            m = self.matrices[child]
            sub = m[shift:shift + min(n_parent, m.shape[0] - shift)]
            found = self._sums[key] = (sub.sum(axis=1), sub.sum(axis=0))
        return found

    def save(self) -> None:
        """Write every matrix to ``store`` if blocks were probed since loading (atomic replace)."""
        if self.path is None or len(self.blocks) == self._saved:
            return
        shapes = np.array([m.shape for m in self.matrices], dtype=np.int64).reshape(-1, 2)
        bits = np.concatenate([m.ravel() for m in self.matrices]) if self.matrices else np.zeros(0, bool)
        blocks = np.array(json.dumps([list(b) for b in self.blocks]))
        cachefile.write(self.path, lambda tmp: np.savez(tmp, blocks=blocks, shapes=shapes, bits=bits))
        self._saved = len(self.blocks)

    def _load(self, path: Path) -> None:
        """All matrices of a verified file, or none (a file that does not parse leaves the cache empty)."""
        with np.load(path) as z:
            blocks, shapes, bits = json.loads(str(z["blocks"])), z["shapes"], z["bits"]
        ends = np.cumsum(shapes.prod(axis=1))
        loaded = [(Block(*fields), bits[end - shape.prod():end].reshape(shape))
                  for fields, shape, end in zip(blocks, shapes, ends)]
        for block, matrix in loaded:
            self._append(block, matrix)
        self._saved = len(self.blocks)


def _distinct(ids: np.ndarray, n_blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct block ids of a column and each row's index among them (a look-up table: no sort)."""
    present = np.zeros(n_blocks, dtype=bool)
    present[ids] = True
    distinct = np.flatnonzero(present)
    position = np.zeros(n_blocks, dtype=np.intp)
    position[distinct] = np.arange(len(distinct))
    return distinct, position[ids]


def degrees(group: list[Surrogate], cache: BlockCache) -> np.ndarray:
    """Padded degree matrix (len(group) x nodes) of surrogates that share one wiring."""
    all_blocks = list(chain.from_iterable(s.blocks for s in group))
    for b in set(all_blocks):
        cache.id(b)
    keys = np.fromiter(map(cache.index.__getitem__, all_blocks), dtype=np.int64,
                       count=len(all_blocks)).reshape(len(group), -1)
    return degrees_of_keys(group[0].parents, keys, cache)


def degrees_of_keys(parents: tuple, keys: np.ndarray, cache: BlockCache) -> np.ndarray:
    """Padded degree matrix of architectures on one wiring (``Surrogate.parents``), architecture a
    having cache block ``keys[a, i]`` at block i. Spaces that can derive these ids with array
    arithmetic (NB101) skip building one Surrogate per architecture."""
    c_out = np.array([b.c_out for b in cache.blocks])
    widths = c_out[keys].max(axis=0)
    offsets = np.concatenate([[0], np.cumsum(widths)])
    deg = np.zeros((len(keys), int(offsets[-1])), dtype=np.int32)
    columns = [_distinct(keys[:, i], len(cache.blocks)) for i in range(keys.shape[1])]
    for child, plist in enumerate(parents):
        kids, kid_of = columns[child]
        for parent, shift in plist:
            pars, par_of = columns[parent]
            # degree rows for every (parent block, child block) combination of this column pair
            out_tab = np.zeros((len(pars), len(kids), widths[parent]), dtype=np.int32)
            in_tab = np.zeros((len(pars), len(kids), widths[child]), dtype=np.int32)
            for a, n_parent in enumerate(c_out[pars].tolist()):
                for c, kid in enumerate(kids.tolist()):
                    out_deg, in_deg = cache.sums(kid, n_parent, shift)
                    out_tab[a, c, :len(out_deg)] = out_deg
                    in_tab[a, c, :len(in_deg)] = in_deg
            if out_tab.shape[:2] == (1, 1):  # the same blocks in every architecture: add one row
                deg[:, offsets[parent]:offsets[parent + 1]] += out_tab[0, 0]
                deg[:, offsets[child]:offsets[child + 1]] += in_tab[0, 0]
            else:
                deg[:, offsets[parent]:offsets[parent + 1]] += out_tab[par_of, kid_of]
                deg[:, offsets[child]:offsets[child + 1]] += in_tab[par_of, kid_of]
    return deg


def measures_of(surrogates: list[Surrogate], cache: BlockCache) -> dict[str, np.ndarray]:
    """Every graph measure for each surrogate (in input order), grouping equal wirings."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, s in enumerate(surrogates):
        groups[s.signature()].append(i)
    out = {name: np.empty(len(surrogates)) for name in measures.NAMES}
    for idx in groups.values():
        vals = measures.from_degrees(degrees([surrogates[i] for i in idx], cache))
        for name in measures.NAMES:
            out[name][idx] = vals[name]
    return out


def measures_of_groups(groups, n: int, cache: BlockCache, progress: bool = False,
                       desc: str = "nasgraph (fast)") -> dict[str, np.ndarray]:
    """Fast-mode measures of ``n`` architectures given as SlotGroups (a space's ``bulk``): per group,
    every architecture's block ids come from its slot choices by array indexing."""
    from tqdm import tqdm

    out = {name: np.full(n, np.nan) for name in measures.NAMES}
    with tqdm(total=n, desc=desc, unit="arch", disable=not progress, mininterval=1) as bar:
        for g in groups:
            keys = np.tile(np.array([cache.id(b) for b in g.skeleton.blocks], dtype=np.int64), (len(g.rows), 1))
            for s, (idx, candidates) in enumerate(g.slots):
                keys[:, idx] = np.array([cache.id(b) for b in candidates], dtype=np.int64)[g.choices[:, s]]
            vals = measures.from_degrees(degrees_of_keys(g.skeleton.parents, keys, cache))
            for name in measures.NAMES:
                out[name][g.rows] = vals[name]
            bar.update(len(g.rows))
    return out
