"""Saturation: diminishing returns of (adstocked, scaled) media.

Both curves map 0 → 0 and rise monotonically towards 1, so a channel's
coefficient is its effect at full saturation.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import Array
from jax.typing import ArrayLike


def hill(media: ArrayLike, half_saturation: ArrayLike, slope: ArrayLike) -> Array:
    """Hill curve ``x**s / (x**s + K**s)``.

    Args:
        media: ``(geo, time, channel)`` non-negative scaled media.
        half_saturation: ``(channel,)`` ``K > 0``, the media level giving half the maximum.
        slope: ``(channel,)`` shape ``s > 0``.

    Returns:
        ``(geo, time, channel)`` values in ``[0, 1)``.

    Written as ``1 / (1 + exp(s * (log K - log x)))`` with ``x = 0`` masked out,
    because ``x**s`` at ``x = 0`` has a NaN gradient with respect to ``s``.
    """
    media = jnp.asarray(media)
    positive = media > 0
    safe_media = jnp.where(positive, media, 1.0)
    log_ratio = jnp.log(jnp.asarray(half_saturation)) - jnp.log(safe_media)
    value = jnp.exp(-jnp.logaddexp(0.0, jnp.asarray(slope) * log_ratio))
    return jnp.where(positive, value, 0.0)


def logistic(media: ArrayLike, rate: ArrayLike) -> Array:
    """Logistic saturation ``(1 - exp(-r x)) / (1 + exp(-r x))`` = ``tanh(r x / 2)``.

    Args:
        media: ``(geo, time, channel)`` non-negative scaled media.
        rate: ``(channel,)`` ``r > 0``; larger saturates sooner.

    Returns:
        ``(geo, time, channel)`` values in ``[0, 1)``; smooth at zero.
    """
    return jnp.tanh(jnp.asarray(rate) * jnp.asarray(media) / 2.0)
