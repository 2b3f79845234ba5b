"""Statistics shared by data validation and the ridge engine (mixscope.stats)."""

from __future__ import annotations

import numpy as np

from mixscope.stats import variance_inflation


def test_variance_inflation():
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(3, 200))
    assert np.allclose(variance_inflation(np.column_stack([a, b, c])), 1.0, atol=0.1)
    assert np.isinf(variance_inflation(np.column_stack([a, a * 3 + 1, c]))[:2]).all()
    # No pair is collinear, but the three together are exactly.
    assert np.isinf(variance_inflation(np.column_stack([a, b, a + b]))).all()


def test_variance_inflation_is_one_over_unexplained_variance():
    # b = a + noise with var(noise) = var(a): R² of b on a is 1/2, so both VIFs are 2.
    rng = np.random.default_rng(1)
    a = rng.normal(size=200_000)
    b = a + rng.normal(size=a.size)
    np.testing.assert_allclose(variance_inflation(np.column_stack([a, b])), 2.0, rtol=0.02)


def test_weights_leave_rows_out_and_a_constant_column_is_nan():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(2, 300))
    weights = np.r_[np.ones(200), np.zeros(100)]
    # The last 100 rows make b a copy of a; with zero weight they change nothing.
    b_polluted = np.r_[b[:200], a[200:]]
    expected = variance_inflation(np.column_stack([a[:200], b[:200]]))
    np.testing.assert_allclose(variance_inflation(np.column_stack([a, b_polluted]), weights), expected)
    vif = variance_inflation(np.column_stack([a, b, np.full(300, 7.0)]))
    assert np.isnan(vif[2]) and np.isfinite(vif[:2]).all()
