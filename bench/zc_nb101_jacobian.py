"""Why nasdb's NB101 jacov and epe_nas disagree with NAS-Bench-Suite-Zero's (docs/benchmarks.md, zero-cost
faithfulness, "NB101 jacov and epe_nas").

Both proxies read the input Jacobians of one batch. On NB101 the correlations between different images'
Jacobians are tiny (jacov = -n - ~1/2 sum of their squares), so the values are dominated by what the batch
is rather than by the architecture:

1. (no compute) epe_nas sums log|corr| over the pairs of same-class images, so its value grows with the
   number of such pairs in the batch. Suite-Zero drew a fresh CIFAR-10 batch of 32 for every arch: the
   spread of its published NB101 values is compared with the spread of that pair count over random
   batches of a balanced 10-class set.
2. (``--n`` archs of the ``--published --sample 60 --seed 0`` NB101 sample, every 4th) jacov and epe_nas of
   nasdb's network four ways: the run's fashion-mnist batch; one synthetic N(0, 1) batch; the
   fashion-mnist batch with the init of NASLib's NB101 port (seeded); a fresh synthetic batch per arch
   with CIFAR-like balanced labels (as Suite-Zero's loader). Level, Spearman with the published values
   and with the ground truth, and for the fresh batches Spearman(epe_nas, same-class pairs).

    NASDB_MIRROR=../shared/benchdata python bench/zc_nb101_jacobian.py --db data/nasdb.duckdb [--n 15]

About 12 CPU-s per arch (four network builds) plus loading NB101's hash index.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from scipy.stats import spearmanr
from zc_init_check import naslib_nb101

from nasdb import store
from nasdb.proxies.zc import data, faithful, family, suite

BATCH = 32            # Suite-Zero's NB101 batch
CLASSES = 10
PER_CLASS = 5000      # CIFAR-10's training set: 5,000 images per class
PROXIES = ["jacov", "epe_nas"]


def same_class_pairs(labels: np.ndarray) -> int:
    """Ordered pairs of different images with the same label: the off-diagonal entries epe_nas sums."""
    n = np.bincount(labels, minlength=CLASSES)
    return int((n * (n - 1)).sum())


def cifar_like_labels(seed: int) -> np.ndarray:
    """The labels of a batch drawn without replacement from a balanced 10-class training set."""
    pool = np.repeat(np.arange(CLASSES), PER_CLASS)
    return np.random.default_rng(seed).choice(pool, BATCH, replace=False)


def batch_composition(published_epe: np.ndarray, draws: int = 20_000) -> None:
    pairs = np.array([same_class_pairs(cifar_like_labels(s)) for s in range(draws)])
    for what, v in (("published NB101 epe_nas", published_epe), ("same-class pairs of a random batch", pairs)):
        print(f"{what}: mean {v.mean():.1f}, sd {v.std():.1f}, cv {v.std() / v.mean():.3f}, "
              f"5%/95% of mean {np.quantile(v, 0.05) / v.mean():.2f}/{np.quantile(v, 0.95) / v.mean():.2f}")


def variants(arch_key: str) -> dict[str, tuple[torch.nn.Module, data.Batch, int | None]]:
    """(network, batch, same-class pairs of a fresh batch or None) per way of computing."""
    def build(source: str):
        return family.network_and_batch("nb101", arch_key, "cifar10", 0, source, BATCH)

    out = {"fashion-mnist (the run's batch)": (*build("fashion-mnist"), None),
           "synthetic (one batch)": (*build("synthetic"), None)}
    net, batch = build("fashion-mnist")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(family.seed_of(0, "nb101", arch_key, "naslib-init"))
        naslib_nb101(net)
    out["fashion-mnist, NASLib port's init"] = (net, batch, None)
    net, _ = build("synthetic")
    seed = family.seed_of(0, "fresh batch", arch_key)
    labels = cifar_like_labels(seed % 2**32)
    x = data.draw("synthetic", BATCH, seed, (3, 32, 32), CLASSES).x
    out["synthetic, fresh batch per arch"] = (net, data.Batch(x, torch.from_numpy(labels)), same_class_pairs(labels))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="database (default: env NASDB_DB, else data/nasdb.duckdb)")
    ap.add_argument("--n", type=int, default=15, help="archs (every 4th of the 60-arch sample)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    con = store.connect(args.db, read_only=True)
    ids = family.published_sample(con, "nb101", ["jacov", "epe_nas", "nwot"], None, 60, 0)[::4][:args.n]
    keys = dict(con.execute("SELECT arch_id, arch_key FROM archs WHERE bench = 'nb101'").fetchall())
    published = {p: dict(con.execute("SELECT arch_id, value FROM proxies WHERE bench = 'nb101' AND proxy = ? "
                                     "AND source = ?", [p, family.PUBLISHED_SOURCE]).fetchall()) for p in PROXIES}
    _, truth = faithful._truth(con, "nb101", "cifar10", ids)
    con.close()
    batch_composition(np.array(list(published["epe_nas"].values())))

    got: dict[str, dict[str, list[float]]] = {}
    pairs: dict[str, list[int]] = {}
    start = time.process_time()
    for i in ids:
        for how, (net, batch, n_pairs) in variants(keys[i]).items():
            for p, v in suite.compute(net, batch, PROXIES, 0).items():
                got.setdefault(how, {}).setdefault(p, []).append(v)
            if n_pairs is not None:
                pairs.setdefault(how, []).append(n_pairs)
    print(f"{len(ids)} archs, {time.process_time() - start:.0f} CPU-s\n")
    pub = {p: np.array([published[p][i] for i in ids]) for p in PROXIES}
    t = np.array([truth[i] for i in ids])
    print("| way | proxy | mean | Spearman(., published) | Spearman(., truth) | Spearman(., same-class pairs) |\n"
          "|---|---|---|---|---|---|")
    for p in PROXIES:
        print(f"| published | {p} | {pub[p].mean():.3f} | - | {spearmanr(pub[p], t)[0]:.2f} | - |")
        for how, values in got.items():
            v = np.array(values[p])
            by_pairs = f"{spearmanr(v, pairs[how])[0]:.2f}" if how in pairs else "-"
            print(f"| {how} | {p} | {v.mean():.3f} | {spearmanr(v, pub[p])[0]:.2f} | {spearmanr(v, t)[0]:.2f} "
                  f"| {by_pairs} |")


if __name__ == "__main__":
    main()
