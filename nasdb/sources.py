"""Fetch and verify the public source files: the one module that touches the network.

Every file named in ``ingest/sources.toml`` is downloaded from its pinned origin URL (with pooch) or
copied from ``NASDB_MIRROR``, checked against its sha256, and only then moved into the cache under
its manifest path. A file is never left half-written in the cache: it is written to a temporary name
and renamed after verification. Ingest jobs ask :func:`verified_path`, which re-checks the hash, so
pickled sources are never opened unverified.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from nasdb import config
from nasdb.errors import SourceError


@dataclass(frozen=True)
class Source:
    """One public file: where it comes from and what it must hash to."""

    path: str
    origin_url: str
    sha256: str
    bytes: int
    license: str
    what: str


def manifest() -> dict[str, Source]:
    """All sources, keyed by their manifest path (e.g. ``nb201/nasbench201_cifar10.csv``)."""
    text = resources.files("ingest").joinpath("sources.toml").read_text()
    return {s["path"]: Source(**s) for s in tomllib.loads(text)["source"]}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _checked(tmp: Path, src: Source, origin: str) -> None:
    actual = sha256_of(tmp)
    if actual != src.sha256:
        tmp.unlink(missing_ok=True)
        raise SourceError(
            f"checksum mismatch for {src.path} (from {origin}): expected sha256 {src.sha256}, "
            f"got {actual}; the file was not kept"
        )


def _from_mirror(src: Source, mirror: Path, tmp: Path) -> None:
    origin = mirror / src.path
    if not origin.is_file():
        raise SourceError(
            f"missing source {src.path}: looked for {origin} (NASDB_MIRROR={mirror}); "
            f"expected a file with sha256 {src.sha256}"
        )
    shutil.copyfile(origin, tmp)
    _checked(tmp, src, str(origin))


def _from_network(src: Source, tmp: Path) -> None:
    import pooch  # imported here: only the network path needs it

    try:
        pooch.retrieve(src.origin_url, known_hash=f"sha256:{src.sha256}",
                       fname=tmp.name, path=tmp.parent, progressbar=False)
    except ValueError as e:  # pooch reports hash mismatches as ValueError
        tmp.unlink(missing_ok=True)
        raise SourceError(f"checksum mismatch for {src.path} from {src.origin_url}: {e}") from e
    except Exception as e:  # network errors of any kind
        tmp.unlink(missing_ok=True)
        raise SourceError(
            f"cannot download {src.path} from {src.origin_url}: {e}. "
            "Set NASDB_MIRROR=DIR to use a local mirror laid out like ingest/sources.toml"
        ) from e


def fetch(src: Source, cache: Path | None = None, mirror: Path | None = None) -> Path:
    """Make ``src`` present and verified in the cache; return its path. Verified files are skipped."""
    cache = cache or config.cache_dir()
    mirror = mirror if mirror is not None else config.mirror_dir()
    dest = cache / src.path
    if dest.is_file() and dest.stat().st_size == src.bytes and sha256_of(dest) == src.sha256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".partial-", dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        if mirror is not None:
            _from_mirror(src, mirror, tmp)
        else:
            _from_network(src, tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def verified_path(path: str, cache: Path | None = None, mirror: Path | None = None) -> Path:
    """The cached, checksum-verified file for manifest ``path``, fetching it if needed.

    Re-hashes an existing cache entry so that a file corrupted after fetching is refused, not parsed.
    """
    srcs = manifest()
    if path not in srcs:
        raise SourceError(f"{path!r} is not in the source manifest ingest/sources.toml")
    return fetch(srcs[path], cache, mirror)


def fetch_all(paths: list[str] | None = None, cache: Path | None = None,
              mirror: Path | None = None, progress: bool = True) -> list[Path]:
    """Fetch every source (or the given manifest paths), with a progress bar."""
    from tqdm import tqdm

    srcs = manifest()
    unknown = [p for p in paths or [] if p not in srcs]
    if unknown:
        raise SourceError(f"{unknown[0]!r} is not in the source manifest ingest/sources.toml "
                          f"(paths look like {next(iter(srcs))!r})")
    wanted = [srcs[p] for p in paths] if paths else list(srcs.values())
    return [fetch(s, cache, mirror) for s in tqdm(wanted, desc="fetch", unit="file", disable=not progress)]
