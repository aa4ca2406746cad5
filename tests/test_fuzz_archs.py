"""Fuzzing every public entry point that takes an architecture (issue 10): >= 5,000 mutated strings per
space through the space's parser, ``nasdb.spaces.convert``, ``nasdb.lookup`` / ``arch_id``,
``nasdb.score`` and (a sample) the ``nasdb convert`` command. Only nasdb's named errors may escape, and
a string is accepted exactly when it is in the space.

Membership oracle, independent of the parsers: the set of official strings (NB201: read from the
mirrored benchmark file; TNB101 / NB101: the ``archs`` table the ingest jobs wrote, which other tests
check against the published 3,256 / 4,096 / 423,624 and the published NB101 hashes) and of NASLib
encodings (the ``naslib_key`` column), after the normalisation the grammar allows: surrounding white
space, blanks inside a NASLib tuple, ``[...]`` for ``(...)``, upper-case hex digits of a hash.
"""
from __future__ import annotations

import math
import random
import re

import duckdb
import polars as pl
import pytest

import nasdb
from nasdb import cli, sources, spaces
from nasdb.errors import NasdbError

N_STRINGS = 5_000
N_DB = 30    # accepted strings (and rejected ones only the database can refuse) looked up in the database
N_SCORE = 1   # accepted strings scored (a NASGraph graph each); every rejected one goes through score
N_CLI = 10   # accepted and as many rejected strings through `nasdb convert` in-process

ALPHABET = list("0123456789abcdefABCDEF|+~_-,()[]{} \t\n\x00xyz.:'\"") + ["²", "１", "١", "٢", "\u3000", "é", "𝟘"]


def _mutate(rng: random.Random, s: str, pool: list[str]) -> str:
    """One to three random edits: delete, insert, replace, duplicate or swap characters, truncate,
    append, change case, splice with another member, or swap one token (op name / digit) for another."""
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(s) + 1)
        kind = rng.randrange(10)
        if kind == 0 and s:
            s = s[:i] + s[i + 1:]
        elif kind == 1:
            s = s[:i] + rng.choice(ALPHABET) + s[i:]
        elif kind == 2 and s:
            s = s[:i] + rng.choice(ALPHABET) + s[i + 1:]
        elif kind == 3:
            s = s + s[i:i + rng.randint(1, 6)]
        elif kind == 4:
            s = s[:i]
        elif kind == 5:
            s = s + rng.choice(["garbage", " ", "0", "\n", "|", ")", "-basic", "0" * 32])
        elif kind == 6:
            s = s.upper() if rng.random() < 0.5 else s.swapcase()
        elif kind == 7:
            other = rng.choice(pool)
            s = s[:i] + other[i:]
        else:  # token swap: often yields another member of the space, so both answers get exercised
            tokens = re.findall(r"[a-z_0-9]+|[^a-z_0-9]", s)
            if tokens:
                k = rng.randrange(len(tokens))
                donor = re.findall(r"[a-z_0-9]+", rng.choice(pool)) or ["0"]
                tokens[k] = rng.choice(donor)
                s = "".join(tokens)
    return s


def _normal(s: str) -> str:
    t = s.strip()
    if t[:1] in "([" and t[-1:] in ")]":
        t = "(" + re.sub(r"[ \t]", "", t[1:-1]).replace(",", ", ") + ")"
    if re.fullmatch(r"[0-9a-fA-F]{32}", t):
        t = t.lower()
    return t


def _is_index(space, s: str) -> bool:
    """Whether ``s`` is an in-range official index (those resolve through the index, not the parser)."""
    try:
        return space.index_text(s) is not None
    except NasdbError:
        return False


@pytest.fixture(scope="module")
def dbs(ingested):
    return {"nb201": ingested("nb201", "tnb101"), "tnb101": ingested("nb201", "tnb101"),
            "nb101": ingested("nb101", "suite_zero_nb101")}


@pytest.fixture(scope="module")
def members(dbs, cache, mirror):
    """bench -> (official strings, NASLib encodings): the oracle."""
    out = {}
    nb201_file = pl.read_csv(sources.verified_path("nb201/nasbench201_cifar10.csv", cache, mirror))
    for bench in spaces.bench_ids():
        db = dbs["nb101" if bench == "nb101" else "nb201"]
        with duckdb.connect(str(db), read_only=True) as con:
            rows = con.execute("SELECT arch_key, naslib_key FROM archs WHERE bench = ?", [bench]).fetchall()
        keys = {k for k, _ in rows}
        if bench == "nb201":
            assert keys == set(nb201_file["arch str"])
        out[bench] = (keys, {n for _, n in rows if n})
    return out


