"""The regression one candidate defines, in the Bayesian model's scaled space.

A candidate is a set of transform parameters (plus penalty and train share).
Its media go through the model's own :func:`~mixscope.model.mmm.saturated_media`
(the one transform implementation), become regressors beside the model's
trend, Fourier and control columns, and the penalised regression of the
scaled KPI on them gives the coefficients. The result is expressed under the
Bayesian model's parameter names, so :func:`~mixscope.model.mmm.expected_kpi`
reproduces the fit exactly and everything downstream reads it unchanged.

Media coefficients are shared by all geos (per-geo intercepts absorb level
differences); in scaled units that matches the Bayesian model's national effect.

The ridge method shrinks the channels' ROIs towards the Bayesian model's ROI
prior rather than towards zero (:func:`roi_prior`): on weekly data a channel
worth a few percent of the KPI is barely identified, and a fit free to set its
level lets saturated, nearly constant media columns trade places with the
intercept (ROIs several times the truth on the truth zoo, bench/ridge_zoo_probe.py).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg
from jax import Array

from mixscope.calibration.apply import calibrate
from mixscope.calibration.experiments import Experiment
from mixscope.data.dataset import Dataset
from mixscope.errors import SpecError
from mixscope.model.fit import prepare
from mixscope.model.inputs import DEFAULT_ROI_LOG_SD, ModelInputs, Scaling
from mixscope.model.mmm import ModelConfig, implied_lift, saturated_media
from mixscope.ridge.regression import L1_RATIO, GaussianPrior, LinearFit, fit_penalized, predict
from mixscope.ridge.space import SearchSpace, build_space
from mixscope.spec import RunSpec
from mixscope.transforms.registry import transform_sites

# The ridge method's ROI prior: each channel's ROI over its prior centre is a level
# shared by all channels plus its own deviation, ROI_c / centre_c = level + own_c, with
# level ~ N(1, ROI_LEVEL_SD²) and own_c ~ N(0, ROI_OWN_SD²) (both scaled by the channel's
# prior log-sd over the default's, so a tighter spec prior binds harder): the channels
# the data inform move the level, and the ones they barely inform follow it. Without
# shrinkage a channel worth 1% of revenue is not identified; own sd 0.5 rather than 0.3
# buys interval coverage for a little error (the zoo figures: bench/results/HISTORY.md).
ROI_OWN_SD = 0.5
ROI_LEVEL_SD = 1.0
SWEEPS = 25  # coordinate-descent passes; the final polish makes the solution exact (see regression)
TRANSFORM_SITES = transform_sites()  # mixscope.transforms.registry


@dataclass(frozen=True, eq=False)
class RidgeProblem:
    """Everything fixed across candidates.

    Attributes:
        inputs: the Bayesian model's arrays (scaled media with its zero tail, scaled KPI …).
        config: channel → transform structure.
        scaling: business-unit scales (``kpi_scale`` ``(geo,)`` …).
        space: the searched dimensions.
        method: ``"ols"``, ``"ridge"`` or ``"lasso"``.
        base: ``(geo, time, k)`` baseline regressors: trend, Fourier terms, controls.
        feature_names: names of the ``k + channel`` regressor columns.
        roi_mean: ``(channel,)`` prior mean of each channel's ROI (ridge method), or ``None``.
        roi_covariance: ``(channel, channel)`` prior covariance of the ROIs, or ``None``;
            zero for channels with a coefficient prior instead of an ROI prior.
        roi_precision: its inverse on the channels in the prior, zero elsewhere.
    """

    inputs: ModelInputs
    config: ModelConfig
    scaling: Scaling
    space: SearchSpace
    method: str
    base: np.ndarray
    feature_names: tuple[str, ...]
    roi_mean: np.ndarray | None = None
    roi_covariance: np.ndarray | None = None
    roi_precision: np.ndarray | None = None

    @property
    def n_base(self) -> int:
        return self.base.shape[-1]

    @property
    def positive(self) -> np.ndarray:
        """``(feature,)``: media coefficients are constrained to be non-negative."""
        return np.arange(len(self.feature_names)) >= self.n_base

    @property
    def spend_share(self) -> np.ndarray:
        spend = np.asarray(self.inputs.spend_total, dtype=np.float64)
        return (spend / spend.sum()).astype(np.float32)

    @property
    def n_train(self) -> int:
        return int(self.inputs.train_mask.sum())


def build_problem(
    spec: RunSpec, dataset: Dataset, method: str, experiments: Sequence[Experiment] = ()
) -> RidgeProblem:
    """Scale the data exactly as the Bayesian model does and lay out the regressors.

    ``experiments`` (validated lift tests) calibrate the problem as they do the
    Bayesian model (:func:`mixscope.calibration.apply.calibrate`): in likelihood mode each
    becomes a measurement of its implied lift in the regression, in prior mode the
    tested channels' ROI priors (which the ridge method's ROI prior reads) change.
    """
    if spec.organic:
        raise SpecError(
            f"The ridge engine does not model organic media yet ([organic.{spec.organic[0].name}]); "
            "fit this spec with the Bayesian engine, or remove the [organic] sections to use ridge."
        )
    if spec.rf_channels:
        raise SpecError(
            f"The ridge engine does not model reach & frequency channels yet ([channels."
            f"{spec.rf_channels[0].name}] sets reach and frequency); fit this spec with the Bayesian engine, "
            "or drop reach/frequency to model the channel by spend with ridge."
        )
    scaling, inputs, config = prepare(spec, dataset)
    inputs, config = calibrate(experiments, spec.calibration.mode, dataset, scaling, inputs, config)
    n_geos = dataset.n_geos
    trend = np.broadcast_to(inputs.trend_basis, (n_geos,) + inputs.trend_basis.shape)
    season = np.broadcast_to(inputs.season_basis, (n_geos,) + inputs.season_basis.shape)
    # Holidays, events and treatments are baseline regressors here too, after the controls.
    terms = [np.broadcast_to(block.model_design, (n_geos, *block.design.shape[1:])) for block in inputs.terms]
    base = np.concatenate([trend, season, inputs.controls, *terms], axis=-1).astype(np.float32)
    names = (
        [f"trend_{i}" for i in range(trend.shape[-1])]
        + [f"season_{i}" for i in range(season.shape[-1])]
        + [f"control:{name}" for name in dataset.control_names]
        + [f"{block.kind}:{name}" for block in inputs.terms for name in block.names]
        + [f"media:{name}" for name in dataset.channels]
    )
    prior = roi_prior(config) if method == "ridge" else (None, None, None)
    return RidgeProblem(
        inputs=inputs, config=config, scaling=scaling, space=build_space(config, method),
        method=method, base=base, feature_names=tuple(names),
        roi_mean=prior[0], roi_covariance=prior[1], roi_precision=prior[2],
    )


def roi_prior(config: ModelConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mean (channel,), covariance, precision (channel, channel))`` of the ridge method's ROI prior.

    Centres are the medians of the Bayesian model's LogNormal ROI priors (the
    spec's, or the default that has paid media explain a fifth of the KPI); see
    ``ROI_OWN_SD`` for the shared-level structure. Channels with a coefficient
    prior are left out (zero precision).
    """
    n = len(config.channels)
    centre = np.zeros(n)
    width = np.zeros(n)
    for channel, (mu, sigma) in zip(config.roi_channels, config.roi_prior, strict=True):
        centre[channel] = np.exp(mu)
        width[channel] = sigma / DEFAULT_ROI_LOG_SD
    inside = np.asarray(config.roi_channels, dtype=int)
    scale = centre[inside] * width[inside]
    relative = ROI_OWN_SD**2 * np.eye(len(inside)) + ROI_LEVEL_SD**2
    covariance = np.zeros((n, n))
    covariance[np.ix_(inside, inside)] = scale[:, None] * relative * scale[None, :]
    precision = np.zeros((n, n))
    precision[np.ix_(inside, inside)] = np.linalg.inv(covariance[np.ix_(inside, inside)])
    return centre.astype(np.float32), covariance, precision.astype(np.float32)


