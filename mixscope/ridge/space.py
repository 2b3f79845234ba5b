"""The hyperparameter space of the evolutionary search: the unit cube ↔ model parameters.

The optimiser works on ``[0, 1]^d``; :meth:`SearchSpace.decode` maps a point
(or a population of points) to transform parameters under the Bayesian
model's own site names (``adstock_decay``, ``hill_half_saturation`` …), plus
the regression's ``penalty`` and ``train_share``. Keeping the optimiser on the
unit cube makes a population one ``(batch, d)`` array that JAX maps over.

Transform ranges are the central ``SEARCH_MASS`` of the Bayesian model's priors
(:func:`mixscope.model.mmm.mmm_model`), so both engines hold the same beliefs
about shapes. Media is scaled so that 1 is a typical non-zero week and adstock
weights are normalised, so half-saturation is searched around 1 on a log scale.

Why not wider (Robyn's ranges, as before: decay up to 0.9, half-saturation
0.2-5, slope 0.5-3): three years of weekly data barely tell shapes apart, and
the search's picks sat at the edges of the wide box (half-saturation near 0.2,
slope at 0.5 or 3, decay above 0.8): near-constant saturated media that trade
places with the intercept. Over every model a 5 x 2000 search evaluated on the
truth zoo's 24 national cases (with the ROI prior of mixscope.ridge.problem),
validation NRMSE and ROI error did not correlate (mean Spearman -0.01), the
best 1% by NRMSE erred more than the average model (1.06 against 0.97), and
the most prior-plausible model evaluated erred 0.87 against 1.16 for the pick.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
from jax import Array
from jax.typing import ArrayLike
from scipy import special, stats

from mixscope.model.mmm import DEFAULT_PRIORS, ModelConfig


@dataclass(frozen=True)
class Prior:
    """The Bayesian model's prior of one transform parameter: ``Beta(a, b)`` or ``LogNormal(a, b)``."""

    kind: str
    a: float
    b: float

    def _distribution(self):
        if self.kind == "beta":
            return stats.beta(self.a, self.b)
        return stats.lognorm(self.b, scale=np.exp(self.a))

    def quantile(self, q: float) -> float:
        return float(self._distribution().ppf(q))

    @property
    def centre(self) -> float:
        """The baseline's value: a Beta's mean, a LogNormal's median."""
        return float(self._distribution().mean() if self.kind == "beta" else np.exp(self.a))

    def central(self, mass: float) -> tuple[float, float]:
        """The interval holding the central ``mass`` of the prior."""
        tail = (1.0 - mass) / 2.0
        return self.quantile(tail), self.quantile(1.0 - tail)


# Decay and logistic rate as the Bayesian model's defaults (mixscope.model.mmm.DEFAULT_PRIORS).
# The Hill box keeps the Bayesian model's former priors, LogNormal(0, 0.6) and (0.2, 0.4),
# on which the figures above and tests/ridge were measured: the Bayesian model's wider
# ones let its posterior find S-shaped curves, but a regression picks one point of the box,
# and the module docstring shows where wide boxes send it.
DECAY_PRIOR = Prior("beta", *DEFAULT_PRIORS.decay)
PEAK_FRACTION_PRIOR = Prior("beta", 1.5, 3.0)  # of max_lag - 1, as mmm_model's delayed adstock
HALF_SATURATION_PRIOR = Prior("lognormal", 0.0, 0.6)
SLOPE_PRIOR = Prior("lognormal", 0.2, 0.4)
LOGISTIC_RATE_PRIOR = Prior("lognormal", *DEFAULT_PRIORS.logistic_rate)

SEARCH_MASS = 0.9
DELAYED_DECAY_FLOOR = 0.05  # the delayed kernel takes log(decay): keep it off zero
PENALTY = (1e-4, 1.0)  # log scale; on standardised regressors and KPI, so scale-free
TRAIN_SHARE = (0.6, 0.9)  # share of the non-holdout periods the regression is fitted on

# Fixed transforms of the fast baseline (no search): the centres of the Bayesian
# model's priors, so both engines start from the same beliefs. A delayed channel's
# decay sits mid-range: its kernel needs a visible peak.
DELAYED_DEFAULT_DECAY = 0.5


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


def neighbours(
    unit: np.ndarray, movable: np.ndarray, kinship: float, count: int, rng: np.random.Generator
) -> np.ndarray:
    """``(count, d)`` points of the unit cube related to ``unit`` ``(d,)`` by ``kinship``.

    On the normal scores of the cube (uniform over the search box), each movable
    coordinate becomes ``kinship * its score + sqrt(1 - kinship²) * fresh noise``:
    at 1 the point itself, at 0 independent uniform draws over the box, and in
    between draws that stay near the point without leaving the box. Other
    coordinates keep the point's values.
    """
    tiny = 1e-6
    score = special.ndtri(np.clip(np.asarray(unit, dtype=float), tiny, 1.0 - tiny))
    noise = rng.standard_normal((count, len(score)))
    moved = special.ndtr(kinship * score + np.sqrt(1.0 - kinship**2) * noise)
    return np.where(movable, moved, unit).astype(np.float32)


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
    decay = DECAY_PRIOR.central(SEARCH_MASS)
    delayed_decay = (max(decay[0], DELAYED_DECAY_FLOOR), decay[1])
    peak = PEAK_FRACTION_PRIOR.central(SEARCH_MASS)
    add("adstock_decay", [
        Dimension(f"{channels[c]}.adstock_decay", "adstock_decay",
                  *(delayed_decay if c in delayed else decay))
        for c in range(len(channels))
    ])
    add("adstock_peak", [
        Dimension(f"{channels[c]}.adstock_peak", "adstock_peak",
                  peak[0] * (lags[c] - 1), peak[1] * (lags[c] - 1))
        for c in config.delayed_channels
    ])
    add("hill_half_saturation", [
        Dimension(f"{channels[c]}.hill_half_saturation", "hill_half_saturation",
                  *HALF_SATURATION_PRIOR.central(SEARCH_MASS), log=True)
        for c in config.hill_channels
    ])
    add("hill_slope", [
        Dimension(f"{channels[c]}.hill_slope", "hill_slope", *SLOPE_PRIOR.central(SEARCH_MASS))
        for c in config.hill_channels
    ])
    add("logistic_rate", [
        Dimension(f"{channels[c]}.logistic_rate", "logistic_rate", *LOGISTIC_RATE_PRIOR.central(SEARCH_MASS),
                  log=True)
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
            [DELAYED_DEFAULT_DECAY if c in delayed else DECAY_PRIOR.centre for c in range(n)],
            dtype=np.float32,
        )
    }
    if config.delayed_channels:
        params["adstock_peak"] = np.array(
            [PEAK_FRACTION_PRIOR.centre * (lags[c] - 1) for c in config.delayed_channels], dtype=np.float32
        )
    if config.hill_channels:
        k = len(config.hill_channels)
        params["hill_half_saturation"] = np.full(k, HALF_SATURATION_PRIOR.centre, dtype=np.float32)
        params["hill_slope"] = np.full(k, SLOPE_PRIOR.centre, dtype=np.float32)
    if config.logistic_channels:
        params["logistic_rate"] = np.full(
            len(config.logistic_channels), LOGISTIC_RATE_PRIOR.centre, dtype=np.float32
        )
    return params
