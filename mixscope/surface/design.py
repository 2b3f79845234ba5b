"""The scenario design: budget levels × allocations on the simplex (NumPy/SciPy only)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.stats import qmc


@dataclass(frozen=True, eq=False)
class AllocationDesign:
    """Allocations to score at every budget level.

    Attributes:
        shares: ``(allocation, channel)`` non-negative, each row sums to 1.
        kinds: ``(allocation,)`` where each row comes from: ``historical``,
            ``vertex``, ``edge``, ``sobol`` or ``neighbourhood``.
    """

    shares: np.ndarray
    kinds: np.ndarray


def budget_levels(low: float = 0.5, high: float = 2.0, step: float = 0.05) -> np.ndarray:
    """Multiples of the reference budget, ``low`` to ``high`` inclusive."""
    if not 0 < low <= high or step <= 0:
        raise ValueError("budget levels need 0 < low <= high and step > 0")
    count = int(round((high - low) / step)) + 1
    return np.round(low + step * np.arange(count), 10)


def allocation_design(
    historical: np.ndarray,
    n_sobol: int = 256,
    n_neighbourhood: int = 64,
    neighbourhood_radius: float = 0.15,
    seed: int = 0,
) -> AllocationDesign:
    """Historical mix, simplex vertices and edges, Sobol points, and a dense neighbourhood.

    Sobol points are mapped to the simplex by sorted spacings, which is uniform on
    it; the neighbourhood scales each historical share by up to ±radius
    (quasi-random) and renormalises.
    """
    historical = np.asarray(historical, dtype=float)
    historical = historical / historical.sum()
    n_channels = historical.size
    rows = [historical[None, :]]
    kinds = ["historical"]
    if n_channels > 1:
        eye = np.eye(n_channels)
        rows.append(eye)
        kinds += ["vertex"] * n_channels
        for i, j in combinations(range(n_channels), 2):
            for t in (0.25, 0.5, 0.75):
                rows.append((t * eye[i] + (1 - t) * eye[j])[None, :])
                kinds.append("edge")
        rows.append(_sobol_simplex(n_channels, n_sobol, seed))
        kinds += ["sobol"] * n_sobol
        unit = qmc.Sobol(n_channels, scramble=True, seed=seed + 1).random(n_neighbourhood)
        near = historical * (1.0 + neighbourhood_radius * (2.0 * unit - 1.0))
        rows.append(near / near.sum(axis=1, keepdims=True))
        kinds += ["neighbourhood"] * n_neighbourhood
    return AllocationDesign(np.concatenate(rows), np.array(kinds))


def _sobol_simplex(n_channels: int, count: int, seed: int) -> np.ndarray:
    unit = qmc.Sobol(n_channels - 1, scramble=True, seed=seed).random(count)
    cuts = np.sort(unit, axis=1)
    edges = np.concatenate([np.zeros((count, 1)), cuts, np.ones((count, 1))], axis=1)
    return np.diff(edges, axis=1)
