"""Saturation: diminishing returns of (adstocked, scaled) media.

Both curves map 0 → 0 and rise monotonically towards 1, so a channel's
coefficient is its effect at full saturation.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike


def hill(
    media: ArrayLike, half_saturation: ArrayLike, slope: ArrayLike, channel_axis: int = -1
) -> Array:
    """Hill curve ``x**s / (x**s + K**s)``.

    Args:
        media: ``(geo, time, channel)`` non-negative scaled media (any shape with
            a channel axis at ``channel_axis``).
        half_saturation: ``(channel,)`` ``K > 0``, the media level giving half the maximum.
        slope: ``(channel,)`` shape ``s > 0``.
        channel_axis: position of the channel axis in ``media``.

    Returns:
        values in ``[0, 1)``, shaped like ``media``.

    Written as ``sigmoid(s * (log x - log K))`` with ``x = 0`` masked out, because
    ``x**s`` at ``x = 0`` has a NaN gradient with respect to ``s``; one logistic is
    also 2x cheaper per gradient than the equivalent softplus form.
    """
    media = jnp.asarray(media)
    positive = media > 0
    safe_media = jnp.where(positive, media, 1.0)
    half_saturation = _per_channel(half_saturation, media.ndim, channel_axis)
    log_ratio = jnp.log(safe_media) - jnp.log(half_saturation)
    slope = _per_channel(slope, media.ndim, channel_axis)
    return jnp.where(positive, jax.nn.sigmoid(slope * log_ratio), 0.0)


def logistic(media: ArrayLike, rate: ArrayLike, channel_axis: int = -1) -> Array:
    """Logistic saturation ``(1 - exp(-r x)) / (1 + exp(-r x))`` = ``tanh(r x / 2)``.

    Args:
        media: ``(geo, time, channel)`` non-negative scaled media (any shape with
            a channel axis at ``channel_axis``).
        rate: ``(channel,)`` ``r > 0``; larger saturates sooner.
        channel_axis: position of the channel axis in ``media``.

    Returns:
        values in ``[0, 1)``, shaped like ``media``; smooth at zero.
    """
    media = jnp.asarray(media)
    return jnp.tanh(_per_channel(rate, media.ndim, channel_axis) * media / 2.0)


def _per_channel(values: ArrayLike, ndim: int, channel_axis: int) -> Array:
    """``(channel,)`` values shaped to broadcast along ``channel_axis`` of an ``ndim`` array."""
    shape = [1] * ndim
    shape[channel_axis] = -1
    return jnp.reshape(jnp.asarray(values), shape)
