"""Google Meridian's model equations in mixscope's terms, from Meridian's documented specification.

Meridian (its ``transformers``, ``adstock_hill`` and model modules) predicts,
for geo ``g``, period ``t`` and paid channel ``m``::

    kpi[g,t] / pop[g] = mean + sd * ( tau_g + mu_t + sum_c gamma_gc * z[g,t,c]
                                      + sum_m beta_gm * hill(adstock(media[g,t,m] / (pop[g] * median_m))) )

- **media scaling**: divided by population, then by ``median_m``, the median of
  the channel's non-zero per-capita values over all geos and periods;
- **KPI scaling**: per capita, then centred and scaled by the ``mean`` and
  (population) standard deviation ``sd`` of every per-capita value; national
  models have a population of one;
- **controls** ``z``: centred and scaled per control over all geos and periods
  (per capita first for those in ``control_population_scaling_id``);
- **adstock**: weights ``alpha_m**l`` for ``l = 0 .. max_lag``, normalised to sum to
  one, no media before the first period; **Hill** ``x**s / (x**s + ec**s)``, after
  adstock (``hill_before_adstock=False``, Meridian's default);
- revenue is KPI times ``revenue_per_kpi``.

That is mixscope's model (:mod:`mixscope.model.mmm`) with ``kpi_scale[g] =
pop[g] * sd``, ``media_scale[g,m] = pop[g] * median_m``, ``intercept[g] = tau_g +
mean / sd``, one trend term per period (``mu_t``), controls spread per geo (one
coefficient per geo and control, ``gamma_gc``), ``max_lag + 1`` adstock lags,
``adstock_decay = alpha_m``, ``hill_half_saturation = ec_m``, ``hill_slope =
slope_m`` and ``beta_media = beta_gm``. So mixscope's own ``adstock``,
``saturate``, ``media_contribution`` and ``baseline`` evaluate Meridian's draws
unchanged; only the arrays differ, and :func:`evaluation_inputs` builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from mixscope.data.dataset import Dataset
from mixscope.errors import MixscopeError
from mixscope.meridian.mapping import MeridianSettings
from mixscope.model.inputs import ModelInputs, Scaling, build_inputs
from mixscope.model.mmm import DEFAULT_PRIORS, ChannelGroup, ModelConfig
from mixscope.spec import RunSpec

if TYPE_CHECKING:
    from mixscope.run import Run

ENGINE = "meridian"  # summary["engine"] of an imported run


@dataclass(frozen=True, eq=False)
class MeridianScales:
    """Meridian's data transformers' constants, recomputed from the data (they are functions of it).

    Attributes:
        population: ``(geo,)``; ones for national data (Meridian's national default).
        media_median: ``(channel,)`` median of non-zero per-capita media over geos and periods.
        kpi_mean, kpi_sd: of the per-capita KPI over every geo and period.
        control_mean, control_sd: ``(control,)`` over every geo and period.
        control_per_capita: ``(control,)`` True where the control is divided by population first.
    """

    population: np.ndarray
    media_median: np.ndarray
    kpi_mean: float
    kpi_sd: float
    control_mean: np.ndarray
    control_sd: np.ndarray
    control_per_capita: np.ndarray


def meridian_scales(dataset: Dataset, settings: MeridianSettings) -> MeridianScales:
    """Compute the constants of Meridian's media, KPI and control transformers for ``dataset``."""
    population = np.ones(dataset.n_geos) if dataset.population is None else dataset.population.astype(float)
    per_capita = dataset.media / population[:, None, None]
    with np.errstate(all="ignore"):
        median = np.nanmedian(np.where(per_capita > 0, per_capita, np.nan), axis=(0, 1))
    if not np.isfinite(median).all():
        empty = [c for c, value in zip(dataset.channels, median, strict=True) if not np.isfinite(value)]
        raise MixscopeError(f"Channel(s) {', '.join(empty)} have no non-zero media in the data.")
    kpi = dataset.kpi / population[:, None]
    unknown = sorted(set(settings.control_population_scaling) - set(dataset.control_names))
    if unknown:
        raise MixscopeError(
            f"[model] control_population_scaling names {', '.join(unknown)}, which are not controls of "
            f"the model ({', '.join(dataset.control_names) or 'none'})."
        )
    per_capita_controls = np.array(
        [name in settings.control_population_scaling for name in dataset.control_names], dtype=bool
    )
    controls = _controls_per_capita(dataset.controls, population, per_capita_controls)
    return MeridianScales(
        population=population,
        media_median=median,
        kpi_mean=float(kpi.mean()),
        kpi_sd=float(kpi.std()),
        control_mean=controls.mean(axis=(0, 1)),
        control_sd=controls.std(axis=(0, 1)),
        control_per_capita=per_capita_controls,
    )


def _controls_per_capita(controls: np.ndarray, population: np.ndarray, per_capita: np.ndarray) -> np.ndarray:
    divisor = np.where(per_capita[None, :], population[:, None], 1.0)  # (geo, control)
    return controls / divisor[:, None, :]


def scaling(scales: MeridianScales) -> Scaling:
    """mixscope's :class:`Scaling` for Meridian's transformers (see the module docstring)."""
    return Scaling(
        kpi_scale=scales.population * scales.kpi_sd,
        media_scale=scales.population[:, None] * scales.media_median[None, :],
        control_mean=scales.control_mean,
        control_sd=scales.control_sd,
    )


def model_config(dataset: Dataset, settings: MeridianSettings) -> ModelConfig:
    """All channels geometric adstock over ``max_lag + 1`` lags, then Hill; ROI prior as Meridian's."""
    every = tuple(range(dataset.n_channels))
    prior = settings.roi_prior if settings.roi_prior is not None else (np.nan, np.nan)
    return ModelConfig(
        channels=dataset.channels,
        geos=dataset.geos,
        adstock_groups=(ChannelGroup("geometric", every, settings.max_lag + 1),),
        saturation_groups=(ChannelGroup("hill", every),),
        roi_channels=every,
        roi_prior=np.tile(np.asarray(prior, dtype=np.float32), (len(every), 1)),
        coefficient_channels=(),
        coefficient_prior=np.zeros((0, 2), dtype=np.float32),
        priors=DEFAULT_PRIORS,
    )


def model_inputs(
    dataset: Dataset, spec: RunSpec, scales: MeridianScales, carryover: bool = True
) -> ModelInputs:
    """mixscope's model arrays holding Meridian's: scaled media, per-period trend, controls per geo.

    ``carryover=False`` drops the periods after the data: the outcome then counts
    only what falls inside the data window, as Meridian's ROI and response curves do.
    """
    inputs = build_inputs(dataset, spec, scaling(scales))
    controls = _controls_per_capita(dataset.controls, scales.population, scales.control_per_capita)
    with np.errstate(all="ignore"):  # Meridian divides with divide_no_nan: a constant control is 0
        z = np.where(scales.control_sd > 0, (controls - scales.control_mean) / scales.control_sd, 0.0)
    inputs = replace(
        inputs,
        controls=_per_geo(z).astype(np.float32),
        trend_basis=np.eye(dataset.n_times, dtype=np.float32),
        season_basis=np.zeros((dataset.n_times, 0), dtype=np.float32),
        train_mask=np.ones(dataset.n_times, dtype=bool),
    )
    if carryover:
        return inputs
    return replace(
        inputs, media=inputs.media[:, : dataset.n_times],
        outcome_weight=inputs.outcome_weight[:, : dataset.n_times], tail=0,
    )


def _per_geo(z: np.ndarray) -> np.ndarray:
    """``(geo, time, control)`` → ``(geo, time, geo * control)``: each geo's controls in its own block.

    Meridian gives every geo its own control coefficients (``gamma_gc``); mixscope's
    baseline has one coefficient per control column, so each geo gets its own columns.
    """
    n_geos, n_times, n_controls = z.shape
    out = np.zeros((n_geos, n_times, n_geos * n_controls), dtype=z.dtype)
    for g in range(n_geos):
        out[g, :, g * n_controls : (g + 1) * n_controls] = z[g]
    return out


def control_terms(dataset: Dataset) -> list[str]:
    """Labels of the per-geo control columns of :func:`model_inputs` (``control@geo`` for geo data)."""
    if not dataset.is_geo:
        return list(dataset.control_names)
    return [f"{name}@{geo}" for geo in dataset.geos for name in dataset.control_names]


def mixscope_draws(posterior: Any, dataset: Dataset, scales: MeridianScales) -> dict[str, np.ndarray]:
    """Meridian's draws (``(chain, draw, ...)``) under mixscope's parameter names, in the dataset's order.

    The values are Meridian's own; only the intercept adds the constant
    ``mean / sd`` that Meridian's KPI centring puts there.
    """
    geos = meridian_geos(posterior, dataset)
    channels = list(dataset.channels)

    def take(name: str, *dims: str) -> np.ndarray:
        value = posterior[name]
        labels = {"geo": geos, "media_channel": channels}
        selection = {dim: labels[dim] for dim in dims if dim in labels}
        return np.asarray(value.sel(selection).transpose("chain", "draw", *dims).values, dtype=np.float64)

    shape = (posterior.sizes["chain"], posterior.sizes["draw"])
    tau = take("tau_g", "geo") if "tau_g" in posterior else np.zeros((*shape, dataset.n_geos))
    sigma = np.asarray(posterior["sigma"].values, dtype=np.float64)
    if sigma.ndim == 3:  # unique_sigma_for_each_geo
        sigma = take("sigma", "geo")
    draws = {
        "intercept": tau + scales.kpi_mean / scales.kpi_sd,
        "trend": take("mu_t", "time") if "mu_t" in posterior else np.zeros((*shape, dataset.n_times)),
        "adstock_decay": take("alpha_m", "media_channel"),
        "hill_half_saturation": take("ec_m", "media_channel"),
        "hill_slope": take("slope_m", "media_channel"),
        "beta_media": take("beta_gm", "geo", "media_channel"),
        "noise_sd": np.broadcast_to(sigma[..., None] if sigma.ndim == 2 else sigma,
                                    (*shape, dataset.n_geos)).copy(),
    }
    if dataset.control_names:
        gamma = posterior["gamma_gc"].sel(geo=geos, control_variable=list(dataset.control_names))
        draws["control_coef"] = np.asarray(
            gamma.transpose("chain", "draw", "geo", "control_variable").values, dtype=np.float64
        ).reshape(*shape, -1)
    if "roi_m" in posterior:
        draws["roi"] = take("roi_m", "media_channel")
    return draws


def meridian_geos(posterior: Any, dataset: Dataset) -> list[str]:
    """Meridian's geo labels in the dataset's geo order (a national model's one geo maps to 'national')."""
    labels = [str(g) for g in posterior["geo"].values]
    if not dataset.is_geo:
        if len(labels) != 1:
            raise MixscopeError(
                f"The model has {len(labels)} geos but the data has none; map the data's geo column "
                "([columns] geo in the mapping TOML)."
            )
        return labels
    missing = sorted(set(dataset.geos) - set(labels))
    extra = sorted(set(labels) - set(dataset.geos))
    if missing or extra:
        raise MixscopeError(
            f"The data's geos do not match the model's: in the data only {', '.join(missing) or 'none'}; "
            f"in the model only {', '.join(extra) or 'none'}. Import with the data the model was fitted on."
        )
    return list(dataset.geos)


def settings_of(summary: dict[str, Any]) -> MeridianSettings:
    """The settings an imported run's summary records (``summary["meridian"]["model_spec"]``)."""
    stored = dict(summary["meridian"]["model_spec"])
    stored["control_population_scaling"] = tuple(stored.get("control_population_scaling", ()))
    prior = stored.get("roi_prior")
    stored["roi_prior"] = None if prior is None else (float(prior["loc"]), float(prior["scale"]))
    return MeridianSettings(**stored)


def evaluation_inputs(run: Run, carryover: bool = True) -> tuple[Scaling, ModelInputs, ModelConfig]:
    """The engine hook: what mixscope's evaluation needs to run an imported run's draws.

    ``carryover=True`` (the surface, mixscope's ROI) counts outcome after the data
    window; ``False`` stops at its end, as Meridian's own metrics do.
    """
    settings = settings_of(run.summary)
    scales = meridian_scales(run.dataset, settings)
    return (
        scaling(scales),
        model_inputs(run.dataset, run.spec, scales, carryover),
        model_config(run.dataset, settings),
    )
