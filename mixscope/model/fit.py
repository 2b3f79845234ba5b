"""Fit the Bayesian MMM with NUTS and summarise it in business units."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import arviz as az
import jax
import numpy as np
from numpyro.infer import MCMC, NUTS, init_to_median

from mixscope import metrics
from mixscope.data.dataset import Dataset
from mixscope.model.compile_cache import enable_compile_cache
from mixscope.model.curve_check import MAX_ABS_Z, curve_check
from mixscope.model.diagnostics import Diagnostics, convergence, fit_statistics
from mixscope.model.evaluate import (
    MROI_STEP,
    PosteriorEvaluation,
    evaluate_posterior,
    flatten_draws,
)
from mixscope.model.initial import warm_start
from mixscope.model.inputs import ModelInputs, Scaling, build_inputs, compute_scaling
from mixscope.model.mmm import ModelConfig, build_config, mmm_model
from mixscope.model.organic import organic_coords, organic_dims
from mixscope.model.organic_summary import organic_entries
from mixscope.model.reach_frequency import rf_coords, rf_dims, rf_summary
from mixscope.model.terms import TERM_SITES, summary_section, term_coords
from mixscope.spec import RunSpec
from mixscope.transforms.registry import kinds, site_dims


@dataclass(frozen=True, eq=False)
class Posterior:
    """What NUTS gave for one set of model arrays, evaluated and summarised in business units.

    :func:`mixscope.pipeline.fit` adds the spec's lift tests around it and
    returns a :class:`mixscope.run.FitResult`.
    """

    idata: az.InferenceData
    evaluation: PosteriorEvaluation
    diagnostics: Diagnostics
    summary: dict[str, Any]
    fit_seconds: float


def chain_method(n_chains: int, requested: str = "auto") -> str:
    """NumPyro's chain method for ``requested`` (``[sampler] chain_method``).

    ``auto`` runs chains in parallel when there is a device per chain, else
    vectorised: on a 2-core CPU with one XLA device, vectorised chains share one
    compiled program; on several GPUs (or forced host devices) parallel wins.
    ``parallel`` without a device per chain falls back the same way. ``sequential``
    runs one chain after another on one device: parallel chains on CPU devices hold
    memory that grows with the iterations of a run (bench/scale.py measures it), so
    a wide geo model's peak memory is capped this way, at the cost of time.
    """
    if n_chains == 1:
        return "vectorized"
    if requested in ("vectorized", "sequential"):
        return requested
    return "parallel" if jax.local_device_count() >= n_chains else "vectorized"


def prepare(spec: RunSpec, dataset: Dataset) -> tuple[Scaling, ModelInputs, ModelConfig]:
    """Scaling, model arrays and structure, without lift tests (the pipeline adds those)."""
    scaling = compute_scaling(dataset)
    return scaling, build_inputs(dataset, spec, scaling), build_config(spec, dataset)


def sample(
    spec: RunSpec, dataset: Dataset, scaling: Scaling, inputs: ModelInputs, config: ModelConfig,
    progress: bool = True,
) -> Posterior:
    """Sample the posterior of the model on ``inputs``/``config`` with NUTS and evaluate it.

    Same spec, data and seed give the same draws. Diagnostics failures do not
    raise here: they are recorded in ``diagnostics`` and ``summary["warnings"]``
    for the caller to surface (and the CLI's ``--strict`` to fail on).
    """
    sampler = spec.sampler
    show_progress = progress and os.environ.get("MIXSCOPE_NO_PROGRESS") is None
    # A live bar only on a terminal: in a log or a pipe its redraws are escape codes.
    live_bar = show_progress and sys.stderr.isatty()
    enable_compile_cache()
    started = time.perf_counter()
    start = warm_start(inputs, config, sampler.chains, sampler.seed, sampler.dense_mass)
    kernel = NUTS(
        mmm_model,
        target_accept_prob=sampler.target_accept,
        max_tree_depth=sampler.max_tree_depth,
        dense_mass=start.dense_blocks,
        inverse_mass_matrix=start.inverse_mass,
        # Only a fallback: the starting points below are passed in, so NumPyro's own
        # initialisation is dropped from the compiled program.
        init_strategy=init_to_median(num_samples=15),
    )
    init_params = start.positions
    if sampler.chains == 1:
        init_params = {name: value[0] for name, value in init_params.items()}
    mcmc = MCMC(
        kernel,
        num_warmup=sampler.warmup,
        num_samples=sampler.draws,
        num_chains=sampler.chains,
        chain_method=chain_method(sampler.chains, sampler.chain_method),
        progress_bar=live_bar,
    )
    mcmc.run(
        jax.random.PRNGKey(sampler.seed), inputs, config,
        init_params=init_params, extra_fields=("diverging",),
    )
    samples = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    diverging = np.asarray(mcmc.get_extra_fields(group_by_chain=True)["diverging"])
    fit_seconds = time.perf_counter() - started
    if show_progress and not live_bar:
        sys.stderr.write(chain_report(diverging))

    idata = to_inference_data(samples, diverging, dataset, config, inputs)
    draws = flatten_draws(samples)
    evaluation = evaluate_posterior(draws, inputs, config, scaling.kpi_scale)
    max_rhat, min_bulk, min_tail = convergence(idata)
    noise_sd = samples["noise_sd"].reshape(-1, dataset.n_geos) * scaling.kpi_scale[None, :]
    stats = fit_statistics(
        dataset.kpi, evaluation.expected, noise_sd, inputs.train_mask,
        np.random.default_rng(sampler.seed),
    )
    diagnostics = Diagnostics(
        max_rhat=max_rhat,
        min_ess_bulk=min_bulk,
        min_ess_tail=min_tail,
        divergences=int(diverging.sum()),
        divergence_rate=float(diverging.mean()),
        ess_bulk_per_second=min_bulk / fit_seconds,
        **stats,
    )
    summary = build_summary(spec, dataset, config, evaluation, diagnostics, fit_seconds)
    summary.update(summary_section(inputs.terms, draws, scaling.kpi_scale, evaluation.expected))
    if inputs.organic is not None:
        summary |= organic_entries(inputs.organic, draws, evaluation, scaling.kpi_scale, dataset.organic)
    if config.rf_channels:
        summary |= rf_summary(dataset.rf_names, draws, dataset.media[..., np.array(config.rf_channels)],
                              dataset.frequency)
    return Posterior(idata, evaluation, diagnostics, summary, fit_seconds)


def chain_report(diverging: np.ndarray) -> str:
    """One line per chain from ``(chain, draw)`` divergence flags, what a log gets instead of a bar."""
    return "".join(
        f"chain {number}: {flags.size} draws, {int(flags.sum())} divergences\n"
        for number, flags in enumerate(np.atleast_2d(diverging), start=1)
    )


_DIMS = {
    "intercept": ["geo"],
    "intercept_offset": ["geo"],
    "trend": ["trend_term"],
    "seasonality": ["season_term"],
    "control_coef": ["control"],
    **site_dims(),  # the transforms' sites (mixscope.transforms.registry)
    "media_geo_sd": ["channel"],
    "media_geo_offset": ["geo", "channel"],
    "roi": ["roi_channel"],
    "roi_own": ["roi_channel"],
    "drift_step": ["drift_knot"],
    "coefficient": ["coefficient_channel"],
    "beta_media": ["geo", "channel"],
    "channel_roi": ["channel"],
    "experiment_lift": ["experiment"],
    "noise_sd": ["geo"],
    **{site: [kind] for kind, site in TERM_SITES.items()},
    **organic_dims(),
    **rf_dims(),
}


def to_inference_data(
    samples: dict[str, np.ndarray], diverging: np.ndarray, dataset: Dataset,
    config: ModelConfig, inputs: ModelInputs,
) -> az.InferenceData:
    """Label the draws with channel/geo/time coordinates for ArviZ."""

    def names(indices: tuple[int, ...]) -> list[str]:
        return [config.channels[i] for i in indices]

    coords = {
        "geo": list(dataset.geos),
        "channel": list(config.channels),
        "time": dataset.dates,
        "control": list(dataset.control_names),
        "trend_term": np.arange(inputs.trend_basis.shape[1]),
        "season_term": np.arange(inputs.season_basis.shape[1]),
        **{kind.channel_dim: names(config.channels_of(kind.name)) for kind in kinds()},
        "roi_channel": names(config.roi_channels),
        "coefficient_channel": names(config.coefficient_channels),
        "experiment": np.arange(inputs.lift.n_experiments if inputs.lift is not None else 0),
        **term_coords(inputs.terms),
        **organic_coords(inputs.organic),
        **rf_coords(dataset.rf_names),
    }
    dims = {name: _DIMS.get(name, []) for name in samples}
    dims["kpi"] = ["geo", "time"]
    used = {dim for value in dims.values() for dim in value}
    return az.from_dict(
        posterior=samples,
        sample_stats={"diverging": diverging},
        observed_data={"kpi": dataset.kpi},
        coords={key: value for key, value in coords.items() if key in used},
        dims=dims,
    )


def build_summary(
    spec: RunSpec, dataset: Dataset, config: ModelConfig, evaluation: PosteriorEvaluation,
    diagnostics: Diagnostics, fit_seconds: float,
) -> dict[str, Any]:
    """The ``summary.json`` document: metrics with 90% intervals and diagnostics."""
    spend = dataset.spend.sum(axis=(0, 1))
    channels = config.channels
    roi_draws = metrics.roi(evaluation.incremental_outcome, spend)
    mroi_draws = metrics.mroi(
        evaluation.incremental_outcome, evaluation.incremental_outcome_step, spend, MROI_STEP
    )
    expected_total = evaluation.expected.sum(axis=(1, 2))
    shares, baseline_share = metrics.contribution_shares(evaluation.contribution, expected_total)
    has_revenue = dataset.kpi_type == "revenue" or spec.data.revenue_per_kpi is not None
    summary: dict[str, Any] = {
        "kpi": spec.data.kpi,
        "kpi_type": dataset.kpi_type,
        "roi_units": "revenue per unit of spend" if has_revenue else "KPI units per unit of spend",
        "channels": list(channels),
        "geos": list(dataset.geos),
        "periods": {
            "start": str(dataset.dates[0])[:10],
            "end": str(dataset.dates[-1])[:10],
            "count": dataset.n_times,
            "holdout": spec.holdout.periods,
        },
        "spend": {name: float(spend[c]) for c, name in enumerate(channels)},
        "roi": metrics.summarize_by_channel(roi_draws, channels),
        "mroi": metrics.summarize_by_channel(mroi_draws, channels),
        "contribution_share": metrics.summarize_by_channel(shares, channels),
        "baseline_share": metrics.interval_summary(baseline_share),
    }
    if dataset.kpi_type == "conversions":
        summary["cpa"] = metrics.summarize_by_channel(
            metrics.cpa(evaluation.incremental_kpi, spend), channels
        )
    summary["engine"] = diagnostics.engine  # "bayes" (NUTS) or "ridge" (mixscope.ridge)
    summary["diagnostics"] = diagnostics.to_dict()
    failures = diagnostics.failures()
    summary["diagnostics_ok"] = not failures
    summary["warnings"] = [f"DIAGNOSTICS FAILED: {problem}" for problem in failures]
    train = np.ones(dataset.n_times, dtype=bool)
    if spec.holdout.periods:
        train[-spec.holdout.periods :] = False
    checks = curve_check(dataset.kpi, evaluation.expected.mean(axis=0), evaluation.contribution_mean, train,
                         tuple(channels))
    summary["curve_check"] = checks
    if failing := [name for name, check in checks.items() if not check["ok"]]:
        summary["warnings"].append(
            f"CURVE CHECK: the fitted response curve of {', '.join(failing)} misses the partial residuals "
            f"by more than {MAX_ABS_Z:g} standard errors over part of its range of media pressure: its "
            "shape (e.g. an S-curve read as saturation) or an unmodelled driver may be wrong. "
            "See summary.json curve_check; a lift test at another spend level would tell."
        )
    summary["fit_seconds"] = fit_seconds
    summary["sampler"] = {
        "chains": spec.sampler.chains,
        "warmup": spec.sampler.warmup,
        "draws": spec.sampler.draws,
        "seed": spec.sampler.seed,
        "chain_method": chain_method(spec.sampler.chains, spec.sampler.chain_method),
    }
    summary["roi_priors"] = {
        channels[c]: {"lognormal_mu": float(mu), "lognormal_sigma": float(sigma)}
        for c, (mu, sigma) in zip(config.roi_channels, config.roi_prior, strict=True)
    }
    return summary
