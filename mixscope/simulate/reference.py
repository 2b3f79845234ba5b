"""The data-generating process's media math in plain NumPy, written from the formulas.

Deliberately independent of :mod:`mixscope.transforms` and :mod:`mixscope.model`:
the simulator and the known-value tests use these functions, so a bug in the
model's own transforms cannot also appear in the truth it is scored against.
Arrays are ``(geo, time, channel)`` with float64 throughout.
"""

from __future__ import annotations

import numpy as np

ADSTOCK_KINDS = ("geometric", "delayed")
SATURATION_KINDS = ("hill", "exponential")


def lag_weights(kind: str, decay: float, max_lag: int, peak: float = 0.0) -> np.ndarray:
    """``(max_lag,)`` normalised carryover weights of one channel.

    ``geometric``: ``decay**l``; ``delayed``: ``decay**((l - peak)**2)`` (the effect
    builds to lag ``peak`` and fades after it). Both sum to one, so carryover moves
    spend in time without changing its total.
    """
    lags = np.arange(max_lag, dtype=float)
    if kind == "geometric":
        raw = np.array([decay**lag for lag in range(max_lag)])
    elif kind == "delayed":
        raw = np.power(decay, (lags - peak) ** 2)
    else:
        raise ValueError(f"unknown adstock kind {kind!r}; use one of {ADSTOCK_KINDS}")
    return raw / raw.sum()


def carry_over(media: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``(..., time)`` media → ``out[t] = sum_l weights[l] * media[t - l]`` (zero before the start)."""
    media = np.asarray(media, dtype=float)
    out = np.zeros_like(media)
    n_times = media.shape[-1]
    for lag, weight in enumerate(weights):
        if lag >= n_times:
            break
        out[..., lag:] += weight * media[..., : n_times - lag]
    return out


def saturation(kind: str, level: np.ndarray, half_saturation: float, slope: float) -> np.ndarray:
    """Diminishing returns of a non-negative media ``level`` (in units of typical spend).

    ``hill``: ``x**s / (x**s + K**s)``, S-shaped for ``s > 1``; ``exponential``:
    ``1 - exp(-x * ln 2 / K)`` (concave everywhere, half its maximum at ``K``;
    ``slope`` is ignored). Both are 0 at 0 and rise towards 1.
    """
    level = np.maximum(np.asarray(level, dtype=float), 0.0)
    if kind == "hill":
        powered = level**slope
        return powered / (powered + half_saturation**slope)
    if kind == "exponential":
        return 1.0 - np.exp(-level * np.log(2.0) / half_saturation)
    raise ValueError(f"unknown saturation kind {kind!r}; use one of {SATURATION_KINDS}")
