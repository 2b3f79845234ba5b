"""How far a plan takes each channel past the media levels the data showed.

The response curve is evaluated on adstocked, scaled media, so that is where
extrapolation is judged: a plan scales the reference window's media of a
channel by a multiplier ``m``, and its adstocked level in window week ``t`` is
``rest[t] + m * window[t]`` (adstock is linear: carryover from before the window
plus the window's own media). The data support levels up to the highest one
observed anywhere in the history. Per channel and spend-grid point the build
stores

- ``peak_ratio``: the plan's highest level over the highest observed level;
- ``share_beyond``: the share of the window's live (geo, week) cells above the
  highest observed level.

A channel whose peak week is recent is not frozen: scaling it up puts one week
past the data long before the bulk of its weeks are. The planner's trust region
allows growth until :data:`SUPPORTED_SHARE` of the weeks would go past the data.
Only the build (:func:`support_profile`) runs JAX; the rest is NumPy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

SUPPORTED_SHARE = 0.25  # trust region: at most this share of a plan's weeks beyond the observed levels


def support_profile(
    draws: Mapping[str, np.ndarray], inputs: Any, config: Any, window: Any, multipliers: np.ndarray,
) -> dict[str, dict[str, Any]]:
    """Per channel, ``peak_ratio`` and ``share_beyond`` at each ``(channel, point)`` multiplier.

    Carryover uses the posterior median of the adstock parameters.
    """
    import jax.numpy as jnp

    from mixscope.model.mmm import adstock
    from mixscope.model.reach_frequency import RF_SITES, frequency_weighted_last

    median = {name: np.median(value, axis=0) for name, value in draws.items()
              if name.startswith("adstock") or name in RF_SITES}
    media = np.asarray(inputs.media, dtype=np.float64)  # (geo, time + tail, channel)
    if config.rf_channels:  # reach x Hill(frequency) at the median frequency Hill
        media = np.asarray(frequency_weighted_last(median, media, inputs.frequency, config.rf_channels))
    in_window = np.zeros(media.shape[1], dtype=bool)
    in_window[window.start : window.stop] = True
    levels = np.asarray(adstock(median, jnp.asarray(media), config))
    carried_window = np.asarray(adstock(median, jnp.asarray(media * in_window[None, :, None]), config))
    rest = (levels - carried_window)[:, window.start : window.stop]  # (geo, week, channel)
    own = carried_window[:, window.start : window.stop]
    observed = levels[:, : inputs.n_times].max(axis=(0, 1))  # (channel,)
    out = {}
    for c, name in enumerate(config.channels):
        live = (rest[..., c] + own[..., c]) > 0
        planned = rest[..., c][None] + multipliers[c][:, None, None] * own[..., c][None]
        top = max(float(observed[c]), 1e-12)
        out[name] = {
            "observed_max_level": float(observed[c]),
            "peak_ratio": np.round(planned.max(axis=(1, 2)) / top, 4).tolist(),
            "share_beyond": np.round(
                ((planned > top * (1 + 1e-9)) & live[None]).sum(axis=(1, 2)) / max(int(live.sum()), 1), 4
            ).tolist(),
        }
    return out


def supported_multiple(profile: Mapping[str, Any], multipliers: np.ndarray,
                       share: float = SUPPORTED_SHARE) -> float:
    """The largest multiplier of reference spend keeping ``share_beyond`` within ``share``."""
    beyond = np.asarray(profile["share_beyond"])
    within = np.flatnonzero(beyond <= share)
    last = int(within.max()) if within.size else 0
    if last + 1 >= beyond.size:
        return float(multipliers[-1])
    # Linear between the last grid point inside and the first outside.
    low, high = beyond[last], beyond[last + 1]
    fraction = 0.0 if high == low else (share - low) / (high - low)
    return float(multipliers[last] + fraction * (multipliers[last + 1] - multipliers[last]))


def extrapolation(
    support: Mapping[str, Mapping[str, Any]], channels: tuple[str, ...], spend_grid: np.ndarray,
    spend: np.ndarray,
) -> dict[str, dict[str, float]]:
    """Per channel of a ``(channel,)`` plan: ``peak_ratio`` and ``share_beyond`` (see module doc)."""
    out = {}
    for c, name in enumerate(channels):
        profile = support[name]
        out[name] = {
            key: float(np.interp(spend[c], spend_grid[c], np.asarray(profile[key])))
            for key in ("peak_ratio", "share_beyond")
        }
    return out


def observed_max_spend(profile: Mapping[str, Any], spend_grid: np.ndarray) -> float | None:
    """The window spend at which a channel's strongest week reaches the highest media level the data
    showed (``peak_ratio`` 1): the largest spend seen, on the spend axis of the curves; None when the
    grid never gets there. ``peak_ratio`` never falls as spend grows (adstock is linear)."""
    ratio = np.asarray(profile["peak_ratio"], dtype=float)
    reached = np.flatnonzero(ratio >= 1.0)
    if reached.size == 0:
        return None
    i = int(reached[0])
    if i == 0:
        return float(spend_grid[0])
    fraction = (1.0 - ratio[i - 1]) / (ratio[i] - ratio[i - 1])
    return float(spend_grid[i - 1] + fraction * (spend_grid[i] - spend_grid[i - 1]))
