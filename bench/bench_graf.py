"""Graph-feature benchmark: how long the ``graf_*`` features of every cell of every space take.

    .venv/bin/python bench/bench_graf.py

Times ``nasdb.proxies.graf.family.compute_chunk`` on ALL architectures of each space in this process
(NB201 15,625 and TNB101 cells through networkx graphs; NB101's 423,624 cells through the enumerated
arrays, whose cache must exist: `nasdb build` or `nasdb ingest nb101` makes it), 3 repetitions, and
prints the median wall and CPU time (process_time: what the work costs on a shared machine), cells per
second and rows, with the load average.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nasdb import spaces  # noqa: E402
from nasdb.proxies.graf import family  # noqa: E402


def archs(bench: str) -> list[tuple[int, str]]:
    """(position, arch_key) of every cell the space enumerates."""
    return list(enumerate(spaces.get(bench).enumerate()))


def main() -> None:
    for bench in ("nb201", "tnb101_micro", "tnb101_macro", "nb101"):
        a = archs(bench)
        s = family.settings(bench, a[0][1])
        times, cpu, rows = [], [], 0
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            rows = family.compute_chunk(bench, a, s).height
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        t, c = statistics.median(times), statistics.median(cpu)
        print(f"{bench:<13} {len(a):>8,} cells  {len(s['proxies']):>3} features  {rows:>10,} rows  "
              f"wall {t:6.2f} s  cpu {c:6.2f} s  ({len(a) / c:,.0f} cells per cpu-s; load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