def media_prior(
    problem: RidgeProblem, transforms: dict[str, Array], saturated: Array, anchor: Array | None = None,
) -> GaussianPrior | None:
    """What the regression knows about the media coefficients besides the data, or ``None``.

    The ROI prior (ridge method): a media coefficient's ROI is ``coef * revenue
    per unit coefficient / spend``, which depends on the transforms. Lift tests
    (likelihood calibration): each measures its implied lift, ``coef`` times the
    tested channel's change in saturated media, with its standard error. Rows in
    that order; ``anchor`` replaces their means (:func:`knowledge_mean`), as a
    bootstrap replicate's perturbed draw does.
    """
    parts = []
    if problem.roi_precision is not None:
        inputs = problem.inputs
        revenue = jnp.einsum("gtc,gt->c", saturated, jnp.asarray(inputs.outcome_weight))
        roi_per_coef = revenue / jnp.maximum(jnp.asarray(inputs.spend_total, jnp.float32), 1e-12)
        parts.append((jnp.diag(roi_per_coef), jnp.asarray(problem.roi_precision)))
    lift = problem.inputs.lift
    if lift is not None:
        per_coef = lift_per_coefficient(problem, transforms)
        columns = jax.nn.one_hot(lift.channel, len(problem.config.channels), dtype=per_coef.dtype)
        parts.append((per_coef[:, None] * columns, jnp.diag(1.0 / jnp.asarray(lift.standard_error) ** 2)))
    if not parts:
        return None
    media = jnp.concatenate([loading for loading, _ in parts])
    loading = jnp.concatenate([jnp.zeros((media.shape[0], problem.n_base), media.dtype), media], axis=1)
    mean = jnp.asarray(knowledge_mean(problem) if anchor is None else anchor, media.dtype)
    return GaussianPrior(
        loading, mean, jax.scipy.linalg.block_diag(*(precision.astype(media.dtype) for _, precision in parts))
    )


