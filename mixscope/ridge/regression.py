"""Penalised least squares with sign constraints: the OLS, ridge and lasso of the frequentist mode.

The regression is ``target[g, t] = intercept[g] + features[g, t] · coef + noise``
with one intercept per geo (unpenalised) and coefficients shared across geos.
It is solved on the Gram matrix of geo-demeaned, standardised regressors (a
few dozen columns at most), by coordinate descent started at the exact
unconstrained ridge solution. That keeps one fit a fixed amount of small dense
work, so a whole population of candidates, bootstrap replicates or
cross-validation folds is solved in one ``jax.vmap`` call.

The penalty is ``penalty * ((1 - l1_ratio) / 2 * |b|² + l1_ratio * |b|₁)`` on
standardised coefficients ``b`` with the KPI standardised too, so its scale
does not depend on the data's units (as glmnet's, which Robyn uses).

Weights are per period: 0 leaves a period out (time-series validation), a
count repeats it (block bootstrap).

Optional Gaussian knowledge of values linear in the coefficients (for media:
each channel's ROI, or a lift test's implied lift) turns the fit into a
maximum a posteriori estimate: the coefficients are pulled towards that
knowledge, not towards zero, by as much as its precision weighs against the
data's (see :class:`GaussianPrior`).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from mixscope.choices import RIDGE_METHODS
from mixscope.stats import variance_inflation

METHODS = RIDGE_METHODS
L1_RATIO = {"ols": 0.0, "ridge": 0.0, "lasso": 1.0}
# A tiny ridge term keeps OLS solvable when regressors are collinear (float32
# Gram matrices); it moves coefficients by far less than their standard errors.
JITTER = 1e-5
_TINY = 1e-8


class LinearFit(NamedTuple):
    """One fitted regression (a JAX pytree, so fits batch under ``vmap``).

    Attributes:
        coef: ``(feature,)`` coefficients in the units of the raw features.
        intercept: ``(geo,)`` per-geo intercepts.
        noise_sd: ``(geo,)`` weighted residual standard deviation over the fitted periods.
    """

    coef: Array
    intercept: Array
    noise_sd: Array


class GaussianPrior(NamedTuple):
    """Gaussian knowledge of ``values = loading @ coef``: ``values ~ N(mean, precision⁻¹)``.

    A prior on each channel's ROI (a row per channel, its ROI per unit
    coefficient on its column) or a measured lift test (its implied lift per
    unit coefficient) are both this; rows of several sources stack.

    Attributes:
        loading: ``(value, feature)`` each value per unit of each raw coefficient.
        mean: ``(value,)`` the values' prior mean (or measurement).
        precision: ``(value, value)`` inverse covariance of the values; a zero row
            leaves its value out.
    """

    loading: Array
    mean: Array
    precision: Array


class CrossValidation(NamedTuple):
    """Time-series cross-validation of the penalty.

    Attributes:
        penalties: ``(grid,)`` penalties tried.
        scores: ``(grid,)`` mean validation MSE (target units squared) over folds.
        chosen: the penalty with the lowest score.
        folds: number of rolling-origin folds.
        horizon: periods validated per fold.
    """

    penalties: np.ndarray
    scores: np.ndarray
    chosen: float
    folds: int
    horizon: int


def fit_penalized(
    features: ArrayLike, target: ArrayLike, weights: ArrayLike, penalty: ArrayLike, *,
    l1_ratio: float, positive: np.ndarray, sweeps: int, prior: GaussianPrior | None = None,
) -> LinearFit:
    """Fit one penalised regression with per-geo intercepts.

    Args:
        features: ``(geo, time, feature)`` regressors.
        target: ``(geo, time)`` response.
        weights: ``(time,)`` non-negative period weights (0 = not fitted).
        penalty: scalar penalty strength (0 for OLS).
        l1_ratio: 0 for ridge, 1 for lasso.
        positive: ``(feature,)`` static bools: coefficients constrained to be ≥ 0.
        sweeps: coordinate-descent passes over the coefficients.
        prior: optional Gaussian prior on values of the coefficients, weighed against
            the data by the residual variance (see :func:`prior_terms`).
    """
    x = jnp.asarray(features)
    y = jnp.asarray(target)
    w = jnp.broadcast_to(jnp.asarray(weights, x.dtype), y.shape)
    geo_weight = jnp.maximum(w.sum(axis=1), _TINY)
    total = jnp.maximum(w.sum(), _TINY)
    x_mean = jnp.einsum("gt,gtp->gp", w, x) / geo_weight[:, None]
    y_mean = (w * y).sum(axis=1) / geo_weight
    xc = x - x_mean[:, None, :]
    yc = y - y_mean[:, None]
    x_sd = jnp.sqrt(jnp.einsum("gt,gtp->p", w, xc**2) / total)
    # A column constant over the fitted periods carries no information: leave it
    # unscaled, its Gram row is zero and its coefficient stays zero.
    x_sd = jnp.where(x_sd > _TINY, x_sd, 1.0)
    y_sd = jnp.sqrt((w * yc**2).sum() / total)
    y_sd = jnp.where(y_sd > _TINY, y_sd, 1.0)
    xs = xc / x_sd
    weighted = xs * w[..., None]
    gram = jnp.einsum("gtp,gtq->pq", weighted, xs) / total
    moment = jnp.einsum("gtp,gt->p", weighted, yc / y_sd) / total
    if prior is not None:
        dof = total - x.shape[-1] - x.shape[0]  # minus coefficients and per-geo intercepts
        extra_gram, extra_moment = prior_terms(prior, gram, moment, x_sd, y_sd, dof)
        gram, moment = gram + extra_gram, moment + extra_moment
    b = solve_gram(gram, moment, penalty, l1_ratio=l1_ratio, positive=positive, sweeps=sweeps)
    coef = b * y_sd / x_sd
    intercept = y_mean - x_mean @ coef
    residual = y - intercept[:, None] - x @ coef
    noise_sd = jnp.sqrt((w * residual**2).sum(axis=1) / geo_weight)
    return LinearFit(coef, intercept, noise_sd)


def prior_terms(
    prior: GaussianPrior, gram: Array, moment: Array, x_sd: Array, y_sd: Array, dof: Array,
) -> tuple[Array, Array]:
    """The prior's quadratic and linear terms in the standardised objective ``b'Gb/2 - m'b``.

    That objective is the residual sum of squares over ``total * y_sd²``; the
    negative log-likelihood is the sum of squares over ``2σ²``. So the prior's
    ``(v - mean)' precision (v - mean) / 2`` (``v = loading @ coef``) enters scaled
    by ``σ² / (total * y_sd²)``, which is the unexplained share of the variance over
    the degrees of freedom, measured by the unconstrained least-squares fit: a
    noisier fit leans more on the prior.
    """
    n = gram.shape[-1]
    least_squares = _spd_solve(gram + JITTER * jnp.eye(n, dtype=gram.dtype), moment)
    fitted = least_squares @ gram @ least_squares
    unexplained = jnp.maximum(1.0 - 2.0 * moment @ least_squares + fitted, _TINY)
    weight = unexplained / jnp.maximum(dof, 1.0)
    per_b = prior.loading * (y_sd / x_sd)[None, :]  # values per unit of a standardised coefficient
    quadratic = per_b.T @ prior.precision @ per_b
    return weight * quadratic, weight * (per_b.T @ (prior.precision @ prior.mean))


def solve_gram(
    gram: ArrayLike, moment: ArrayLike, penalty: ArrayLike, *,
    l1_ratio: float, positive: np.ndarray, sweeps: int,
) -> Array:
    """Minimise ``b'Gb/2 - m'b + penalty((1-ρ)/2|b|² + ρ|b|₁)`` s.t. ``b[positive] ≥ 0``.

    Args:
        gram: ``(p, p)`` Gram matrix of standardised regressors.
        moment: ``(p,)`` their inner products with the standardised target.
        penalty: scalar ≥ 0.
        l1_ratio: ρ in ``[0, 1]``.
        positive: ``(p,)`` static bools.
        sweeps: coordinate-descent passes.

    Returns:
        ``(p,)`` standardised coefficients.
    """
    gram = jnp.asarray(gram)
    moment = jnp.asarray(moment)
    positive = np.asarray(positive, dtype=bool)
    n = gram.shape[-1]
    l2 = penalty * (1.0 - l1_ratio) + JITTER
    l1 = penalty * l1_ratio
    system = gram + l2 * jnp.eye(n, dtype=gram.dtype)
    # The unconstrained ridge solution is exact when no sign constraint binds
    # (the usual case), so descent only has to repair the few that do.
    start = _spd_solve(system, moment)
    start = jnp.where(positive, jnp.maximum(start, 0.0), start)
    diagonal = jnp.diagonal(system)

    lower = jnp.where(positive, 0.0, -jnp.inf)

    def update(step, b):
        j = step % n  # one coordinate per step: a small loop body compiles fast
        rho = moment[j] - system[j] @ b + diagonal[j] * b[j]
        value = jnp.sign(rho) * jnp.maximum(jnp.abs(rho) - l1, 0.0) / diagonal[j]
        return b.at[j].set(jnp.maximum(value, lower[j]))

    descended = jax.lax.fori_loop(0, sweeps * n, update, start)
    # Descent finds the zero pattern quickly but converges slowly along
    # collinear directions; given the pattern, the optimum solves a linear system.
    held = (descended == 0.0) if l1_ratio > 0 else (positive & (descended <= 0.0))
    polished = _spd_solve(
        jnp.where(held[:, None] | held[None, :], jnp.eye(n, dtype=gram.dtype), system),
        jnp.where(held, 0.0, moment - l1 * jnp.sign(descended)),
    )
    feasible = jnp.all(jnp.where(positive, polished >= 0.0, True))
    if l1_ratio > 0:  # the lasso system assumed the signs descent found
        feasible = feasible & jnp.all(jnp.where(held, True, jnp.sign(polished) == jnp.sign(descended)))

    def objective(b):
        return 0.5 * b @ system @ b - moment @ b + l1 * jnp.abs(b).sum()

    better = feasible & (objective(polished) <= objective(descended))
    return jnp.where(better, polished, descended)


def _spd_solve(matrix: Array, rhs: Array) -> Array:
    """Solve a symmetric positive-definite system (Cholesky: compiles and runs faster than LU)."""
    return jax.scipy.linalg.cho_solve((jnp.linalg.cholesky(matrix), True), rhs)


def predict(fit: LinearFit, features: ArrayLike) -> Array:
    """``(geo, time, feature)`` → ``(geo, time)`` fitted values."""
    return fit.intercept[:, None] + jnp.asarray(features) @ fit.coef


def rolling_origin_folds(train_mask: np.ndarray, folds: int = 5) -> tuple[np.ndarray, np.ndarray, int]:
    """Expanding-window folds over the training periods, oldest first.

    Fold ``k`` fits on every training period before its validation block and
    validates on the next ``horizon`` periods; the last fold ends at the last
    training period. Never validates on the past: time series leak otherwise.

    Returns:
        ``(fit_weights (fold, time), validation_mask (fold, time), horizon)``.
    """
    train_index = np.flatnonzero(train_mask)
    n_train = len(train_index)
    folds = max(1, min(folds, n_train // 10))
    horizon = max(1, n_train // (2 * folds))
    n_times = len(train_mask)
    fit_weights = np.zeros((folds, n_times), dtype=np.float32)
    validation = np.zeros((folds, n_times), dtype=bool)
    for k in range(folds):
        cut = n_train - (folds - k) * horizon
        fit_weights[k, train_index[:cut]] = 1.0
        validation[k, train_index[cut : cut + horizon]] = True
    return fit_weights, validation, horizon


def cv_penalty(
    features: ArrayLike, target: ArrayLike, train_mask: np.ndarray, *,
    l1_ratio: float, positive: np.ndarray, sweeps: int,
    penalties: np.ndarray | None = None, folds: int = 5, prior: GaussianPrior | None = None,
) -> CrossValidation:
    """Choose the penalty by rolling-origin cross-validation (see :func:`rolling_origin_folds`).

    Args:
        features: ``(geo, time, feature)``; target ``(geo, time)``; train_mask ``(time,)``.
        penalties: grid to try; default 25 values log-spaced over ``[1e-4, 1]``.
        prior: the Gaussian prior every fold's fit uses (see :func:`fit_penalized`).
    """
    grid = np.geomspace(1e-4, 1.0, 25) if penalties is None else np.asarray(penalties)
    grid = grid.astype(np.float32)
    fit_weights, validation, horizon = rolling_origin_folds(train_mask, folds)
    scores = _cv_scores(
        jnp.asarray(features), jnp.asarray(target), fit_weights, validation.astype(np.float32), grid,
        prior, l1_ratio=float(l1_ratio), positive=tuple(bool(p) for p in positive), sweeps=sweeps,
    )
    scores = np.asarray(scores).mean(axis=0)
    return CrossValidation(
        penalties=grid.astype(float),
        scores=scores.astype(float),
        chosen=float(grid[int(np.argmin(scores))]),
        folds=fit_weights.shape[0],
        horizon=horizon,
    )


@functools.partial(jax.jit, static_argnames=("l1_ratio", "positive", "sweeps"))
def _cv_scores(x, y, fit_weights, validation, grid, prior, *, l1_ratio, positive, sweeps):
    """``(fold, penalty)`` validation MSE; module-level so repeated CVs of one shape compile once."""
    positive = np.array(positive)

    def score(weights, valid, penalty):
        fit = fit_penalized(
            x, y, weights, penalty, l1_ratio=l1_ratio, positive=positive, sweeps=sweeps, prior=prior
        )
        residual = (y - predict(fit, x)) * valid[None, :]
        return (residual**2).sum() / jnp.maximum(valid.sum() * y.shape[0], 1)

    by_penalty = jax.vmap(score, in_axes=(None, None, 0))
    return jax.vmap(by_penalty, in_axes=(0, 0, None))(fit_weights, validation, grid)


def within_geo_variance_inflation(features: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``(feature,)`` VIF of each regressor once demeaned within each geo, over the weighted periods.

    ``(geo, time, feature)`` features and ``(geo, time)`` (or ``(time,)``) weights; the
    VIF itself is :func:`mixscope.stats.variance_inflation` (NaN for a column without variance).
    """
    x = np.asarray(features, dtype=np.float64)
    w = np.broadcast_to(np.asarray(weights, dtype=np.float64), x.shape[:2])
    geo_weight = np.maximum(w.sum(axis=1, keepdims=True), _TINY)
    demeaned = x - (np.einsum("gt,gtp->gp", w, x) / geo_weight)[:, None, :]
    return variance_inflation(demeaned.reshape(-1, x.shape[-1]), w.reshape(-1))
