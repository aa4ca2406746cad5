"""Unit checks of the evaluation maths against scipy and hand-derived answers (no database)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from nasdb.evaluate import bias, correlation, search, topk


def test_weighted_kernel_equals_scipy_on_expanded_resamples():
    """Each resample column must give exactly scipy's Spearman and tau-b of the repeated sample (ties included)."""
    rng = np.random.default_rng(3)
    n = 60
    x = rng.integers(0, 7, n).astype(float)          # heavy ties in x
    y = np.round(x + rng.normal(size=n) * 2, 1)
    y[:6] = y[6]                                      # ties in y too
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    xg, yg = correlation._tie_groups(xs), correlation._tie_groups(ys)
    w = rng.multinomial(n, np.full(n, 1 / n), size=9).T.astype(np.int32).copy()
    rho, tau = correlation.weighted_rank_correlations(xg, yg, w, correlation.workspace(xg, yg, 9))
    for b in range(9):
        xe, ye = np.repeat(xs, w[:, b]), np.repeat(ys, w[:, b])
        assert rho[b] == pytest.approx(stats.spearmanr(xe, ye)[0], abs=1e-12)
        assert tau[b] == pytest.approx(stats.kendalltau(xe, ye)[0], abs=1e-12)


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    y = x + rng.normal(size=400)
    a = correlation.correlate(x, y, 300, seed=5)
    b = correlation.correlate(x, y, 300, seed=5)
    c = correlation.correlate(x, y, 300, seed=6)
    assert a == b and a != c
    assert a.spearman == pytest.approx(stats.spearmanr(x, y)[0])
    assert a.kendall == pytest.approx(stats.kendalltau(x, y)[0])
    assert a.spearman_lo < a.spearman < a.spearman_hi and a.kendall_lo < a.kendall < a.kendall_hi
    # the percentile interval of the resample statistics, recomputed from the resamples themselves
    rhos, taus = correlation.bootstrap(x, y, 300, 5)
    assert a.spearman_lo == pytest.approx(np.percentile(rhos, 2.5)) and a.kendall_hi == pytest.approx(
        np.percentile(taus, 97.5))
    # a width check that any correct bootstrap passes: rho's sd ~ (1 - rho^2) / sqrt(n) here
    assert 0.02 < a.spearman_hi - a.spearman_lo < 0.2


def test_degenerate_inputs_give_null_with_a_reason():
    c = correlation.correlate(np.ones(10), np.arange(10.0), 50, 0)
    assert c.spearman is None and "constant" in c.note
    assert correlation.correlate(np.arange(2.0), np.arange(2.0), 50, 0).note.startswith("fewer than")


def test_topk_hand_derived_with_ties():
    g = np.arange(1.0, 11.0)                      # goodness 1..10, arch 9 is best
    x = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2, 2.])  # proxy: {8,9} sure, one of {5,6,7} at the cut
    r = topk.retrieval(x, g, "3", 3, True)
    assert r.precision_at_k == pytest.approx((2 + 1 / 3) / 3)   # true top-3 = {7,8,9}
    assert r.mean_true == pytest.approx((9 + 10 + (6 + 7 + 8) / 3) / 3)
    assert r.best_true == pytest.approx(10) and r.best_percentile == pytest.approx(100)
    # all four archs tie at the top: 2 of {1,2,3,4} at random; E[max] = (2+3+4+3+4+4)/6
    x2 = np.array([5, 5, 5, 5, 0, 0, 0, 0, 0, 0.])
    r2 = topk.retrieval(x2, g, "2", 2, True)
    assert r2.precision_at_k == 0 and r2.best_true == pytest.approx(20 / 6)
    assert r2.best_percentile == pytest.approx(10 * 20 / 6)
    assert topk.retrieval(x2, g, "50", 50, True).note == "k=50 exceeds the 10 ranked archs"


def test_topk_loss_direction():
    """A loss (lower is better): goodness = -loss; best_true is the smallest loss, reported as a loss."""
    loss = np.arange(1.0, 11.0)
    x = np.array([5, 5, 5, 5, 0, 0, 0, 0, 0, 0.])   # proxy favours the 4 lowest losses
    r = topk.retrieval(x, -loss, "2", 2, False)
    assert r.precision_at_k == pytest.approx(0.5)   # true top-2 = losses {1, 2}
    assert r.best_true == pytest.approx(10 / 6)     # E[min of 2 of {1,2,3,4}] = (1+1+1+2+2+3)/6
    assert r.mean_true == pytest.approx(2.5)
    assert r.best_percentile == pytest.approx((100 * 3 + 90 * 2 + 80) / 6)


def test_k_specs():
    assert topk.k_specs(15625) == [("10", 10), ("50", 50), ("100", 100), ("1%", 156), ("5%", 781), ("10%", 1562)]
    assert topk.k_specs(20)[3] == ("1%", 1)


def test_search_deterministic_cases():
    g = np.array([1.0, 2.0, 3.0])
    perfect = search.simulate(g.copy(), g, True, (2, 3), trials=500, seed=1)
    assert all(r.p_best == 1 and r.mean_regret == 0 for r in perfect)
    reversed_ = search.simulate(-g, g, True, (3,), trials=500, seed=1)[0]
    assert reversed_.mean_true == 1 and reversed_.mean_regret == 2 and reversed_.p_best == 0
    assert search.simulate(g, g, True, (10,), trials=500, seed=1)[0].note == "N=10 exceeds the 3 ranked archs"


def test_search_reversed_proxy_expectation():
    """Samples of 2 of {a<b<c}: a reversed proxy picks the worse one: E = (2a + b) / 3, oracle (b + 2c) / 3."""
    g = np.array([1.0, 2.0, 3.0])
    r = search.simulate(-g, g, True, (2,), trials=4000, seed=2)[0]
    se = r.std_true / np.sqrt(r.trials)
    assert abs(r.mean_true - 4 / 3) < 4 * se
    assert abs(r.mean_oracle - 8 / 3) < 4 * se + 0.05
    assert r.p_best == 0


def test_search_samples_are_without_replacement_and_nested():
    d = search.draws(50, 20, 30, 0)
    assert all(len(set(row)) == 20 for row in d)
    assert (search.draws(50, 20, 30, 0) == d).all()


def test_within_strata_hand_made():
    """Proxy = n_conv only: high overall, but nothing within a stratum (constant), as GRAF argues."""
    strata = np.repeat([1, 2, 3], 12)
    rng = np.random.default_rng(0)
    good = strata * 10 + rng.normal(size=36)
    rows = bias.within_strata(strata.astype(float), good, strata, "accuracy")
    assert [r.stratum for r in rows] == [1, 2, 3] and all(r.spearman is None for r in rows)
    noisy = good + rng.normal(size=36) * 0.01
    rows = bias.within_strata(noisy, good, strata, "accuracy")
    mean = rows[-1]
    assert mean.kind == "strata_mean" and mean.n == 36
    expected = np.mean([stats.spearmanr(noisy[strata == s], good[strata == s])[0] for s in (1, 2, 3)])
    assert mean.spearman == pytest.approx(expected)