def knowledge_mean(problem: RidgeProblem) -> np.ndarray:
    """``(value,)`` the means of :func:`media_prior`'s rows: prior ROIs, then measured lifts."""
    means = [problem.roi_mean] if problem.roi_mean is not None else []
    if problem.inputs.lift is not None:
        means.append(problem.inputs.lift.observed)
    return np.concatenate(means).astype(np.float32) if means else np.zeros(0, np.float32)


def knowledge_covariance(problem: RidgeProblem) -> np.ndarray:
    """``(value, value)`` the rows' covariance: the ROI prior's, then each test's squared standard error."""
    blocks = [problem.roi_covariance] if problem.roi_covariance is not None else []
    if problem.inputs.lift is not None:
        blocks.append(np.diag(np.asarray(problem.inputs.lift.standard_error, dtype=float) ** 2))
    return scipy.linalg.block_diag(*blocks) if blocks else np.zeros((0, 0))


def lift_per_coefficient(problem: RidgeProblem, transforms: dict[str, Array]) -> Array:
    """``(experiment,)`` each lift test's implied lift (lift units) per unit of its channel's coefficient."""
    ones = jnp.ones((1, len(problem.config.channels)), dtype=jnp.float32)
    return implied_lift({**transforms, "beta_media": ones}, problem.inputs.lift, problem.config)


def lift_error(problem: RidgeProblem, transforms: dict[str, Array], fit: LinearFit) -> Array:
    """Mean absolute relative gap between the tests' implied and measured lifts (Robyn's MAPE.LIFT)."""
    lift = problem.inputs.lift
    beta = fit.coef[problem.n_base :][jnp.asarray(lift.channel)]
    implied = lift_per_coefficient(problem, transforms) * beta
    measured = jnp.asarray(lift.observed)
    return jnp.mean(jnp.abs(implied - measured) / jnp.abs(measured))


