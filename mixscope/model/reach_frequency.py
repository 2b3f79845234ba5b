"""Reach & frequency (R&F) channels: Meridian's form of a paid channel given as reach and frequency.

A channel with ``reach`` and ``frequency`` columns (``[channels.NAME]`` in the
spec) has the media effect

    beta * adstock(reach * hill(frequency; EC, slope))

as Meridian models it: the Hill curve is on the average frequency (raw, in
impressions per person reached: frequency is never scaled), each R&F channel
with its own EC (``rf_half_saturation``) and slope (``rf_slope``); reach is the
channel's media (:attr:`mixscope.data.dataset.Dataset.media`), scaled like any
other channel's; the adstock is the channel's own kind. The product enters the
model before the adstock and its saturation slot is the identity
(:data:`RF_KIND`), so everything downstream of :func:`frequency_weighted`
(ROI parametrisation, geo multipliers, contributions) is the paid channels' own.

Planning: the surface and the planner move an R&F channel by its spend; a plan
scales its reach at the historical frequency (the weighted media is linear in
reach), so its response to spend is linear apart from carryover, as in Meridian
at fixed frequency. The frequency that maximises ROI is reported separately
(:func:`optimal_frequency`): with spend proportional to impressions
(reach * frequency), ROI at a fixed reach is proportional to ``hill(f) / f``,
whose maximum is at ``f* = EC * (slope - 1) ** (1 / slope)`` when ``slope > 1``
and at the lowest frequency (1) otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from jax import Array

from mixscope import metrics
from mixscope.transforms.priors import Prior
from mixscope.transforms.saturation import hill

RF_KIND = "reach_frequency"  # the saturation group of R&F channels: the identity (see module doc)
EC_SITE = "rf_half_saturation"
SLOPE_SITE = "rf_slope"
RF_DIM = "rf_channel"
RF_SITES = (EC_SITE, SLOPE_SITE)

# Frequency is in its own units (impressions per person reached), typically 1 to 10 a week.
# EC: median 3, 90% of the mass between ~1 and ~9.5, so the half-saturating frequency may sit
# anywhere in that typical range. Slope: Meridian's default (median 2, 90% between ~1 and ~3.9):
# mostly S-shaped (slope > 1, an optimal frequency inside the range), but admits slope <= 1 (more
# frequency never pays). Together the prior optimal frequency EC * (slope - 1) ** (1 / slope)
# spans about 1 to 10.
EC_PRIOR = Prior("lognormal", math.log(3.0), 0.7)
SLOPE_PRIOR = Prior("lognormal", 0.7, 0.4)


def sample_rf(n_rf: int) -> dict[str, Array]:
    """Sample the frequency Hill's sites, ``(rf_channel,)`` each."""
    return {
        EC_SITE: numpyro.sample(EC_SITE, dist.LogNormal(EC_PRIOR.a, EC_PRIOR.b).expand([n_rf])),
        SLOPE_SITE: numpyro.sample(SLOPE_SITE, dist.LogNormal(SLOPE_PRIOR.a, SLOPE_PRIOR.b).expand([n_rf])),
    }


def frequency_weighted(
    params: Mapping[str, Any], media: Array, frequency: Array, rf_channels: tuple[int, ...]
) -> Array:
    """Channel-major media with each R&F channel's reach times the Hill of its frequency.

    Args:
        params: one draw holding ``rf_half_saturation`` and ``rf_slope`` ``(rf_channel,)``.
        media: ``(channel, ..., time)`` scaled media (an R&F channel's row is its scaled reach).
        frequency: ``(rf_channel, ..., time)`` average frequency, aligned with ``media``.
        rf_channels: the R&F channels' indices in ``media``, in ``frequency``'s order.

    Returns:
        ``media``'s shape: other channels unchanged. Rows are stacked, not scattered
        (scatters are slow on CPU and this runs every leapfrog step).
    """
    weight = hill(frequency, params[EC_SITE], params[SLOPE_SITE], channel_axis=0)
    position = {channel: r for r, channel in enumerate(rf_channels)}
    rows = [media[c] * weight[position[c]] if c in position else media[c] for c in range(media.shape[0])]
    return jnp.stack(rows)


def frequency_weighted_last(
    params: Mapping[str, Any], media: Array, frequency: Array, rf_channels: tuple[int, ...]
) -> Array:
    """:func:`frequency_weighted` on ``(geo, time, channel)`` media, ``(geo, time, rf_channel)`` frequency."""
    if not rf_channels:
        return media
    weighted = frequency_weighted(
        params, jnp.moveaxis(media, -1, 0), jnp.moveaxis(jnp.asarray(frequency), -1, 0), rf_channels
    )
    return jnp.moveaxis(weighted, 0, -1)


def optimal_frequency(half_saturation: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Frequency maximising ROI (see the module doc), per draw; shapes broadcast.

    ``EC * (slope - 1) ** (1 / slope)`` for ``slope > 1``, else 1; never below 1
    (no one is reached fewer than once).
    """
    half_saturation = np.asarray(half_saturation, dtype=float)
    slope = np.asarray(slope, dtype=float)
    steep = slope > 1
    safe = np.where(steep, slope, 2.0)
    inside = half_saturation * (safe - 1.0) ** (1.0 / safe)
    return np.maximum(np.where(steep, inside, 1.0), 1.0)


def historical_frequency(reach: np.ndarray, frequency: np.ndarray) -> np.ndarray:
    """``(rf_channel,)`` reach-weighted mean frequency over ``(geo, time, rf_channel)`` data."""
    total = reach.sum(axis=(0, 1))
    weighted = (reach * frequency).sum(axis=(0, 1))
    return np.where(total > 0, weighted / np.where(total > 0, total, 1.0), 1.0)


FREQUENCY_NOTE = (
    "Reach & frequency channels are planned by spend at the historical frequency: changing a channel's "
    "spend scales its reach, each period's average frequency kept as observed. optimal_frequency is the "
    "frequency maximising ROI under the posterior, EC * (slope - 1) ** (1 / slope) for a frequency Hill "
    "slope above 1, else 1 (more frequency never pays)."
)


def rf_summary(
    names: tuple[str, ...], draws: Mapping[str, np.ndarray], reach: np.ndarray, frequency: np.ndarray
) -> dict[str, Any]:
    """``summary.json`` entries: per R&F channel its historical and optimal frequency (90% interval).

    ``draws`` are flattened ``(draw, rf_channel)`` sites; ``reach`` and ``frequency`` the data's
    ``(geo, time, rf_channel)``.
    """
    optimal = optimal_frequency(draws[EC_SITE], draws[SLOPE_SITE])
    historical = historical_frequency(reach, frequency)
    return {
        "reach_frequency": {
            name: {
                "historical_frequency": float(historical[r]),
                "optimal_frequency": metrics.interval_summary(optimal[:, r]),
                "frequency_half_saturation": metrics.interval_summary(draws[EC_SITE][:, r]),
                "frequency_slope": metrics.interval_summary(draws[SLOPE_SITE][:, r]),
                "planned_at": "historical frequency",
            }
            for r, name in enumerate(names)
        },
        "reach_frequency_note": FREQUENCY_NOTE,
    }


def rf_dims() -> dict[str, list[str]]:
    """ArviZ dims of the R&F sites."""
    return {site: [RF_DIM] for site in RF_SITES}


def rf_coords(names: tuple[str, ...]) -> dict[str, list[str]]:
    """ArviZ coordinates for :func:`rf_dims` (none without R&F channels)."""
    return {RF_DIM: list(names)} if names else {}
