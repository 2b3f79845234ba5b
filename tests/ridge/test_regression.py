"""Penalised regression: exact solutions, sign constraints, penalty by time-series CV, VIF."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from scipy.optimize import minimize

from mixscope.ridge.regression import (
    JITTER,
    L1_RATIO,
    cv_penalty,
    fit_penalized,
    rolling_origin_folds,
    within_geo_variance_inflation,
)


def _problem(seed=0, n_times=156, noise=0.3, collinear=True):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, n_times, 9)).astype(np.float32)
    if collinear:
        x[..., 1] = 0.95 * x[..., 0] + 0.05 * x[..., 1]  # two collinear baseline columns
    x[..., 5:] = np.abs(x[..., 5:])  # "media": non-negative
    beta = np.array([1.0, -0.5, 0.3, 0.0, 0.8, 1.2, -0.7, 0.0, 0.6])  # one media effect is negative
    y = (x @ beta + noise * rng.standard_normal((1, n_times)) + 2.0).astype(np.float32)
    return x, y, np.arange(9) >= 5


def _reference(x, y, penalty, l1_ratio, positive):
    """The same objective minimised in float64 by L-BFGS-B with bounds."""
    x, y = x[0].astype(float), y[0].astype(float)
    xc, yc = x - x.mean(0), y - y.mean()
    sd, y_sd = xc.std(0), yc.std()
    xs, ys = xc / sd, yc / y_sd

    def objective(b):
        ridge = penalty * (1 - l1_ratio) + JITTER
        return 0.5 * np.mean((ys - xs @ b) ** 2) + ridge / 2 * b @ b + penalty * l1_ratio * np.abs(b).sum()

    bounds = [(0, None) if p else (None, None) for p in positive]
    result = minimize(objective, np.zeros(x.shape[1]), bounds=bounds, method="L-BFGS-B",
                      options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 20000})
    return result.x * y_sd / sd


@pytest.mark.parametrize("method,penalty", [("ols", 0.0), ("ridge", 0.02), ("lasso", 0.02)])
def test_solution_matches_a_reference_optimiser_and_respects_signs(method, penalty):
    x, y, positive = _problem()
    fit = jax.jit(lambda: fit_penalized(
        x, y, np.ones(x.shape[1], np.float32), penalty,
        l1_ratio=L1_RATIO[method], positive=positive, sweeps=25,
    ))()
    coef = np.asarray(fit.coef)
    assert np.all(coef[positive] >= 0)
    assert coef[6] == 0.0  # the negative media effect is clipped, not fitted negative
    np.testing.assert_allclose(coef, _reference(x, y, penalty, L1_RATIO[method], positive), atol=2e-3)
    # Intercept: residuals average to zero over the fitted periods.
    residual = y - np.asarray(fit.intercept)[:, None] - x @ coef
    assert abs(residual.mean()) < 1e-3


def test_zero_weights_leave_periods_out():
    x, y, positive = _problem()
    weights = np.r_[np.ones(100), np.zeros(56)].astype(np.float32)
    y_broken = y.copy()
    y_broken[:, 100:] += 50.0  # garbage outside the fitted window must not matter
    solve = jax.jit(lambda target: fit_penalized(
        x, target, weights, 0.01, l1_ratio=0.0, positive=positive, sweeps=25
    ))
    fits = [solve(target) for target in (y, y_broken)]
    np.testing.assert_allclose(np.asarray(fits[0].coef), np.asarray(fits[1].coef), atol=1e-5)


def test_cv_picks_a_small_penalty_for_signal_and_a_large_one_for_noise():
    # Well-conditioned regressors, a correctly signed model and a strong signal: shrinkage only hurts.
    x, _, positive = _problem(collinear=False)
    rng = np.random.default_rng(2)
    y = (x @ np.linspace(0.3, 1.2, 9) + 0.1 * rng.standard_normal((1, x.shape[1]))).astype(np.float32)
    mask = np.ones(x.shape[1], dtype=bool)
    signal = cv_penalty(x, y, mask, l1_ratio=0.0, positive=positive, sweeps=25)
    assert signal.chosen <= 0.01, signal
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(y.shape).astype(np.float32)
    pure_noise = cv_penalty(x, noise, mask, l1_ratio=0.0, positive=positive, sweeps=25)
    assert pure_noise.chosen >= 0.1, pure_noise
    assert pure_noise.scores.shape == pure_noise.penalties.shape == (25,)


def test_rolling_origin_folds_never_validate_on_the_past():
    mask = np.r_[np.ones(100, dtype=bool), np.zeros(8, dtype=bool)]  # 8 holdout periods
    fit, valid, horizon = rolling_origin_folds(mask, folds=5)
    for k in range(fit.shape[0]):
        assert np.flatnonzero(fit[k]).max() < np.flatnonzero(valid[k]).min()
        assert valid[k].sum() == horizon
        assert not valid[k, 100:].any() and not fit[k, 100:].any()  # the holdout stays out


def test_vif_flags_collinear_columns():
    x, _, _ = _problem()
    vif = within_geo_variance_inflation(x, np.ones(x.shape[1]))
    assert vif[0] > 50 and vif[1] > 50
    assert np.all(vif[2:] < 2)
