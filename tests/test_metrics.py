"""The one definition of each metric (mixscope.metrics), on values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from mixscope import metrics


def test_interval_is_the_central_90_percent():
    # 0, 1, ..., 100: the 5% and 95% order statistics are exactly 5 and 95.
    summary = metrics.interval_summary(np.arange(101.0)[::-1])
    assert summary["mean"] == summary["median"] == 50.0
    assert summary["ci_90"] == pytest.approx([5.0, 95.0], rel=1e-12)
    # 21 values 0..20: positions 0.05 * 20 = 1 and 0.95 * 20 = 19.
    assert metrics.interval_summary(np.arange(21.0))["ci_90"] == pytest.approx([1.0, 19.0], rel=1e-12)


def test_interval_matches_numpy_quantiles_between_order_statistics():
    draws = np.random.default_rng(3).lognormal(0.0, 1.0, (999, 3))
    by_channel = metrics.summarize_by_channel(draws, ["a", "b", "c"])
    for c, name in enumerate("abc"):
        low, median, high = np.quantile(draws[:, c], [0.05, 0.5, 0.95])
        assert by_channel[name]["ci_90"] == pytest.approx([low, high], rel=1e-12)
        assert by_channel[name]["median"] == pytest.approx(median, rel=1e-12)
        assert by_channel[name]["mean"] == pytest.approx(draws[:, c].mean(), rel=1e-12)


def test_roi_mroi_and_cpa_by_hand():
    spend = np.array([5.0, 10.0])
    np.testing.assert_allclose(metrics.roi(np.array([[10.0, 30.0]]), spend), [[2.0, 3.0]])
    # A 1% rise in spend (0.05 and 0.1) brings 0.1 and 0.05 more: mROI 2 and 0.5.
    before, after = np.array([[10.0, 30.0]]), np.array([[10.1, 30.05]])
    np.testing.assert_allclose(metrics.mroi(before, after, spend, 0.01), [[2.0, 0.5]])
    np.testing.assert_allclose(metrics.cpa(np.array([[2.5, 40.0]]), spend), [[2.0, 0.25]])


def test_contribution_shares_and_baseline_share_sum_to_one():
    contribution, expected = np.array([[20.0, 30.0], [10.0, 0.0]]), np.array([100.0, 50.0])
    shares, baseline = metrics.contribution_shares(contribution, expected)
    np.testing.assert_allclose(shares, [[0.2, 0.3], [0.2, 0.0]])
    np.testing.assert_allclose(baseline, [0.5, 0.8])


def test_interval_key_names_its_mass():
    draws = np.arange(101.0)
    assert set(metrics.interval_summary(draws)) == {"mean", "median", "ci_90"}
    eighty = metrics.interval_summary(draws, mass=0.8)
    assert set(eighty) == {"mean", "median", "ci_80"}
    assert eighty["ci_80"] == pytest.approx([10.0, 90.0], rel=1e-12)
    with pytest.raises(ValueError, match="whole percentage"):
        metrics.interval_summary(draws, mass=0.975)
    with pytest.raises(ValueError, match="whole percentage"):
        metrics.interval_summary(draws, mass=1.0)


def test_saturation_ratio_is_marginal_over_average_return():
    assert metrics.saturation_ratio(0.5, 2.0) == pytest.approx(0.25)
    assert metrics.saturation_ratio(0.5, 0.0) is None


def test_break_even_spend_on_a_concave_curve():
    # outcome = 4 sqrt(spend): marginal return 2 / sqrt(spend) falls below 1 past spend 4.
    grid = np.linspace(0.0, 16.0, 161)
    spend = metrics.break_even_spend(grid, 4.0 * np.sqrt(grid), 1.0)
    assert spend == pytest.approx(4.0, abs=0.11)
    assert metrics.break_even_spend(grid, 0.5 * grid, 1.0) == 0.0  # never above: from the start
    assert metrics.break_even_spend(grid, 2.0 * grid, 1.0) is None  # never below: no break-even
