"""What a family asks the harness for: a :class:`Job` over a :class:`Selection` of a benchmark's archs."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from nasdb.errors import NasdbError


@dataclass(frozen=True)
class Selection:
    """Which archs a run covers: ``all``, a seeded ``sample`` of N, a named ``set`` (arch_sets) or ``ids``."""

    kind: str = "all"
    n: int | None = None
    seed: int | None = None
    name: str | None = None
    ids: tuple[int, ...] | None = None

    @classmethod
    def sample(cls, n: int, seed: int = 0) -> Selection:
        if n <= 0:
            raise NasdbError(f"--sample must be a positive number of architectures, got {n}")
        return cls("sample", n=n, seed=seed)

    @classmethod
    def named_set(cls, name: str) -> Selection:
        return cls("set", name=name)

    @classmethod
    def of_ids(cls, ids) -> Selection:
        return cls("ids", ids=tuple(sorted(int(i) for i in ids)))

    def as_json(self) -> dict:
        return {k: v for k, v in {"kind": self.kind, "n": self.n, "seed": self.seed, "name": self.name,
                                  "n_ids": len(self.ids) if self.ids else None}.items() if v is not None}


@dataclass(frozen=True)
class Job:
    family: str
    bench: str
    proxies: tuple[str, ...]
    settings: dict
    compute_chunk: Callable | None = None   # None: values come in memory (store_values)
    selection: Selection = field(default_factory=Selection)
    source: str = "nasdb"
    primary: bool = True                    # False: never displaces a full run (reference modes, variants)
    label: str = ""                         # shown in the run id, e.g. the mode
    chunk_size: int = 1024
    chunk_order: str = "arch_id"            # archs columns to cut chunks along (SQL ORDER BY)

    def __post_init__(self) -> None:
        if self.source.startswith("peer:"):
            raise NasdbError(f"source {self.source!r} is reserved for ingested peer values")
        if not self.proxies:
            raise NasdbError(f"family {self.family!r} names no proxies")
        if self.chunk_size < 1:
            raise NasdbError(f"chunk size must be at least 1 architecture, got {self.chunk_size}")

    @property
    def scope(self) -> str:
        return "full" if self.primary and self.selection.kind == "all" else "partial"

    def key(self, arch_digest: str) -> str:
        """Digest of everything that decides the values, including the exact archs selected."""
        ident = {"family": self.family, "bench": self.bench, "source": self.source, "proxies": list(self.proxies),
                 "settings": self.settings, "selection": self.selection.as_json(), "archs": arch_digest,
                 "chunk_size": self.chunk_size}
        return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()


def digest(archs: list[tuple[int, str]]) -> str:
    return hashlib.sha256(json.dumps(archs).encode()).hexdigest()