def _strings(bench: str, keys: set[str], naslib: set[str]) -> list[str]:
    rng = random.Random(f"fuzz-{bench}")
    pool = sorted(rng.sample(sorted(keys), 200)) + sorted(rng.sample(sorted(naslib), 50))  # sorted: seeded order
    out: dict[str, None] = {}
    while len(out) < N_STRINGS:
        out[_mutate(rng, rng.choice(pool), pool)] = None
    return list(out) + pool[:20] + ["", " ", "²", "9" * 100, "１２", "١٢", "0" * 32, "-1", "00", "1e3", "0x1f", "12\n"]


@pytest.mark.parametrize("bench", ["nb201", "nb101", "tnb101_macro", "tnb101_micro"])
def test_fuzzed_architectures_are_accepted_exactly_when_in_the_space(bench, members, dbs, capsys):
    space = spaces.get(bench)
    keys, naslib = members[bench]
    strings = _strings(bench, keys, naslib)
    con = duckdb.connect(str(dbs["nb101" if bench == "nb101" else "nb201"]), read_only=True)
    accepted, rejected, escaped = [], [], []

    def call(fn, *args, **kwargs):
        try:
            return True, fn(*args, **kwargs)
        except NasdbError as e:
            assert "\n" not in str(e), f"{fn.__name__}{args}: a multi-line message"
            return False, e
        except Exception as e:  # noqa: BLE001 - the point: nothing else may escape
            escaped.append(f"{fn.__name__}({args[1] if len(args) > 1 else args!r}): {type(e).__name__}: {e}")
            return False, e

    for s in strings:
        ok, value = call(space.parse, s)
        official = _normal(s) in keys
        member = official or _normal(s) in naslib
        # NB101 NASLib tuples / TNB101 digit tuples written differently can still denote a member:
        # then the key they parse to must be one, and a member string must always be accepted
        assert ok >= member, f"{bench}: member {s!r} rejected: {value}"
        if ok:
            assert space.key(value) in keys, f"{bench}: {s!r} accepted as {space.key(value)!r}, not in the space"
            accepted.append(s)
        else:
            rejected.append(s)
        ok_key, key = call(space.arch_key, s)
        assert ok_key == ok or (bench == "nb101" and official is False and ok_key), s
        for to in ("official", "naslib", "spec"):
            assert call(spaces.convert, bench, s, to)[0] == ok or _is_index(space, s)

    task = {"task": space.datasets[0]} if space.per_dataset else {}
    rng = random.Random(0)
    # rejected strings: all through lookup / arch_id when the parser stops them, a sample when only
    # the database can (NB101 hashes of the right form that are no cell's)
    indices = [s for s in rejected if _is_index(space, s)]
    stopped = [s for s in rejected if s not in indices and not call(space.arch_key, s)[0]]
    reach_db = sorted(set(rejected) - set(indices) - set(stopped))
    for s in stopped + rng.sample(reach_db, min(N_DB, len(reach_db))):
        for fn in (nasdb.lookup, nasdb.arch_id):
            assert not call(fn, bench, s, con)[0], s
    for s in indices:  # an in-range official index is a member too
        assert call(nasdb.arch_id, bench, s, con)[1] == int(s), s
    for s in rejected:
        assert not call(nasdb.score, bench, s, **task)[0], s
    for s in rng.sample(accepted, min(N_DB, len(accepted))):
        ok, row = call(nasdb.lookup, bench, s, con)
        assert ok and row["arch_key"] == space.arch_key(s), s
        assert call(nasdb.arch_id, bench, s, con)[1] == row["arch_id"]
    for s in rng.sample(accepted, min(N_SCORE, len(accepted))):
        ok, value = call(nasdb.score, bench, s, **task)
        assert ok and (value is None or math.isfinite(value)), s
    for s in rng.sample(accepted, min(N_CLI, len(accepted))) + rng.sample(rejected, N_CLI):
        ok = call(space.parse, s)[0] or _is_index(space, s)
        code = cli.main(["--db", str(dbs["nb101" if bench == "nb101" else "nb201"]), "convert", bench,
                         "--to", "official", "--", s])
        out, err = capsys.readouterr()
        if ok:
            assert code == 0 and out.count("\n") == 1 and out.strip() in keys, (s, out, err)
        else:
            assert code == 2 and err.count("\n") == 1 and err.startswith("nasdb: error: ") and not out, (s, err)
    con.close()
    assert not escaped, "\n".join(escaped[:20])
    # both answers were exercised
    assert len(accepted) >= 200 and len(rejected) >= 2_000, (len(accepted), len(rejected))
