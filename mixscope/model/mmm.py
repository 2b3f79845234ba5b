"""The NumPyro MMM: baseline + media through adstock → saturation, national or geo.

One function, :func:`expected_kpi`, maps parameters to the decomposition of the
expected KPI; the sampler and every post-hoc evaluation (metrics, what-ifs)
call it, so there is one definition of how media becomes outcome.

ROI parametrisation (as Meridian does): each channel's ROI gets the prior and
its coefficient is derived so that the model's ROI *is* that parameter, with
carryover past the data window included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from jax import Array

from mixscope.data.dataset import Dataset
from mixscope.model.inputs import LiftInputs, ModelInputs, default_roi_prior
from mixscope.model.organic import organic_contribution, sample_organic
from mixscope.model.reach_frequency import RF_KIND, frequency_weighted, frequency_weighted_last, sample_rf
from mixscope.model.terms import sample_terms, terms_effect
from mixscope.model.transform_sites import sample_transforms
from mixscope.spec import RunSpec
from mixscope.transforms.adstock import apply_adstock
from mixscope.transforms.registry import ADSTOCK, ADSTOCK_DECAY, SATURATION


@dataclass(frozen=True)
class ChannelGroup:
    """Channels sharing a transform kind, sampled and transformed as one vector."""

    kind: str
    indices: tuple[int, ...]
    max_lag: int = 0


@dataclass(frozen=True)
class MediaPriors:
    """Default priors of the media effects (the transforms' own are in :mod:`mixscope.transforms.registry`).

    Attributes:
        roi_shared: the share of each channel's log-ROI prior variance that all ROI
            channels share. Each channel keeps its own prior (same marginal), but the
            channels the data inform tell the model how effective media is here, and
            the channels they don't are pulled towards that rather than towards the
            prior's centre.
    """

    # Half of each channel's log-ROI prior variance is shared: on the truth zoo this cut
    # the mean absolute ROI error of channels the data barely inform (bench/zoo.py).
    roi_shared: float = 0.5


DEFAULT_PRIORS = MediaPriors()


@dataclass(frozen=True, eq=False)
class ModelConfig:
    """Static structure of the model: which channel uses which transform and prior."""

    channels: tuple[str, ...]
    geos: tuple[str, ...]
    adstock_groups: tuple[ChannelGroup, ...]
    saturation_groups: tuple[ChannelGroup, ...]
    roi_channels: tuple[int, ...]
    roi_prior: np.ndarray  # (len(roi_channels), 2): LogNormal (mu, sigma)
    coefficient_channels: tuple[int, ...]
    coefficient_prior: np.ndarray  # (len(coefficient_channels), 2)
    priors: MediaPriors = DEFAULT_PRIORS
    trend: str = "linear"  # the spec's [model] trend: "smooth" gives the drift a random-walk prior
    rf_channels: tuple[int, ...] = ()  # reach & frequency channels (mixscope.model.reach_frequency)

    @property
    def is_geo(self) -> bool:
        return len(self.geos) > 1

    def channels_of(self, kind: str) -> tuple[int, ...]:
        """Indices of the channels using transform ``kind`` (a registered adstock or saturation name)."""
        return tuple(i for g in (*self.adstock_groups, *self.saturation_groups) if g.kind == kind
                     for i in g.indices)

    def lags_of(self, kind: str) -> tuple[int, ...]:
        """``max_lag`` of each channel of :meth:`channels_of` ``kind`` (an adstock kind)."""
        return tuple(g.max_lag for g in self.adstock_groups if g.kind == kind for _ in g.indices)

    @property
    def delayed_channels(self) -> tuple[int, ...]:
        return self.channels_of("delayed")

    @property
    def hill_channels(self) -> tuple[int, ...]:
        return self.channels_of("hill")

    @property
    def logistic_channels(self) -> tuple[int, ...]:
        return self.channels_of("logistic")


def build_config(spec: RunSpec, dataset: Dataset) -> ModelConfig:
    """Group channels by transform and resolve their priors (defaults included)."""
    adstock_keys: dict[tuple[str, int], list[int]] = {}
    saturation_keys: dict[str, list[int]] = {}
    roi_channels, roi_prior, coef_channels, coef_prior = [], [], [], []
    default = default_roi_prior(dataset)
    for index, channel in enumerate(spec.channels):
        adstock_keys.setdefault((channel.adstock, channel.max_lag), []).append(index)
        # An R&F channel's diminishing returns are its frequency Hill, before the adstock.
        saturation_keys.setdefault(RF_KIND if channel.is_rf else channel.saturation, []).append(index)
        if channel.coefficient_prior is not None:
            coef_channels.append(index)
            coef_prior.append(channel.coefficient_prior.lognormal_params())
        else:
            roi_channels.append(index)
            prior = channel.roi_prior
            roi_prior.append(prior.lognormal_params() if prior is not None else default)
    return ModelConfig(
        channels=spec.channel_names,
        geos=dataset.geos,
        adstock_groups=tuple(
            ChannelGroup(kind, tuple(idx), lag) for (kind, lag), idx in adstock_keys.items()
        ),
        saturation_groups=tuple(ChannelGroup(kind, tuple(idx)) for kind, idx in saturation_keys.items()),
        roi_channels=tuple(roi_channels),
        roi_prior=np.array(roi_prior, dtype=np.float32).reshape(-1, 2),
        coefficient_channels=tuple(coef_channels),
        coefficient_prior=np.array(coef_prior, dtype=np.float32).reshape(-1, 2),
        priors=DEFAULT_PRIORS,
        trend=spec.model.trend,
        rf_channels=tuple(index for index, channel in enumerate(spec.channels) if channel.is_rf),
    )


# --------------------------------------------------------------------------- evaluation


def saturated_media(params: dict[str, Array], media: Array, config: ModelConfig) -> Array:
    """``(geo, time, channel)`` scaled media → adstocked, saturated media in ``[0, 1)``."""
    return _channel_last(saturated_by_channel(params, _channel_first(media), config))


def adstock(params: dict[str, Array], media: Array, config: ModelConfig) -> Array:
    """``(geo, time, channel)`` scaled media → carryover applied (linear in ``media``)."""
    return _channel_last(_adstock_by_channel(params, _channel_first(media), config))


def saturate(params: dict[str, Array], adstocked: Array, config: ModelConfig) -> Array:
    """``(geo, time, channel)`` adstocked media → diminishing returns in ``[0, 1)``."""
    return _channel_last(_saturate_by_channel(params, _channel_first(adstocked), config))


def media_contribution(params: dict[str, Array], saturated: Array) -> Array:
    """``(geo, time, channel)`` saturated media → contribution in scaled KPI units."""
    return saturated * params["beta_media"][:, None, :]


def saturated_by_channel(params: dict[str, Array], media: Array, config: ModelConfig) -> Array:
    """:func:`saturated_media` in the channel-major layout: ``(channel, ..., time)`` in and out.

    The sampler works in this layout (see :mod:`mixscope.transforms`); the
    ``(geo, time, channel)`` functions above wrap it.
    """
    return _saturate_by_channel(params, _adstock_by_channel(params, media, config), config)


def _channel_first(media: Array) -> Array:
    return jnp.moveaxis(media, -1, 0)


def _channel_last(media: Array) -> Array:
    return jnp.moveaxis(media, 0, -1)


def _adstock_by_channel(params: dict[str, Array], media: Array, config: ModelConfig) -> Array:
    return _by_group(media, config.adstock_groups, lambda group, idx, part: _adstock(
        params, part, group, idx, config))


def _saturate_by_channel(params: dict[str, Array], adstocked: Array, config: ModelConfig) -> Array:
    return _by_group(adstocked, config.saturation_groups, lambda group, idx, part: _saturate(
        params, part, group))


def _by_group(media: Array, groups, transform) -> Array:
    """Apply ``transform`` to each channel group of channel-major ``media``, rejoined in channel order."""
    n_channels = media.shape[0]
    if len(groups) == 1 and groups[0].indices == tuple(range(n_channels)):
        return transform(groups[0], np.arange(n_channels), media)
    parts = {}
    for group in groups:
        idx = np.array(group.indices)
        parts[group.indices] = transform(group, idx, media[idx])
    return _in_channel_order(parts, n_channels)


def _adstock(params, media, group: ChannelGroup, idx, config: ModelConfig) -> Array:
    kind = ADSTOCK[group.kind]
    values = [params[ADSTOCK_DECAY.site][idx]]
    if kind.parameters:
        # The kind's own sites run over its channels only (dim "{kind}_channel").
        position = {c: i for i, c in enumerate(config.channels_of(kind.name))}
        own = np.array([position[c] for c in group.indices])
        values += [params[parameter.site][own] for parameter in kind.parameters]
    return apply_adstock(media, kind.jax_weights(*values, group.max_lag), channel_axis=0)


def _saturate(params, media, group: ChannelGroup) -> Array:
    if group.kind == RF_KIND:  # reach x Hill(frequency), adstocked: no saturation after
        return media
    # One group per saturation kind (build_config), so its sites are the group's channels in order.
    kind = SATURATION[group.kind]
    return kind.apply_jax(media, [params[parameter.site] for parameter in kind.parameters], channel_axis=0)


def expected_kpi(
    params: dict[str, Array], inputs: ModelInputs, config: ModelConfig, media: Array | None = None
) -> dict[str, Array]:
    """Decompose the expected scaled KPI for one parameter draw.

    Args:
        params: one draw of every sampled and derived site (``beta_media`` included).
        inputs: model arrays; ``media`` (``(geo, time + tail, channel)``) overrides
            ``inputs.media`` for what-if evaluation.

    Returns:
        ``baseline`` ``(geo, time)`` and ``media`` ``(geo, time + tail, channel)``
        in scaled KPI units; the expected KPI is ``baseline + media[:, :time].sum(-1)``.
    """
    media = inputs.media if media is None else media
    if config.rf_channels:  # reach at the historical frequency (mixscope.model.reach_frequency)
        media = frequency_weighted_last(params, media, inputs.frequency, config.rf_channels)
    return {
        "baseline": baseline(params, inputs),
        "media": media_contribution(params, saturated_media(params, media, config)),
    }


def baseline(params: dict[str, Array], inputs: ModelInputs) -> Array:
    """``(geo, time)`` intercept + trend + seasonality + controls (+ organic media), scaled units."""
    shared = jnp.zeros(inputs.n_times)
    if inputs.trend_basis.shape[1]:
        shared = shared + inputs.trend_basis @ params["trend"]
    if inputs.season_basis.shape[1]:
        shared = shared + inputs.season_basis @ params["seasonality"]
    out = params["intercept"][:, None] + shared[None, :]
    if inputs.controls.shape[-1]:
        out = out + inputs.controls @ params["control_coef"]
    if inputs.terms:  # holidays, events, treatments: their own sites (mixscope.model.terms)
        out = out + terms_effect(params, inputs.terms)
    if inputs.organic is not None:  # media without spend is part of the KPI without paid media
        out = out + organic_contribution(params, inputs.organic).sum(axis=0)
    return out


# --------------------------------------------------------------------------- the model


def _take(values: Array, indices: tuple[int, ...]) -> Array:
    """``values[..., indices]``, without a gather when the indices are all channels in order."""
    if indices == tuple(range(values.shape[-1])):
        return values
    return values[..., np.array(indices)]


def _in_channel_order(parts: dict[tuple[int, ...], Array], n_channels: int) -> Array:
    """``(channel, ...)`` from per-group values keyed by channel indices (first axis).

    A concatenation and a static permutation, not a scatter: scatters and their
    gradients are among the slowest XLA ops on CPU, and this runs every leapfrog step.
    """
    order = [index for indices in parts for index in indices]
    stacked = jnp.concatenate(list(parts.values()))
    if order == list(range(n_channels)):
        return stacked
    return stacked[np.argsort(order)]


def _drift(n_terms: int) -> Array:
    """Coefficients of a smooth baseline: a linear slope, then a random walk over the knots.

    The walk's step (``drift_scale``, scaled KPI per knot) is learned, with a
    zero-avoiding prior (median 3% of the mean KPI per knot spacing): slow demand
    swings the data show go into the baseline rather than into media that happened
    to move with them. Non-centred, so NUTS sees independent normals.
    """
    slope = numpyro.sample("trend_slope", dist.Normal(0.0, 0.3))
    scale = numpyro.sample("drift_scale", dist.LogNormal(np.log(0.03), 0.7))
    steps = numpyro.sample("drift_step", dist.Normal(0.0, 1.0).expand([n_terms - 1]))
    walk = jnp.cumsum(scale * steps)
    return numpyro.deterministic("trend", jnp.concatenate([slope[None], walk]))


def _roi(prior: np.ndarray, shared: float) -> Array:
    """The ROI site: ``LogNormal(mu_c, sigma_c)`` per channel, a share of the log variance shared.

    Non-centred, ``log roi_c = mu_c + sigma_c (sqrt(shared) z + sqrt(1 - shared) z_c)``,
    so each channel's marginal prior is exactly its own LogNormal.
    """
    mu, sigma = prior[:, 0], prior[:, 1]
    if not shared:
        return numpyro.sample("roi", dist.LogNormal(mu, sigma))
    common = numpyro.sample("roi_shared", dist.Normal(0.0, 1.0))
    own = numpyro.sample("roi_own", dist.Normal(0.0, 1.0).expand([len(mu)]))
    log_roi = mu + sigma * (np.sqrt(shared) * common + np.sqrt(1.0 - shared) * own)
    return numpyro.deterministic("roi", jnp.exp(log_roi))


LIFT_SITE = "experiment_lift"  # deterministic site: model-implied lift, in lift units


def implied_lift(params: Mapping[str, Array], lift: LiftInputs, config: ModelConfig) -> Array:
    """``(experiment,)`` model-implied lift in lift units for one parameter draw: the lift likelihood's mean.

    For an experiment on channel ``c`` it is the sum over the test's geos and
    the periods of ``lift.media`` (the window, with the adstock's memory before
    it and its carryover after) of
    ``geo_weight[g] * beta[g, c] * (sat(media with the test) - sat(media without it))``,
    where ``sat`` is the channel's adstock then saturation. Outside that slice
    the two media paths give the same adstock, so the lift is exact while the
    model pays for an experiment in proportion to its length.

    ``params`` needs the transform parameters and ``beta_media`` ``(geo or 1, channel)``.
    """
    n_experiments, n_geos, width, n_channels = lift.media.shape
    both = jnp.concatenate([jnp.asarray(lift.media), jnp.asarray(lift.counterfactual)], axis=0)
    # saturated_media works on (geo, time, channel); experiments × geos are a batch of "geos".
    both = both.reshape(-1, width, n_channels)
    if config.rf_channels:  # a test changes reach at the historical frequency
        frequency = np.concatenate([lift.frequency] * 2).reshape(-1, width, len(config.rf_channels))
        both = frequency_weighted_last(params, both, frequency, config.rf_channels)
    saturated = saturated_media(params, both, config)
    saturated = saturated.reshape(2, n_experiments, n_geos, width, n_channels)
    difference = (saturated[0] - saturated[1]).sum(axis=2)  # (experiment, geo, channel)
    channel = jnp.asarray(lift.channel)
    tested = jnp.take_along_axis(difference, channel[:, None, None], axis=2)[..., 0]
    beta = jnp.broadcast_to(params["beta_media"], (n_geos, n_channels))[:, channel].T
    return (tested * beta * lift.geo_weight).sum(axis=-1)


def mmm_model(inputs: ModelInputs, config: ModelConfig) -> None:
    """NumPyro model; observed site ``kpi`` is masked outside the training periods."""
    n_geos, _, n_channels = inputs.media.shape
    params: dict[str, Array] = {}

    # Baseline: partially pooled geo intercepts, shared trend, seasonality, controls.
    if config.is_geo:
        intercept_mean = numpyro.sample("intercept_mean", dist.Normal(0.5, 1.0))
        # Zero-avoiding priors on the geo spreads (median 5% of the scaled KPI here,
        # 13% on media effects below): geos always differ somewhat, and a HalfNormal's
        # mass at zero made a funnel with the offsets (bench/results/HISTORY.md).
        intercept_sd = numpyro.sample("intercept_sd", dist.LogNormal(-3.0, 1.0))
        offset = numpyro.sample("intercept_offset", dist.Normal(0.0, 1.0).expand([n_geos]))
        params["intercept"] = numpyro.deterministic(
            "intercept", intercept_mean + intercept_sd * offset
        )
    else:
        params["intercept"] = numpyro.sample("intercept", dist.Normal(0.5, 1.0).expand([1]))
    if config.trend == "smooth":
        params["trend"] = _drift(inputs.trend_basis.shape[1])
    elif inputs.trend_basis.shape[1]:
        params["trend"] = numpyro.sample(
            "trend", dist.Normal(0.0, 0.3).expand([inputs.trend_basis.shape[1]])
        )
    if inputs.season_basis.shape[1]:
        params["seasonality"] = numpyro.sample(
            "seasonality", dist.Normal(0.0, 0.3).expand([inputs.season_basis.shape[1]])
        )
    if inputs.controls.shape[-1]:
        params["control_coef"] = numpyro.sample(
            "control_coef", dist.Normal(0.0, 0.3).expand([inputs.controls.shape[-1]])
        )
    params.update(sample_terms(inputs.terms))

    # Media transforms: their default priors and sites come from the registry.
    params.update(sample_transforms(n_channels, config.channels_of, config.lags_of))
    channel_media = _channel_first(inputs.media)
    if config.rf_channels:  # reach x Hill(frequency) (mixscope.model.reach_frequency)
        params.update(sample_rf(len(config.rf_channels)))
        channel_media = frequency_weighted(
            params, channel_media, _channel_first(inputs.frequency), config.rf_channels
        )

    # Geo variation of media effects around the national effect (log scale).
    # Channel-major (channel, geo, time + tail): see mixscope.transforms.
    saturated = saturated_by_channel(params, channel_media, config)
    if config.is_geo:
        geo_sd = numpyro.sample("media_geo_sd", dist.LogNormal(-2.0, 0.8).expand([n_channels]))
        geo_offset = numpyro.sample(
            "media_geo_offset", dist.Normal(0.0, 1.0).expand([n_geos, n_channels])
        )
        geo_multiplier = jnp.exp(geo_sd * geo_offset)
    else:
        geo_multiplier = jnp.ones((1, n_channels))

    # ROI channels: derive the national coefficient so the model's ROI equals the draw.
    # Multiply-and-sum over the contiguous time axis rather than einsums, which
    # became slower batched dot calls (bench/results/HISTORY.md).
    revenue_per_beta = (
        (saturated * inputs.outcome_weight[None]).sum(axis=-1) * geo_multiplier.T
    ).sum(axis=-1)
    parts: dict[tuple[int, ...], Array] = {}
    if config.roi_channels:
        idx = config.roi_channels
        roi = _roi(config.roi_prior, config.priors.roi_shared)
        parts[idx] = roi * inputs.spend_total[np.array(idx)] / _take(revenue_per_beta, idx)
    if config.coefficient_channels:
        parts[config.coefficient_channels] = numpyro.sample(
            "coefficient",
            dist.LogNormal(config.coefficient_prior[:, 0], config.coefficient_prior[:, 1]),
        )
    beta = _in_channel_order(parts, n_channels)
    params["beta_media"] = numpyro.deterministic("beta_media", beta[None, :] * geo_multiplier)
    numpyro.deterministic("channel_roi", beta * revenue_per_beta / inputs.spend_total)

    media = (saturated[..., : inputs.n_times] * params["beta_media"].T[..., None]).sum(axis=0)
    if inputs.organic is not None:
        params.update(sample_organic(inputs.organic))
    mean = baseline(params, inputs) + media
    noise = numpyro.sample("noise_sd", dist.HalfNormal(0.2).expand([n_geos]))
    numpyro.sample(
        "kpi",
        dist.Normal(mean, noise[:, None]).mask(inputs.train_mask[None, :]),
        obs=inputs.kpi,
    )

    if inputs.lift is not None:
        # Lift tests are extra observations of the causal effect of a spend change.
        lift = numpyro.deterministic(LIFT_SITE, implied_lift(params, inputs.lift, config))
        numpyro.sample(
            "lift_measured", dist.Normal(lift, inputs.lift.standard_error), obs=inputs.lift.observed
        )
