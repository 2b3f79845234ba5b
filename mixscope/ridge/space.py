"""The hyperparameter space of the evolutionary search: the unit cube ↔ model parameters.

The optimiser works on ``[0, 1]^d``; :meth:`SearchSpace.decode` maps a point
(or a population of points) to transform parameters under the Bayesian
model's own site names (``adstock_decay``, ``hill_half_saturation`` …), plus
the regression's ``penalty`` and ``train_share``. Keeping the optimiser on the
unit cube makes a population one ``(batch, d)`` array that JAX maps over.

Transform ranges are the central ``SEARCH_MASS`` of each parameter's prior in
:mod:`mixscope.transforms.registry`, so both engines hold the same beliefs
about shapes. Hill's box keeps narrower priors than the Bayesian model's (the
registry's ``search_prior``, its former priors, on which the figures below and
tests/ridge were measured): the wider ones let a posterior find S-shaped
curves, but a regression picks one point of its box, and below is where wide
boxes send it. Media is scaled so that 1 is a typical non-zero
week and adstock weights are normalised, so half-saturation is searched around
1 on a log scale.

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
from scipy import special

from mixscope.model.mmm import ModelConfig
from mixscope.transforms.registry import ADSTOCK, ADSTOCK_DECAY, kinds

PENALTY = (1e-4, 1.0)  # log scale; on standardised regressors and KPI, so scale-free
TRAIN_SHARE = (0.6, 0.9)  # share of the non-holdout periods the regression is fitted on


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

    channels = config.channels
    adstock_kind = {i: ADSTOCK[group.kind] for group in config.adstock_groups for i in group.indices}
    decay = ADSTOCK_DECAY.search_bounds()
    add(ADSTOCK_DECAY.site, [
        Dimension(f"{channels[c]}.{ADSTOCK_DECAY.site}", ADSTOCK_DECAY.site,
                  max(decay[0], adstock_kind[c].search_decay_floor), decay[1], log=ADSTOCK_DECAY.search_log)
        for c in range(len(channels))
    ])
    for kind in kinds():
        members = config.channels_of(kind.name)
        lags = _lags(config, kind.name)
        for parameter in kind.parameters:
            add(parameter.site, [
                Dimension(f"{channels[c]}.{parameter.site}", parameter.site,
                          *parameter.search_bounds(lag), log=parameter.search_log)
                for c, lag in zip(members, lags, strict=True)
            ])
    if method != "ols":
        add("penalty", [Dimension("penalty", "penalty", *PENALTY, log=True)])
    add("train_share", [Dimension("train_share", "train_share", *TRAIN_SHARE)])
    return SearchSpace(tuple(dims), tuple(sites))


def default_transforms(config: ModelConfig) -> dict[str, np.ndarray]:
    """Transform parameters of the fast baseline (no search), under the model's site names.

    The centres of the search priors, so both engines start from the same beliefs;
    an adstock kind may set its own decay (the delayed kernel needs a visible peak).
    """
    adstock_kind = {i: ADSTOCK[group.kind] for group in config.adstock_groups for i in group.indices}
    centre = ADSTOCK_DECAY.search_centre()
    params = {
        ADSTOCK_DECAY.site: np.array(
            [_or(adstock_kind[c].baseline_decay, centre) for c in range(len(config.channels))],
            dtype=np.float32,
        )
    }
    for kind in kinds():
        lags = _lags(config, kind.name)
        if not lags:
            continue
        for parameter in kind.parameters:
            centres = [parameter.search_centre(lag) for lag in lags]
            params[parameter.site] = np.array(centres, dtype=np.float32)
    return params


def _lags(config: ModelConfig, kind: str) -> tuple[int, ...]:
    """``max_lag`` of each channel of ``kind``; 1 (unused) for saturation kinds."""
    members = config.channels_of(kind)
    return config.lags_of(kind) if kind in ADSTOCK else (1,) * len(members)


def _or(value: float | None, default: float) -> float:
    return default if value is None else value