def windows(problem: RidgeProblem, train_share: Array) -> tuple[Array, Array]:
    """``(time,)`` fit weights (first ``train_share`` of training periods) and validation mask (the rest)."""
    n_fit = jnp.floor(train_share * problem.n_train)
    t = jnp.arange(problem.inputs.n_times)
    train = jnp.asarray(problem.inputs.train_mask)
    fit = (t < n_fit) & train
    return fit.astype(jnp.float32), (train & ~fit).astype(jnp.float32)


def regressors(problem: RidgeProblem, transforms: dict[str, Array]) -> tuple[Array, Array]:
    """``(geo, time, feature)`` regressors and ``(geo, time + tail, channel)`` saturated media."""
    saturated = saturated_media(transforms, jnp.asarray(problem.inputs.media), problem.config)
    features = jnp.concatenate(
        [jnp.asarray(problem.base), saturated[:, : problem.inputs.n_times]], axis=-1
    )
    return features, saturated


def fit_transforms(
    problem: RidgeProblem, transforms: dict[str, Array], weights: Array, penalty: Array,
    anchor: Array | None = None,
) -> tuple[LinearFit, Array, Array]:
    """Fit the regression for given transforms; returns ``(fit, features, saturated)``."""
    features, saturated = regressors(problem, transforms)
    fit = fit_penalized(
        features, problem.inputs.kpi, weights, penalty,
        l1_ratio=L1_RATIO[problem.method], positive=problem.positive, sweeps=SWEEPS,
        prior=media_prior(problem, transforms, saturated, anchor),
    )
    return fit, features, saturated


def split(problem: RidgeProblem, decoded: dict[str, Array]) -> tuple[dict[str, Array], Array, Array]:
    """Decoded search point → ``(transforms, penalty, train_share)``."""
    transforms = {k: v for k, v in decoded.items() if k in TRANSFORM_SITES}
    penalty = decoded["penalty"][..., 0] if "penalty" in decoded else jnp.float32(0.0)
    return transforms, penalty, decoded["train_share"][..., 0]


def scores(
    problem: RidgeProblem, transforms: dict[str, Array], fit: LinearFit, features: Array,
    saturated: Array, fit_weights: Array, validation: Array,
) -> dict[str, Array]:
    """Objectives and business figures of one fitted candidate.

    NRMSE is Robyn's ``rmse / (max - min)`` of the scaled KPI, on the validation
    periods (the training periods after the fitted window) when there are any.
    DECOMP.RSSD is the distance between paid channels' in-window effect shares
    and spend shares. ROI counts carryover past the window, as ``mixscope.metrics``.
    With lift tests in the problem, ``lift_error`` is :func:`lift_error`.
    """
    inputs = problem.inputs
    y = jnp.asarray(inputs.kpi)
    residual2 = (y - predict(fit, features)) ** 2

    def nrmse(mask):
        mask = jnp.broadcast_to(mask, y.shape)
        rmse = jnp.sqrt((residual2 * mask).sum() / jnp.maximum(mask.sum(), 1.0))
        spread = jnp.where(mask > 0, y, -jnp.inf).max() - jnp.where(mask > 0, y, jnp.inf).min()
        return rmse / jnp.maximum(spread, 1e-8)

    fitted = jnp.broadcast_to(fit_weights > 0, y.shape)
    y_mean = (y * fitted).sum() / jnp.maximum(fitted.sum(), 1.0)
    r2 = 1.0 - (residual2 * fitted).sum() / jnp.maximum((((y - y_mean) ** 2) * fitted).sum(), 1e-12)
    nrmse_train = nrmse(fit_weights > 0)
    has_validation = validation.sum() > 0
    beta = fit.coef[problem.n_base :]
    media = saturated * beta  # (geo, time + tail, channel), scaled KPI units
    weight = jnp.asarray(inputs.outcome_weight)
    n_times = inputs.n_times
    in_window = jnp.einsum("gtc,gt->c", media[:, :n_times], weight[:, :n_times])
    effect_share = in_window / jnp.maximum(in_window.sum(), 1e-12)
    kpi_scale = jnp.asarray(problem.scaling.kpi_scale, dtype=jnp.float32)
    lift = {} if problem.inputs.lift is None else {"lift_error": lift_error(problem, transforms, fit)}
    return {
        **lift,
        "nrmse": jnp.where(has_validation, nrmse(validation), nrmse_train),
        "decomp_rssd": jnp.sqrt(((effect_share - problem.spend_share) ** 2).sum()),
        "nrmse_train": nrmse_train,
        "r2_train": r2,
        "roi": jnp.einsum("gtc,gt->c", media, weight) / jnp.asarray(inputs.spend_total, jnp.float32),
        "contribution": jnp.einsum("gtc,g->c", media[:, :n_times], kpi_scale),
        "expected_total": jnp.einsum("gt,g->", predict(fit, features), kpi_scale),
    }


