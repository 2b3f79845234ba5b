"""Bootstrap replicates of the chosen candidate: honest-ish intervals for a frequentist fit.

A moving-block bootstrap over the fitted periods: each replicate draws blocks
of consecutive periods with replacement until it has as many periods as the
fit, and refits the regression with each period weighted by how often it was
drawn. Blocks keep the short-range autocorrelation of weekly residuals that a
period-by-period bootstrap would destroy (and so understate the uncertainty).

The engine also redraws, per replicate, what the periods do not carry: the
ROI prior's mean and the lift tests' measurements (within their errors), and
the transforms near the candidate's (``mixscope.ridge.engine``).
"""

from __future__ import annotations

import math

import numpy as np


def block_length(n_periods: int) -> int:
    """Default block length ``≈ n^(1/3)`` (the usual rate for the moving-block bootstrap), at least 2."""
    return max(2, round(n_periods ** (1.0 / 3.0)))


def block_weights(
    fit_weights: np.ndarray, replicates: int, rng: np.random.Generator, length: int | None = None,
) -> np.ndarray:
    """``(time,)`` 0/1 fitted periods → ``(replicate, time)`` bootstrap counts.

    Args:
        fit_weights: 1 on the periods the candidate was fitted on (contiguous), else 0.
        replicates: number of bootstrap replicates.
        length: block length; :func:`block_length` of the fitted periods by default.

    Returns:
        Counts summing to the number of fitted periods in every replicate.
    """
    periods = np.flatnonzero(np.asarray(fit_weights) > 0)
    n = len(periods)
    length = min(length or block_length(n), n)
    starts_available = n - length + 1
    n_blocks = math.ceil(n / length)
    counts = np.zeros((replicates, len(fit_weights)), dtype=np.float32)
    for r in range(replicates):
        starts = rng.integers(0, starts_available, size=n_blocks)
        drawn = (starts[:, None] + np.arange(length)[None, :]).ravel()[:n]
        np.add.at(counts[r], periods[drawn], 1.0)
    return counts
