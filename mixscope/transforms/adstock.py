"""Adstock: carryover of media effects into later periods.

Both kernels are normalised (weights sum to one), so adstock moves media in
time without changing its total, and saturation priors keep their meaning.
Spend before the first period is unknown and taken as zero.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike


def geometric_weights(decay: ArrayLike, max_lag: int) -> Array:
    """Normalised geometric lag weights.

    Args:
        decay: ``(..., channel)`` retention rate per period in ``[0, 1)``.
        max_lag: number of lags ``L`` including lag 0.

    Returns:
        ``(..., channel, L)`` weights ``decay**l / sum(decay**l)``.
    """
    decay = jnp.asarray(decay)
    # Static integer powers: the gradient stays finite at decay = 0 (0**0 with a
    # float exponent has a NaN derivative).
    weights = jnp.stack([decay**lag for lag in range(max_lag)], axis=-1)
    return weights / weights.sum(axis=-1, keepdims=True)


def delayed_weights(decay: ArrayLike, peak: ArrayLike, max_lag: int) -> Array:
    """Normalised delayed-adstock weights ``decay**((l - peak)**2)``.

    The effect builds up to its peak lag and decays after it (the classic
    delayed adstock of Jin et al., 2017).

    Args:
        decay: ``(..., channel)`` in ``(0, 1)``.
        peak: ``(..., channel)`` lag of the strongest effect, in ``[0, L - 1]``.
        max_lag: number of lags ``L`` including lag 0.

    Returns:
        ``(..., channel, L)`` weights summing to one over the last axis.
    """
    lags = jnp.arange(max_lag, dtype=jnp.result_type(float))
    exponent = (lags - jnp.asarray(peak)[..., None]) ** 2
    # decay**exponent via exp/log: finite gradients at every exponent.
    weights = jnp.exp(exponent * jnp.log(jnp.asarray(decay))[..., None])
    return weights / weights.sum(axis=-1, keepdims=True)


def apply_adstock(media: ArrayLike, weights: ArrayLike, channel_axis: int = -1) -> Array:
    """Convolve media with per-channel lag weights.

    Args:
        media: ``(geo, time, channel)`` non-negative media; with ``channel_axis=0``,
            ``(channel, ..., time)`` (see :mod:`mixscope.transforms` for why).
        weights: ``(channel, L)`` lag weights (see :func:`geometric_weights`).
        channel_axis: position of the channel axis; time is the last other axis.

    Returns:
        adstocked media, same shape; period ``t`` gets
        ``sum_l weights[c, l] * media[..., t - l, c]``.
    """
    weights = jnp.asarray(weights)
    by_channel = jnp.moveaxis(jnp.asarray(media), channel_axis, 0)  # (channel, ..., time)
    max_lag = weights.shape[-1]
    n_times = by_channel.shape[-1]
    padded = jnp.pad(by_channel, [(0, 0)] * (by_channel.ndim - 1) + [(max_lag - 1, 0)])
    # One contraction over a stack of lagged copies: when media is fixed data (the
    # model's inputs) XLA folds the stack into a constant, and the gradient with
    # respect to the weights is a single dot. A running sum of shifted slices cost
    # 6x more per gradient (bench/fit.py) and compiled slower.
    lagged = jnp.stack(
        [padded[..., max_lag - 1 - lag : max_lag - 1 - lag + n_times] for lag in range(max_lag)],
        axis=-1,
    )
    return jnp.moveaxis(jnp.einsum("c...l,cl->c...", lagged, weights), 0, channel_axis)


def geometric_adstock(media: ArrayLike, decay: ArrayLike, max_lag: int) -> Array:
    """``(geo, time, channel)`` media → normalised geometric adstock, same shape."""
    return apply_adstock(media, geometric_weights(decay, max_lag))


def delayed_adstock(media: ArrayLike, decay: ArrayLike, peak: ArrayLike, max_lag: int) -> Array:
    """``(geo, time, channel)`` media → normalised delayed adstock, same shape."""
    return apply_adstock(media, delayed_weights(decay, peak, max_lag))
