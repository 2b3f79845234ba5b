"""The ridge engine's prior knowledge: a Gaussian prior in the regression, the search box, replicates."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from mixscope.ridge.regression import GaussianPrior, fit_penalized
from mixscope.ridge.space import build_space, neighbours
from mixscope.transforms.registry import ADSTOCK_DECAY, HILL, SEARCH_MASS


def _data(seed=0, n_times=156):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, n_times, 5)).astype(np.float32)
    x[..., 2:] = np.abs(x[..., 2:]) + 0.5  # three "media" columns, positive effects
    beta = np.array([0.4, -0.3, 0.5, 0.8, 0.2])
    y = (x @ beta + 0.8 * rng.standard_normal((1, n_times)) + 3.0).astype(np.float32)
    return x, y, np.arange(5) >= 2


def test_a_gaussian_prior_gives_the_map_of_the_augmented_least_squares():
    """The prior's rows weigh against the data as extra observations with variance σ² (float64 reference)."""
    x, y, positive = _data()
    loading = np.zeros((3, 5), np.float32)
    loading[np.arange(3), np.arange(2, 5)] = [2.0, 1.0, 3.0]  # value per unit coefficient (an "ROI")
    mean = np.array([1.0, 1.0, 1.0], np.float32)
    covariance = 0.3**2 * np.eye(3) + 0.2**2  # a shared level, as the ROI prior
    prior = GaussianPrior(loading, mean, np.linalg.inv(covariance).astype(np.float32))
    fit = jax.jit(lambda: fit_penalized(
        x, y, np.ones(x.shape[1], np.float32), 0.0, l1_ratio=0.0, positive=positive, sweeps=25, prior=prior,
    ))()
    design = np.column_stack([np.ones(x.shape[1]), x[0].astype(float)])
    ls, *_ = np.linalg.lstsq(design, y[0].astype(float), rcond=None)
    sigma2 = ((y[0] - design @ ls) ** 2).sum() / (x.shape[1] - design.shape[1])
    root = np.linalg.cholesky(np.linalg.inv(covariance))  # precision = root @ root.T
    rows = np.sqrt(sigma2) * root.T @ np.column_stack([np.zeros(3), loading.astype(float)])
    target = np.r_[y[0], np.sqrt(sigma2) * root.T @ mean]
    reference, *_ = np.linalg.lstsq(np.vstack([design, rows]), target, rcond=None)
    assert np.all(reference[3:] > 0)  # no sign constraint binds, so the reference is the MAP
    np.testing.assert_allclose(np.asarray(fit.coef), reference[1:], atol=2e-3)
    # And it sits between the data's answer and the prior's.
    implied = loading[np.arange(3), np.arange(2, 5)] * reference[3:]
    data_alone = loading[np.arange(3), np.arange(2, 5)] * ls[3:]
    assert np.all(np.abs(implied - mean) <= np.abs(data_alone - mean) + 1e-9)


def test_the_search_box_is_the_central_mass_of_the_bayesian_priors(ridge_dataset):
    from mixscope.model.mmm import build_config

    spec, dataset, _ = ridge_dataset
    space = build_space(build_config(spec, dataset), "ridge")
    bounds = {dim.name.split(".")[-1]: (dim.low, dim.high) for dim in space.dimensions}
    half_saturation, slope = (p.search_prior for p in HILL.parameters)
    for site, prior in (("adstock_decay", ADSTOCK_DECAY.prior), ("hill_half_saturation", half_saturation),
                        ("hill_slope", slope)):
        assert bounds[site] == pytest.approx(prior.central(SEARCH_MASS))
    assert bounds["hill_half_saturation"] == pytest.approx((0.373, 2.683), abs=1e-3)  # LogNormal(0, 0.6)


def test_neighbours_stay_in_the_box_near_the_point():
    rng = np.random.default_rng(0)
    point = np.array([0.9, 0.2, 0.5], np.float32)
    movable = np.array([True, True, False])
    same = neighbours(point, movable, 1.0, 50, rng)
    np.testing.assert_allclose(same, np.repeat(point[None], 50, axis=0), atol=1e-6)
    near = neighbours(point, movable, 0.5, 4000, rng)
    assert np.all((near >= 0) & (near <= 1)) and np.all(near[:, 2] == point[2])
    # Kin to the point: pulled its way, but spread over the box.
    assert np.median(near[:, 0]) > 0.6 and np.median(near[:, 1]) < 0.4
    assert near[:, 0].min() < 0.2 and near[:, 1].max() > 0.8
    anywhere = neighbours(point, movable, 0.0, 4000, rng)
    assert np.quantile(anywhere[:, 0], [0.25, 0.5, 0.75]) == pytest.approx([0.25, 0.5, 0.75], abs=0.03)
