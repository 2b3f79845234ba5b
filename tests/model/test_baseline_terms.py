"""The smooth baseline's design and the default ROI prior's centre, by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mixscope.model.inputs import SMOOTH_KNOT_SPACING, default_roi_prior, trend_basis
from mixscope.spec import ModelSpec


def test_smooth_basis_is_a_slope_and_tents_on_knots_every_eight_periods():
    basis = trend_basis(33, ModelSpec(trend="smooth"))
    # 33 periods: knots at 0, 8, 16, 24, 32; the walk's first knot is pinned at zero.
    assert basis.shape == (33, 1 + 4)
    np.testing.assert_allclose(basis[:, 0], np.linspace(-0.5, 0.5, 33))
    tents = basis[:, 1:]
    np.testing.assert_allclose(tents[[8, 16, 24, 32]], np.eye(4))
    assert tents[4, 0] == pytest.approx(0.5) and tents[0].sum() == 0.0  # halfway up; zero at knot 0
    np.testing.assert_allclose(tents[8:].sum(axis=1), 1.0)  # a partition of unity after the first span
    assert SMOOTH_KNOT_SPACING == 8


def test_default_roi_prior_expects_a_fifth_of_the_outcome_from_media():
    class Data:  # outcome 1,000 from spend 100: the prior's mean ROI is 0.2 * 1000 / 100 = 2
        kpi = np.array([[600.0, 400.0]])
        revenue_per_kpi = np.ones((1, 2))
        spend = np.array([[[60.0], [40.0]]])

    mu, sigma = default_roi_prior(Data())
    assert sigma == 0.9
    assert math.exp(mu + sigma**2 / 2) == pytest.approx(2.0)  # the LogNormal's mean
