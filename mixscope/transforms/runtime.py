"""NumPy twins of the JAX transforms, for code that must not import JAX (the report, the runtime).

Same formulas and shapes as :mod:`mixscope.transforms.adstock` and
:mod:`mixscope.transforms.saturation`, channel last; the registry pairs each
JAX function with its twin and ``tests/transforms/test_registry.py`` checks
they agree. (The simulator's :mod:`mixscope.simulate.reference` is a third,
deliberately independent implementation: do not route it through here.)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

_TINY = 1e-12  # log(decay) stays finite at decay = 0


def geometric_weights(decay: ArrayLike, max_lag: int) -> np.ndarray:
    """``(..., channel)`` decay → ``(..., channel, L)`` weights ``decay**l``, normalised."""
    lags = np.arange(max_lag, dtype=float)
    weights = np.asarray(decay, dtype=float)[..., None] ** lags
    return weights / weights.sum(axis=-1, keepdims=True)


def delayed_weights(decay: ArrayLike, peak: ArrayLike, max_lag: int) -> np.ndarray:
    """``(..., channel)`` decay and peak lag → ``(..., channel, L)`` weights ``decay**((l - peak)**2)``."""
    lags = np.arange(max_lag, dtype=float)
    distance = (lags - np.asarray(peak, dtype=float)[..., None]) ** 2
    weights = np.exp(distance * np.log(np.maximum(np.asarray(decay, dtype=float), _TINY))[..., None])
    return weights / weights.sum(axis=-1, keepdims=True)


def apply_adstock(media: ArrayLike, weights: ArrayLike) -> np.ndarray:
    """``(geo, time, channel)`` media and ``(channel, L)`` weights → adstocked media, same shape.

    Period ``t`` gets ``sum_l weights[c, l] * media[..., t - l, c]``; spend before
    the first period is zero.
    """
    media = np.asarray(media, dtype=float)
    weights = np.asarray(weights, dtype=float)
    n_times = media.shape[-2]
    out = np.zeros_like(media)
    for lag in range(min(weights.shape[-1], n_times)):
        out[..., lag:, :] += weights[:, lag] * media[..., : n_times - lag, :]
    return out


def hill(media: ArrayLike, half_saturation: ArrayLike, slope: ArrayLike) -> np.ndarray:
    """``(..., channel)`` media → ``x**s / (x**s + K**s)``, same shape, in ``[0, 1)``."""
    media = np.asarray(media, dtype=float)
    positive = media > 0
    # 1 / (1 + (K / x)**s): the same curve without overflowing x**s for large media.
    ratio = np.asarray(half_saturation, dtype=float) / np.where(positive, media, 1.0)
    return np.where(positive, 1.0 / (1.0 + ratio ** np.asarray(slope, dtype=float)), 0.0)


def logistic(media: ArrayLike, rate: ArrayLike) -> np.ndarray:
    """``(..., channel)`` media → ``tanh(r x / 2)``, same shape, in ``[0, 1)``."""
    return np.tanh(np.asarray(rate, dtype=float) * np.asarray(media, dtype=float) / 2.0)
