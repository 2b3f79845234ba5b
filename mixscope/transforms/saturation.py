"""Saturation: diminishing returns of (adstocked, scaled) media.

Both curves map 0 → 0 and rise monotonically towards 1, so a channel's
coefficient is its effect at full saturation.
"""

from __future__ import annotations

import jax
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

    Written as ``sigmoid(s * (log x - log K))`` with ``x = 0`` masked out, because
    ``x**s`` at ``x = 0`` has a NaN gradient with respect to ``s``; one logistic is
    also 2x cheaper per gradient than the equivalent softplus form.
    """
    media = jnp.asarray(media)
    positive = media > 0
    safe_media = jnp.where(positive, media, 1.0)
    log_ratio = jnp.log(safe_media) - jnp.log(jnp.asarray(half_saturation))
    return jnp.where(positive, jax.nn.sigmoid(jnp.asarray(slope) * log_ratio), 0.0)


def logistic(media: ArrayLike, rate: ArrayLike) -> Array:
    """Logistic saturation ``(1 - exp(-r x)) / (1 + exp(-r x))`` = ``tanh(r x / 2)``.

    Args:
        media: ``(geo, time, channel)`` non-negative scaled media.
        rate: ``(channel,)`` ``r > 0``; larger saturates sooner.

    Returns:
        ``(geo, time, channel)`` values in ``[0, 1)``; smooth at zero.
    """
    return jnp.tanh(jnp.asarray(rate) * jnp.asarray(media) / 2.0)
