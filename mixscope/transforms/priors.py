"""The default prior of one transform parameter: a family and its two numbers.

Plain data, read by the NumPyro model (as its prior), by the ridge engine's
search box (as its central mass) and by the transform tests (as where to draw
parameters from). SciPy is imported on first use only: the spec validation
reads the registry and must stay light.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FAMILIES = ("beta", "lognormal")


@dataclass(frozen=True)
class Prior:
    """``Beta(a, b)`` or ``LogNormal(a, b)`` (``a`` the log-scale mean, ``b`` its sd)."""

    family: str
    a: float
    b: float

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown prior family {self.family!r}; use one of {FAMILIES}")

    def _distribution(self):
        from scipy import stats

        if self.family == "beta":
            return stats.beta(self.a, self.b)
        return stats.lognorm(self.b, scale=np.exp(self.a))

    def quantile(self, q: float) -> float:
        return float(self._distribution().ppf(q))

    @property
    def centre(self) -> float:
        """A Beta's mean, a LogNormal's median."""
        return float(self._distribution().mean() if self.family == "beta" else np.exp(self.a))

    def central(self, mass: float) -> tuple[float, float]:
        """The interval holding the central ``mass`` of the prior."""
        tail = (1.0 - mass) / 2.0
        return self.quantile(tail), self.quantile(1.0 - tail)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
        """Draws of shape ``size`` (float64)."""
        if self.family == "beta":
            return rng.beta(self.a, self.b, size)
        return rng.lognormal(self.a, self.b, size)