@functools.lru_cache(maxsize=8)  # one compilation per problem, however many searches
def make_candidate_kernel(problem: RidgeProblem, with_contribution: bool = False):
    """A jitted ``(batch, d)`` unit-cube points → dict of ``(batch, ...)`` scores.

    With ``with_contribution`` it also returns each candidate's ``(geo, time +
    tail, channel)`` contribution in KPI units, for a lift-test hook.
    """
    kpi_scale = jnp.asarray(problem.scaling.kpi_scale, dtype=jnp.float32)

    def one(unit):
        transforms, penalty, share = split(problem, problem.space.decode(unit))
        fit_weights, validation = windows(problem, share)
        fit, features, saturated = fit_transforms(problem, transforms, fit_weights, penalty)
        out = scores(problem, transforms, fit, features, saturated, fit_weights, validation)
        if with_contribution:
            beta = fit.coef[problem.n_base :]
            out["contribution_kpi"] = saturated * beta * kpi_scale[:, None, None]
        return out

    return jax.jit(jax.vmap(one))


@functools.lru_cache(maxsize=8)
def make_fit_kernel(problem: RidgeProblem):
    """A jitted batch fit of given transforms: the candidate table, the point estimate, bootstraps.

    Takes ``transforms`` (``{site: (batch, n_site)}``), ``penalty`` ``(batch,)``,
    ``fit_weights`` ``(batch, time)`` (0/1 or bootstrap counts), ``validation``
    ``(batch, time)`` and ``anchor`` ``(batch, value)`` (the means of
    :func:`media_prior`'s rows per fit; ``value`` may be 0); returns ``{"scores": …,
    "params": …}`` with a leading batch axis, ``params`` under the Bayesian model's site names.
    """

    def one(transforms, penalty, fit_weights, validation, anchor):
        fit, features, saturated = fit_transforms(problem, transforms, fit_weights, penalty, anchor)
        return {
            "scores": scores(problem, transforms, fit, features, saturated, fit_weights, validation),
            "params": model_parameters(problem, transforms, fit),
        }

    return jax.jit(jax.vmap(one))


def model_parameters(
    problem: RidgeProblem, transforms: dict[str, Array], fit: LinearFit
) -> dict[str, Any]:
    """One fit under the Bayesian model's site names (what ``expected_kpi`` reads).

    Also ``noise_sd`` ``(geo,)``: the residual sd, in scaled units as the model's.
    """
    inputs = problem.inputs
    n_trend, n_season = inputs.trend_basis.shape[1], inputs.season_basis.shape[1]
    n_geos = inputs.kpi.shape[0]
    coef = fit.coef
    params: dict[str, Any] = {"intercept": fit.intercept}
    if n_trend:
        params["trend"] = coef[:n_trend]
    if n_season:
        params["seasonality"] = coef[n_trend : n_trend + n_season]
    start = n_trend + n_season + inputs.controls.shape[-1]
    if inputs.controls.shape[-1]:
        params["control_coef"] = coef[n_trend + n_season : start]
    for block in inputs.terms:
        params[block.site] = coef[start : start + len(block.names)]
        start += len(block.names)
    for site in TRANSFORM_SITES:
        if site in transforms:
            params[site] = transforms[site]
    params["beta_media"] = jnp.broadcast_to(coef[problem.n_base :], (n_geos, len(problem.config.channels)))
    params["noise_sd"] = fit.noise_sd
    return params
