"""Scaling and design: from a :class:`Dataset` and spec to model-ready arrays.

Media is scaled per geo and channel so a Hill half-saturation of 1 means "the
typical non-zero week" everywhere, and the KPI is scaled per geo to mean one,
so priors are scale-free. With a population column both scales are per-capita
levels times population: geos with the same spend per head saturate alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mixscope.data.dataset import Dataset
from mixscope.model.organic import OrganicInputs, organic_inputs
from mixscope.model.terms import TermBlock, build_terms
from mixscope.spec import ModelSpec, RunSpec

DEFAULT_MEDIA_SHARE = 0.2  # default ROI prior: all paid media explains ~20% of the KPI on average
MEDIA_SHARE_AT = "mean"  # the prior expects 20% on average (its median is lower)
DEFAULT_ROI_LOG_SD = 0.9  # Meridian's default width; 90% of mass spans ~0.2x..4.4x


@dataclass(frozen=True, eq=False)
class Scaling:
    """Constants that map model units back to business units.

    Attributes:
        kpi_scale: ``(geo,)`` KPI units per scaled unit.
        media_scale: ``(geo, channel)`` media units per scaled unit.
        control_mean: ``(control,)`` and ``control_sd``: z-scoring of controls.
    """

    kpi_scale: np.ndarray
    media_scale: np.ndarray
    control_mean: np.ndarray
    control_sd: np.ndarray


@dataclass(frozen=True, eq=False)
class LiftInputs:
    """Lift tests as arrays the model reads (:func:`mixscope.model.mmm.implied_lift`).

    Attributes:
        media: ``(experiment, geo, window, channel)`` scaled media around each
            test window, as the data shows it (the test included).
        counterfactual: the same with the test's change removed from its channel.
        channel: ``(experiment,)`` index of the tested channel.
        geo_weight: ``(experiment, geo)`` KPI units per scaled KPI unit divided by
            ``unit``, zero for geos outside the test.
        observed: ``(experiment,)`` measured lift in lift units (KPI / ``unit``).
        standard_error: ``(experiment,)`` in lift units.
        unit: KPI units per lift unit, so the likelihood works on numbers near one.
        frequency: ``(experiment, geo, window, rf_channel)`` the reach & frequency
            channels' frequency over the same windows, or ``None`` without them.
    """

    media: np.ndarray
    counterfactual: np.ndarray
    channel: np.ndarray
    geo_weight: np.ndarray
    observed: np.ndarray
    standard_error: np.ndarray
    unit: float
    frequency: np.ndarray | None = None

    @property
    def n_experiments(self) -> int:
        return len(self.channel)


@dataclass(frozen=True, eq=False)
class ModelInputs:
    """Arrays the NumPyro model reads; ``tail`` trailing periods carry adstock past the data.

    Attributes:
        media: ``(geo, time + tail, channel)`` scaled media, zero in the tail.
        kpi: ``(geo, time)`` scaled KPI.
        controls: ``(geo, time, control)`` z-scored controls.
        trend_basis: ``(time, n_trend)`` trend regressors (may have zero columns).
        season_basis: ``(time, 2 * order)`` Fourier terms.
        train_mask: ``(time,)`` True for periods in the likelihood (not held out).
        outcome_weight: ``(geo, time + tail)`` revenue per scaled KPI unit, so that
            ``sum(beta * saturated * outcome_weight)`` is incremental revenue.
        spend_total: ``(channel,)`` total spend over the data window.
        population_weight: ``(geo,)`` each geo's share of the KPI scale.
        lift: lift-test experiments for the likelihood, or ``None`` (no lift
            term; the model is then exactly the uncalibrated one).
        terms: holidays, events and treatments (:mod:`mixscope.model.terms`); none: the
            model is exactly the one without them.
        organic: organic media (no spend), or ``None`` (the model is then exactly
            the one without: :mod:`mixscope.model.organic`).
        frequency: ``(geo, time + tail, rf_channel)`` average frequency of the reach &
            frequency channels (their reach is in ``media``), zero in the tail; ``None``
            without them (:mod:`mixscope.model.reach_frequency`).
    """

    media: np.ndarray
    kpi: np.ndarray
    controls: np.ndarray
    trend_basis: np.ndarray
    season_basis: np.ndarray
    train_mask: np.ndarray
    outcome_weight: np.ndarray
    spend_total: np.ndarray
    n_times: int
    tail: int
    lift: LiftInputs | None = None
    terms: tuple[TermBlock, ...] = ()
    organic: OrganicInputs | None = None
    frequency: np.ndarray | None = None


def compute_scaling(dataset: Dataset) -> Scaling:
    """Per-geo KPI scale and per-geo/channel media scale (see module docstring)."""
    kpi = dataset.kpi
    media = dataset.media
    if dataset.population is not None:
        population = dataset.population.astype(float)
        per_capita_kpi = kpi.sum() / (population.sum() * dataset.n_times)
        kpi_scale = population * per_capita_kpi
        per_capita_media = media / population[:, None, None]
        level = np.array([_median_positive(per_capita_media[..., c]) for c in range(media.shape[-1])])
        media_scale = population[:, None] * level[None, :]
    else:
        kpi_scale = np.abs(kpi).mean(axis=1)
        media_scale = np.array(
            [[_median_positive(media[g, :, c]) for c in range(media.shape[-1])]
             for g in range(media.shape[0])]
        )
    # A geo where a channel never ran: borrow the channel's typical scale (any
    # positive value works, its media is all zero).
    fallback = np.nanmax(np.where(media_scale > 0, media_scale, np.nan), axis=0)
    media_scale = np.where(media_scale > 0, media_scale, np.nan_to_num(fallback, nan=1.0))
    kpi_scale = np.where(kpi_scale > 0, kpi_scale, 1.0)
    # Explicit row count: with no controls, reshape(-1, 0) cannot infer it.
    *rows, n_controls = dataset.controls.shape
    controls = dataset.controls.reshape(int(np.prod(rows)), n_controls)
    control_mean = controls.mean(axis=0) if controls.size else np.zeros(0)
    control_sd = controls.std(axis=0) if controls.size else np.zeros(0)
    control_sd = np.where(control_sd > 0, control_sd, 1.0)
    return Scaling(kpi_scale, media_scale, control_mean, control_sd)


def _median_positive(values: np.ndarray) -> float:
    positive = values[values > 0]
    return float(np.median(positive)) if positive.size else 0.0


def max_lag(spec: RunSpec) -> int:
    return max(channel.max_lag for channel in spec.channels)


def build_inputs(
    dataset: Dataset, spec: RunSpec, scaling: Scaling, media: np.ndarray | None = None
) -> ModelInputs:
    """Model arrays for ``dataset``; ``media`` (same shape) substitutes a what-if media plan."""
    media = dataset.media if media is None else media
    tail = max_lag(spec)
    scaled_media = media / scaling.media_scale[:, None, :]
    scaled_media = np.concatenate(
        [scaled_media, np.zeros((dataset.n_geos, tail, dataset.n_channels))], axis=1
    )
    kpi = dataset.kpi / scaling.kpi_scale[:, None]
    controls = (dataset.controls - scaling.control_mean) / scaling.control_sd
    weight = dataset.revenue_per_kpi * scaling.kpi_scale[:, None]
    # Carryover past the data is valued at the last observed revenue per KPI.
    weight = np.concatenate([weight, np.repeat(weight[:, -1:], tail, axis=1)], axis=1)
    train_mask = np.ones(dataset.n_times, dtype=bool)
    if spec.holdout.periods:
        train_mask[-spec.holdout.periods :] = False
    return ModelInputs(
        media=scaled_media.astype(np.float32),
        kpi=kpi.astype(np.float32),
        controls=controls.astype(np.float32),
        trend_basis=trend_basis(dataset.n_times, spec.model).astype(np.float32),
        season_basis=fourier_basis(dataset.dates, spec.model).astype(np.float32),
        train_mask=train_mask,
        outcome_weight=weight.astype(np.float32),
        spend_total=dataset.spend.sum(axis=(0, 1)),
        n_times=dataset.n_times,
        tail=tail,
        terms=build_terms(dataset, spec, scaling.kpi_scale),
        organic=organic_inputs(dataset, spec, scaling.kpi_scale),
        frequency=None if dataset.frequency is None else np.concatenate(
            [dataset.frequency, np.zeros((dataset.n_geos, tail, dataset.frequency.shape[-1]))], axis=1
        ).astype(np.float32),
    )


SMOOTH_KNOT_SPACING = 8  # periods between the knots of a smooth (drifting) baseline


def trend_basis(n_times: int, model: ModelSpec) -> np.ndarray:
    """``(time, n_trend)``: centred linear time, plus hinge terms at evenly spaced knots
    (``piecewise``), or plus tent functions on knots every :data:`SMOOTH_KNOT_SPACING`
    periods after the first (``smooth``: a baseline that drifts between knots)."""
    t = np.linspace(0.0, 1.0, n_times)
    if model.trend == "none":
        return np.zeros((n_times, 0))
    columns = [t - 0.5]
    if model.trend == "piecewise":
        knots = np.linspace(0.0, 1.0, model.trend_knots + 2)[1:-1]
        columns += [np.maximum(t - knot, 0.0) for knot in knots]
    if model.trend == "smooth":
        n_knots = max(2, math.ceil((n_times - 1) / SMOOTH_KNOT_SPACING) + 1)
        knots = np.linspace(0.0, n_times - 1.0, n_knots)
        periods = np.arange(n_times, dtype=float)
        width = knots[1] - knots[0]
        # The walk starts at zero on the first knot (the intercept holds the level there).
        columns += [np.maximum(1.0 - np.abs(periods - knot) / width, 0.0) for knot in knots[1:]]
    return np.stack(columns, axis=1)


def fourier_basis(dates: np.ndarray, model: ModelSpec) -> np.ndarray:
    """``(time, 2 * order)`` sin/cos terms with the period in weeks (of calendar time)."""
    days = (dates.astype("datetime64[D]") - np.datetime64("2000-01-03", "D")).astype(float)
    phase = 2 * math.pi * (days / 7.0) / model.seasonality_period
    columns = []
    for order in range(1, model.seasonality_order + 1):
        columns += [np.sin(order * phase), np.cos(order * phase)]
    return np.stack(columns, axis=1) if columns else np.zeros((len(dates), 0))


def default_roi_prior(dataset: Dataset) -> tuple[float, float]:
    """``(mu, sigma)`` of the LogNormal ROI prior used when a channel sets none.

    Centred so that all paid media together would explain about
    ``DEFAULT_MEDIA_SHARE`` of the outcome: scale-free, in the KPI's own units.
    ``MEDIA_SHARE_AT`` says which centre: the prior's mean (the expected media
    share is then that share; the median sits lower, as a LogNormal's does) or
    its median.
    """
    outcome = float((dataset.kpi * dataset.revenue_per_kpi).sum())
    spend = float(dataset.spend.sum())
    centre = max(DEFAULT_MEDIA_SHARE * outcome / spend, 1e-9)
    if MEDIA_SHARE_AT == "mean":
        return math.log(centre) - DEFAULT_ROI_LOG_SD**2 / 2, DEFAULT_ROI_LOG_SD
    return math.log(centre), DEFAULT_ROI_LOG_SD
