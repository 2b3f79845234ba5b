"""Where NUTS starts, and how it first scales each parameter.

NumPyro's defaults draw starting points from the prior inside the compiled
sampler and begin warm-up with an identity mass matrix. On the bench model
(156 weeks, 5 channels) the first costs about a third of the compile time (a
Beta draw is a rejection sampler, compiled in full), and the second about 750
leapfrog steps per iteration over the first 100 warm-up iterations, because
posterior scales span 0.003 (seasonality terms) to 1.4 (adstock logits).

Here both come from the structure of the model instead (:func:`warm_start`):
chains start at least-squares estimates of the baseline terms and the prior's
centre for the rest, each with a seeded jitter, and the first mass matrix uses
least-squares standard errors for the terms the data pin down (baseline
regressors, noise) and a prior-sized scale for the rest. Warm-up adaptation
replaces that matrix after its first window; only the road there is shorter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import jax
import numpy as np
from numpyro import handlers
from numpyro.distributions.transforms import biject_to

from mixscope.model.inputs import ModelInputs
from mixscope.model.mmm import ModelConfig, mmm_model

JITTER = 0.5  # largest uniform half-width around a starting point, unconstrained scale
_PRIOR_SCALE_VARIANCE = 0.5  # first guess for terms the prior mostly shapes (unconstrained)
_RIDGE = 1e-6  # keeps the least-squares normal matrix invertible with collinear columns


@dataclass(frozen=True, eq=False)
class WarmStart:
    """Where the chains start and how NUTS first scales each parameter.

    Attributes:
        positions: ``{site: (chain, *site_shape)}`` unconstrained float32 starting
            points, for ``MCMC.run(init_params=...)``.
        dense_blocks: groups of sites sharing a dense mass-matrix block (NUTS's ``dense_mass``).
        inverse_mass: NumPyro's structured first inverse mass matrix, ``{site names: diagonal}``.
    """

    positions: dict[str, np.ndarray]
    dense_blocks: list[tuple[str, ...]]
    inverse_mass: dict[tuple[str, ...], np.ndarray]


def warm_start(
    inputs: ModelInputs, config: ModelConfig, n_chains: int, seed: int, dense_mass: bool
) -> WarmStart:
    """Starting points and first mass matrix for :func:`mmm_model` (see the module docstring).

    Each chain adds its own uniform jitter of half-width ``JITTER`` or two
    initial standard deviations, whichever is smaller (a seasonality term known
    to ±0.005 started 0.5 away costs hundreds of leapfrog steps to walk back);
    distinct per chain, so R-hat still sees chains that settle in different places.
    ``dense_mass`` puts the national parameters in one dense block (:func:`mass_blocks`).
    """
    centre = {name: np.asarray(value) for name, value in
              jax.jit(lambda: _prior_centre(inputs, config))().items()}
    baseline = _baseline_fit(inputs, config)
    rng = np.random.default_rng(seed)
    positions, variances = {}, {}
    for name, value in centre.items():
        start = np.broadcast_to(baseline.centre.get(name, value), value.shape)
        variances[name] = np.broadcast_to(baseline.variance.get(name, _PRIOR_SCALE_VARIANCE), value.shape)
        half_width = np.minimum(JITTER, 2 * np.sqrt(variances[name]))
        jitter = rng.uniform(-1.0, 1.0, (n_chains, *value.shape)) * half_width
        positions[name] = (start[None] + jitter).astype(np.float32)
    dense_blocks = mass_blocks(centre, config) if dense_mass else []
    return WarmStart(positions, dense_blocks, _inverse_mass(variances, dense_blocks))


def _prior_centre(inputs: ModelInputs, config: ModelConfig) -> dict:
    """Unconstrained prior mean of every latent site (model maths is traced, then dropped)."""

    def prior_mean(site: dict):
        if site["type"] == "sample" and not site["is_observed"]:
            return site["fn"].mean
        return None

    trace = handlers.trace(handlers.substitute(mmm_model, substitute_fn=prior_mean)).get_trace(
        inputs, config
    )
    return {
        name: biject_to(site["fn"].support).inv(site["value"])
        for name, site in trace.items()
        if site["type"] == "sample" and not site["is_observed"]
    }


def mass_blocks(sites: Iterable[str], config: ModelConfig) -> list[tuple[str, ...]]:
    """Sites sharing one dense mass-matrix block: all those without a geo axis.

    National parameters (ROI, saturation, adstock, trend…) are few and strongly
    correlated (ROI with Hill slope, seasonality with controls), which a dense
    block absorbs; per-geo offsets are many and nearly independent, so they stay
    diagonal (a dense block over them would cost O(geo²) per step).
    """
    geo_sites = {"intercept_offset", "media_geo_offset", "noise_sd"} if config.is_geo else set()
    return [tuple(sorted(name for name in sites if name not in geo_sites))]


def _inverse_mass(
    variances: dict[str, np.ndarray], dense_blocks: list[tuple[str, ...]]
) -> dict[tuple[str, ...], np.ndarray]:
    """Per-site variances as NumPyro's structured diagonal: one entry per dense block, one per other site."""
    diagonal = {name: variance.astype(np.float32).ravel() for name, variance in variances.items()}
    blocks = {block: np.concatenate([diagonal[name] for name in block]) for block in dense_blocks}
    in_blocks = {name for block in dense_blocks for name in block}
    blocks.update({(name,): diagonal[name] for name in diagonal if name not in in_blocks})
    return blocks


@dataclass(frozen=True)
class _BaselineFit:
    """Unconstrained centre and variance of the sites a least-squares fit informs."""

    centre: dict[str, np.ndarray]
    variance: dict[str, np.ndarray]


def _baseline_fit(inputs: ModelInputs, config: ModelConfig) -> _BaselineFit:
    """Regress the scaled KPI on geo intercepts, trend, seasonality, controls and raw media."""
    n_geos, n_times = inputs.kpi.shape
    train = inputs.train_mask
    n_train = int(train.sum())
    trend_basis = inputs.trend_basis[train]
    if config.trend == "smooth":
        # Least squares informs only the slope: the walk's tents are scaled by a learned
        # drift_scale, and together they repeat the intercept's level and blur it.
        trend_basis = trend_basis[:, :1]
    columns = {
        "intercept": np.repeat(np.eye(n_geos)[:, None, :], n_train, axis=1),
        "trend": np.broadcast_to(trend_basis, (n_geos, *trend_basis.shape)),
        "seasonality": np.broadcast_to(
            inputs.season_basis[train], (n_geos, *inputs.season_basis[train].shape)
        ),
        "control_coef": inputs.controls[:, train],
        "media": inputs.media[:, :n_times][:, train],
        **{block.site: np.broadcast_to(block.model_design[:, train], (n_geos, n_train, len(block.names)))
           for block in inputs.terms},
        # Organic media too, so the intercept's start is not its level (dropped like media below).
        "organic": (np.zeros((n_geos, n_train, 0)) if inputs.organic is None
                    else np.moveaxis(inputs.organic.volume, 0, -1)[:, train]),
    }
    # A term the spec turns off (no trend, no seasonality, no controls) has no columns and no site.
    columns = {name: block for name, block in columns.items() if block.shape[-1]}
    design = np.concatenate(
        [block.reshape(-1, block.shape[-1]) for block in columns.values()], axis=1
    ).astype(np.float64)
    target = inputs.kpi[:, train].reshape(-1).astype(np.float64)
    normal = design.T @ design
    normal += _RIDGE * np.trace(normal) / len(normal) * np.eye(len(normal))
    coefficients = np.linalg.solve(normal, design.T @ target)
    residual = target - design @ coefficients
    sigma2 = residual @ residual / max(len(target) - len(normal), 1)
    se2 = sigma2 * np.diag(np.linalg.inv(normal))

    centre: dict[str, np.ndarray] = {}
    variance: dict[str, np.ndarray] = {}
    start = 0
    for name, block in columns.items():
        width = block.shape[-1]
        centre[name], variance[name] = coefficients[start : start + width], se2[start : start + width]
        start += width
    del centre["media"], variance["media"]
    centre.pop("organic", None)
    variance.pop("organic", None)
    if config.trend == "smooth" and "trend" in centre:
        centre["trend_slope"], variance["trend_slope"] = centre.pop("trend")[0], variance.pop("trend")[0]
    noise = residual.reshape(n_geos, n_train)
    centre["noise_sd"] = np.log(np.maximum(noise.std(axis=1), 1e-3))  # log: HalfNormal's unconstrained
    variance["noise_sd"] = np.float64(1.0 / (2 * max(n_train, 1)))
    if config.is_geo:
        # Non-centred intercepts: intercept = mean + sd * offset.
        intercepts, intercept_se2 = centre.pop("intercept"), variance.pop("intercept")
        spread = max(float(np.std(intercepts)), 1e-3)
        centre["intercept_mean"] = np.float64(intercepts.mean())
        variance["intercept_mean"] = np.float64(intercept_se2.mean() + spread**2 / n_geos)
        centre["intercept_sd"] = np.float64(np.log(spread))
        variance["intercept_sd"] = np.float64(1.0 / (2 * max(n_geos - 1, 1)))
        centre["intercept_offset"] = (intercepts - intercepts.mean()) / spread
        variance["intercept_offset"] = np.minimum(intercept_se2 / spread**2, 1.0)
    return _BaselineFit(centre, variance)
