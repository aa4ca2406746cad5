"""NB101's module hash for many cells at once, compiled with numba (MD5 included).

The same computation as :func:`nasdb.spaces.nb101.module_hash` (which stays the readable reference),
byte for byte: hashlib's per-call overhead makes the Python version ~0.3 ms per cell, i.e. minutes
for the 423,624 cells of the space; this one does the whole space in seconds on one core.
Tests check it against the reference and against the published hashes of data-1k.json.
"""
from __future__ import annotations

import math

import numba
import numpy as np

_S = np.array([7, 12, 17, 22] * 4 + [5, 9, 14, 20] * 4 + [4, 11, 16, 23] * 4 + [6, 10, 15, 21] * 4,
              dtype=np.uint64)
_K = np.array([int(abs(math.sin(i + 1)) * 2 ** 32) & 0xFFFFFFFF for i in range(64)], dtype=np.uint64)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8).copy()
_MASK = np.uint64(0xFFFFFFFF)


@numba.njit(cache=True)
def _md5_hex(msg, length, out):
    """MD5 (RFC 1321) of msg[:length], written as 32 lowercase hex ASCII bytes into ``out``.

    ``msg`` must have 72 spare bytes after ``length``: the padding is written there in place.
    """
    n_blocks = (length + 8) // 64 + 1
    end = n_blocks * 64
    msg[length] = 0x80
    msg[length + 1:end - 8] = 0
    bit_len = np.uint64(length) * np.uint64(8)
    for i in range(8):
        msg[end - 8 + i] = (bit_len >> np.uint64(8 * i)) & np.uint64(0xFF)
    s0, s1, s2, s3 = np.uint64(0x67452301), np.uint64(0xEFCDAB89), np.uint64(0x98BADCFE), np.uint64(0x10325476)
    words = np.empty(16, dtype=np.uint64)
    for blk in range(n_blocks):
        for j in range(16):
            o = blk * 64 + 4 * j
            words[j] = (np.uint64(msg[o]) | (np.uint64(msg[o + 1]) << np.uint64(8))
                        | (np.uint64(msg[o + 2]) << np.uint64(16)) | (np.uint64(msg[o + 3]) << np.uint64(24)))
        a, b, c, d = s0, s1, s2, s3
        for i in range(64):
            if i < 16:
                f = (b & c) | ((~b & _MASK) & d)
                g = i
            elif i < 32:
                f = (d & b) | ((~d & _MASK) & c)
                g = (5 * i + 1) % 16
            elif i < 48:
                f = b ^ c ^ d
                g = (3 * i + 5) % 16
            else:
                f = c ^ (b | (~d & _MASK))
                g = (7 * i) % 16
            f = (f + a + _K[i] + words[g]) & _MASK
            a = d
            d = c
            c = b
            s = _S[i]
            b = (b + (((f << s) | (f >> (np.uint64(32) - s))) & _MASK)) & _MASK
        s0 = (s0 + a) & _MASK
        s1 = (s1 + b) & _MASK
        s2 = (s2 + c) & _MASK
        s3 = (s3 + d) & _MASK
    for w in range(4):
        st = s0 if w == 0 else (s1 if w == 1 else (s2 if w == 2 else s3))
        for k in range(4):
            byte = (st >> np.uint64(8 * k)) & np.uint64(0xFF)
            out[8 * w + 2 * k] = _HEX[byte >> np.uint64(4)]
            out[8 * w + 2 * k + 1] = _HEX[byte & np.uint64(0xF)]


@numba.njit(cache=True)
def _less(x, y):
    for k in range(32):
        if x[k] != y[k]:
            return x[k] < y[k]
    return False


@numba.njit(cache=True)
def _sort_rows(rows, idx, count):
    """Insertion sort of the hex rows idx[:count] (n <= 7, so this is cheap)."""
    for i in range(1, count):
        j = i
        while j > 0 and _less(rows[idx[j]], rows[idx[j - 1]]):
            idx[j], idx[j - 1] = idx[j - 1], idx[j]
            j -= 1


@numba.njit(cache=True)
def _put_int(buf, pos, v):
    if v < 0:
        buf[pos] = 45  # '-'
        pos += 1
        v = -v
    if v >= 10:
        buf[pos] = 48 + v // 10
        pos += 1
    buf[pos] = 48 + v % 10
    return pos + 1


@numba.njit(cache=True)
def module_hashes(matrices, labels, n_vertices):
    """(N, 32) uint8 hex hashes of N cells given as zero-padded (N, V, V) matrices and (N, V) labels."""
    out = np.empty((len(n_vertices), 32), dtype=np.uint8)
    buf = np.empty(1024, dtype=np.uint8)
    size = matrices.shape[1]
    hashes = np.empty((size, 32), dtype=np.uint8)
    new = np.empty((size, 32), dtype=np.uint8)
    idx = np.empty(size, dtype=np.int64)
    for c in range(len(n_vertices)):
        m = matrices[c]
        n = n_vertices[c]
        for v in range(n):  # md5(str((out_degree, in_degree, label)))
            deg_in = 0
            deg_out = 0
            for w in range(n):
                deg_in += m[w, v]
                deg_out += m[v, w]
            buf[0] = 40  # '('
            p = _put_int(buf, 1, deg_out)
            buf[p] = 44  # ','
            buf[p + 1] = 32
            p = _put_int(buf, p + 2, deg_in)
            buf[p] = 44
            buf[p + 1] = 32
            p = _put_int(buf, p + 2, labels[c, v])
            buf[p] = 41  # ')'
            _md5_hex(buf, p + 1, hashes[v])
        for _ in range(n):
            for v in range(n):
                p = 0
                for direction in range(2):
                    count = 0
                    for w in range(n):
                        if (m[w, v] if direction == 0 else m[v, w]):
                            idx[count] = w
                            count += 1
                    _sort_rows(hashes, idx, count)
                    for k in range(count):
                        buf[p:p + 32] = hashes[idx[k]]
                        p += 32
                    buf[p] = 124  # '|'
                    p += 1
                buf[p:p + 32] = hashes[v]
                _md5_hex(buf, p + 32, new[v])
            hashes[:n] = new[:n]
        for k in range(n):  # md5(str(sorted(hashes))) = "['h1', 'h2', ...]"
            idx[k] = k
        _sort_rows(hashes, idx, n)
        buf[0] = 91  # '['
        p = 1
        for k in range(n):
            if k:
                buf[p] = 44
                buf[p + 1] = 32
                p += 2
            buf[p] = 39  # "'"
            buf[p + 1:p + 33] = hashes[idx[k]]
            buf[p + 33] = 39
            p += 34
        buf[p] = 93  # ']'
        _md5_hex(buf, p + 1, out[c])
    return out


def hex_strings(rows: np.ndarray) -> np.ndarray:
    """(N, 32) uint8 ASCII rows -> (N,) array of str."""
    return np.ascontiguousarray(rows).view("S32").ravel().astype("U32")
