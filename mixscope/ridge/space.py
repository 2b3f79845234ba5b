"""The hyperparameter space of the evolutionary search: the unit cube ↔ model parameters.

The optimiser works on ``[0, 1]^d``; :meth:`SearchSpace.decode` maps a point
(or a population of points) to transform parameters under the Bayesian
model's own site names (``adstock_decay``, ``hill_half_saturation`` …), plus
the regression's ``penalty`` and ``train_share``. Keeping the optimiser on the
unit cube makes a population one ``(batch, d)`` array that JAX maps over.

Ranges follow Robyn's defaults translated to mixscope's conventions: media is
scaled so that 1 is a typical non-zero week, adstock weights are normalised,
so half-saturation is searched around 1 on a log scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike

from mixscope.model.mmm import ModelConfig

GEOMETRIC_DECAY = (0.0, 0.9)
DELAYED_DECAY = (0.05, 0.95)  # the delayed kernel takes log(decay): keep it off zero
HILL_HALF_SATURATION = (0.2, 5.0)  # log scale
HILL_SLOPE = (0.5, 3.0)
LOGISTIC_RATE = (0.05, 5.0)  # log scale
PENALTY = (1e-4, 1.0)  # log scale; on standardised regressors and KPI, so scale-free
TRAIN_SHARE = (0.6, 0.9)  # share of the non-holdout periods the regression is fitted on

# Fixed transforms of the fast baseline (no search): the centres of the
# Bayesian model's priors, so both engines start from the same beliefs.
DEFAULT_DECAY = 0.25  # mean of Beta(1, 3)
DEFAULT_PEAK_FRACTION = 1.5 / 4.5  # mean of Beta(1.5, 3), as a fraction of max_lag - 1
DEFAULT_HALF_SATURATION = 1.0  # median of LogNormal(0, 0.6)
DEFAULT_SLOPE = float(np.exp(0.2))  # median of LogNormal(0.2, 0.4)
DEFAULT_LOGISTIC_RATE = 1.0  # median of LogNormal(0, 0.7)


@dataclass(frozen=True)
class Dimension:
    """One searched coordinate: ``site[index]`` spans ``[low, high]`` (log-uniformly if ``log``)."""

    name: str
    site: str
    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class SearchSpace:
    """Ordered dimensions; ``sites`` maps each parameter site to its dimension indices."""

    dimensions: tuple[Dimension, ...]
    sites: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def size(self) -> int:
        return len(self.dimensions)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dim.name for dim in self.dimensions)

    def decode(self, unit: ArrayLike) -> dict[str, Array]:
        """``(..., d)`` points of the unit cube → ``{site: (..., n_site)}`` parameter values."""
        unit = jnp.clip(jnp.asarray(unit), 0.0, 1.0)
        out = {}
        for site, indices in self.sites:
            idx = np.array(indices)
            low = np.array([self.dimensions[i].low for i in indices], dtype=np.float32)
            high = np.array([self.dimensions[i].high for i in indices], dtype=np.float32)
            log = np.array([self.dimensions[i].log for i in indices])
            u = unit[..., idx]
            linear = low + u * (high - low)
            # Log-uniform: low * (high / low) ** u; `where` keeps linear sites' zeros out of log().
            safe_low, safe_high = np.where(log, low, 1.0), np.where(log, high, 1.0)
            logarithmic = safe_low * jnp.exp(u * np.log(safe_high / safe_low))
            out[site] = jnp.where(log, logarithmic, linear)
        return out

    def describe(self, unit: np.ndarray) -> dict[str, float]:
        """Readable ``{dimension name: value}`` for one point (reports, candidate tables)."""
        values = {site: np.asarray(v) for site, v in self.decode(np.asarray(unit, np.float32)).items()}
        out = {}
        for site, indices in self.sites:
            for position, i in enumerate(indices):
                out[self.dimensions[i].name] = float(values[site][position])
        return out


def build_space(config: ModelConfig, method: str) -> SearchSpace:
    """The searched dimensions for a model structure; OLS has no penalty to search."""
    dims: list[Dimension] = []
    sites: list[tuple[str, tuple[int, ...]]] = []

    def add(site: str, entries: list[Dimension]) -> None:
        if entries:
            sites.append((site, tuple(range(len(dims), len(dims) + len(entries)))))
            dims.extend(entries)

    delayed = set(config.delayed_channels)
    lags = {i: group.max_lag for group in config.adstock_groups for i in group.indices}
    channels = config.channels
    add("adstock_decay", [
        Dimension(f"{channels[c]}.adstock_decay", "adstock_decay",
                  *(DELAYED_DECAY if c in delayed else GEOMETRIC_DECAY))
        for c in range(len(channels))
    ])
    add("adstock_peak", [
        Dimension(f"{channels[c]}.adstock_peak", "adstock_peak", 0.0, float(lags[c] - 1))
        for c in config.delayed_channels
    ])
    add("hill_half_saturation", [
        Dimension(f"{channels[c]}.hill_half_saturation", "hill_half_saturation",
                  *HILL_HALF_SATURATION, log=True)
        for c in config.hill_channels
    ])
    add("hill_slope", [
        Dimension(f"{channels[c]}.hill_slope", "hill_slope", *HILL_SLOPE) for c in config.hill_channels
    ])
    add("logistic_rate", [
        Dimension(f"{channels[c]}.logistic_rate", "logistic_rate", *LOGISTIC_RATE, log=True)
        for c in config.logistic_channels
    ])
    if method != "ols":
        add("penalty", [Dimension("penalty", "penalty", *PENALTY, log=True)])
    add("train_share", [Dimension("train_share", "train_share", *TRAIN_SHARE)])
    return SearchSpace(tuple(dims), tuple(sites))


def default_transforms(config: ModelConfig) -> dict[str, np.ndarray]:
    """Transform parameters of the fast baseline, under the model's site names."""
    delayed = set(config.delayed_channels)
    lags = {i: group.max_lag for group in config.adstock_groups for i in group.indices}
    n = len(config.channels)
    params = {
        "adstock_decay": np.array(
            [0.5 if c in delayed else DEFAULT_DECAY for c in range(n)], dtype=np.float32
        )
    }
    if config.delayed_channels:
        params["adstock_peak"] = np.array(
            [DEFAULT_PEAK_FRACTION * (lags[c] - 1) for c in config.delayed_channels], dtype=np.float32
        )
    if config.hill_channels:
        k = len(config.hill_channels)
        params["hill_half_saturation"] = np.full(k, DEFAULT_HALF_SATURATION, dtype=np.float32)
        params["hill_slope"] = np.full(k, DEFAULT_SLOPE, dtype=np.float32)
    if config.logistic_channels:
        params["logistic_rate"] = np.full(
            len(config.logistic_channels), DEFAULT_LOGISTIC_RATE, dtype=np.float32
        )
    return params
