"""The registry of media transforms: one registered object per adstock or saturation kind.

A kind holds what the rest of mixscope needs to know about it: its parameters
(their site names in the posterior, dims, default priors and the ridge search
box), its JAX function (the model's) and its NumPy twin (the report's). The
spec validation, the NumPyro model (:mod:`mixscope.model.mmm`), the posterior's
dims (:mod:`mixscope.model.fit`) and the ridge search box
(:mod:`mixscope.ridge.space`) read this module, so a new kind is one object
here and ``tests/transforms/test_registry.py`` runs it through the same checks
as every other.

Reading the registry imports neither JAX nor SciPy (the spec validation and the
surface runtime must stay light): the JAX functions are imported on first call.

Priors are scale-free: media is in units of its typical non-zero week and
adstock weights sum to one, so a half-saturation of 1 is a typical week.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from mixscope.transforms import runtime
from mixscope.transforms.priors import Prior

SEARCH_MASS = 0.9  # the ridge search box is this central mass of each parameter's (search) prior


@dataclass(frozen=True)
class _Deferred:
    """A function of a JAX module, imported on its first call (see the module docstring)."""

    module: str
    name: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(self.module), self.name)(*args, **kwargs)


@dataclass(frozen=True)
class Parameter:
    """One parameter of a transform: a vector over the channels that use it.

    Attributes:
        site: its name in the model's parameters and in the posterior (``hill_slope``).
        prior: the Bayesian model's default prior.
        lag_fraction: the prior is of a fraction of ``max_lag - 1``: the model samples
            ``{site}_fraction`` and derives the site as that fraction times ``max_lag - 1``.
        search_prior: the ridge search's prior when it is narrower than the Bayesian
            one; the search box is its central :data:`SEARCH_MASS`, the fast baseline its centre.
        search_log: the ridge search spans it log-uniformly.
    """

    site: str
    prior: Prior
    lag_fraction: bool = False
    search_prior: Prior | None = None
    search_log: bool = False

    @property
    def sampled_site(self) -> str:
        """The site the sampler draws (the posterior holds both when they differ)."""
        return f"{self.site}_fraction" if self.lag_fraction else self.site

    def search_bounds(self, max_lag: int = 1, mass: float = SEARCH_MASS) -> tuple[float, float]:
        """``(low, high)`` of the ridge search box for a channel with ``max_lag`` lags."""
        low, high = (self.search_prior or self.prior).central(mass)
        return low * self._scale(max_lag), high * self._scale(max_lag)

    def search_centre(self, max_lag: int = 1) -> float:
        """The ridge fast baseline's value (the search prior's centre)."""
        return (self.search_prior or self.prior).centre * self._scale(max_lag)

    def _scale(self, max_lag: int) -> float:
        return max_lag - 1.0 if self.lag_fraction else 1.0


# Every adstock kind has a retention rate per period, one site over all channels (dim "channel").
ADSTOCK_DECAY = Parameter("adstock_decay", Prior("beta", 1.0, 3.0))
DECAY_DIM = "channel"


@dataclass(frozen=True)
class AdstockKind:
    """A carryover kernel: normalised lag weights from the decay and the kind's own parameters.

    Attributes:
        name: the spec's ``adstock = "..."``.
        parameters: the kind's own parameters (after :data:`ADSTOCK_DECAY`), in the
            weight functions' argument order; dims ``("{name}_channel",)``.
        jax_weights: ``(decay, *parameters, max_lag)``, each ``(..., channel)``, →
            ``(..., channel, max_lag)`` weights summing to one (JAX).
        numpy_weights: the same in NumPy.
        search_decay_floor: the lowest decay the ridge search tries.
        baseline_decay: the ridge fast baseline's decay (``None``: the decay prior's centre).
    """

    name: str
    parameters: tuple[Parameter, ...]
    jax_weights: Callable[..., Any]
    numpy_weights: Callable[..., np.ndarray]
    search_decay_floor: float = 0.0
    baseline_decay: float | None = None

    @property
    def channel_dim(self) -> str:
        return f"{self.name}_channel"

    def apply_jax(self, media: Any, values: Sequence[Any], max_lag: int, channel_axis: int = -1) -> Any:
        """``(geo, time, channel)`` media → adstocked, same shape; ``values`` = decay then parameters."""
        apply = _Deferred("mixscope.transforms.adstock", "apply_adstock")
        return apply(media, self.jax_weights(*values, max_lag), channel_axis=channel_axis)

    def apply_numpy(self, media: Any, values: Sequence[Any], max_lag: int) -> np.ndarray:
        """:meth:`apply_jax` in NumPy (channel last)."""
        return runtime.apply_adstock(media, self.numpy_weights(*values, max_lag))


@dataclass(frozen=True)
class SaturationKind:
    """A diminishing-returns curve of adstocked, scaled media: 0 at 0, rising to ``ceiling``.

    Attributes:
        name: the spec's ``saturation = "..."``.
        parameters: its parameters, in the functions' argument order; dims ``("{name}_channel",)``.
        jax: ``(media, *parameters, channel_axis=-1)`` → same shape as ``media``
            ``(geo, time, channel)``; each parameter ``(channel,)`` (JAX).
        numpy: ``(media, *parameters)`` in NumPy, channel last.
        ceiling: the curve's supremum (a channel's coefficient is its effect there).
    """

    name: str
    parameters: tuple[Parameter, ...]
    jax: Callable[..., Any]
    numpy: Callable[..., np.ndarray]
    ceiling: float = 1.0

    @property
    def channel_dim(self) -> str:
        return f"{self.name}_channel"

    def apply_jax(self, media: Any, values: Sequence[Any], channel_axis: int = -1) -> Any:
        return self.jax(media, *values, channel_axis=channel_axis)

    def apply_numpy(self, media: Any, values: Sequence[Any]) -> np.ndarray:
        return self.numpy(media, *values)


GEOMETRIC = AdstockKind(
    "geometric", (),
    _Deferred("mixscope.transforms.adstock", "geometric_weights"), runtime.geometric_weights,
)
DELAYED = AdstockKind(
    "delayed",
    (Parameter("adstock_peak", Prior("beta", 1.5, 3.0), lag_fraction=True),),
    _Deferred("mixscope.transforms.adstock", "delayed_weights"), runtime.delayed_weights,
    # The delayed kernel takes log(decay): the search stays off zero, and the fast
    # baseline sits mid-range, where the kernel shows a visible peak.
    search_decay_floor=0.05,
    baseline_decay=0.5,
)
HILL = SaturationKind(
    "hill",
    (
        # Wide enough for curves still convex at typical spend (S-shaped, K up to ~4x the
        # typical week with slope up to ~3) and for deep saturation: the shape of a channel's
        # curve is what its marginal ROI rests on, and narrower priors (0.0, 0.6) and
        # (0.2, 0.4) set it for the data on the truth zoo (mROI intervals missed the truth).
        # The ridge search keeps those narrower ones: a regression picks one point of its
        # box, and wide boxes send it to the edges (see mixscope.ridge.space).
        Parameter("hill_half_saturation", Prior("lognormal", 0.2, 0.9),
                  search_prior=Prior("lognormal", 0.0, 0.6), search_log=True),
        Parameter("hill_slope", Prior("lognormal", 0.3, 0.5), search_prior=Prior("lognormal", 0.2, 0.4)),
    ),
    _Deferred("mixscope.transforms.saturation", "hill"), runtime.hill,
)
LOGISTIC = SaturationKind(
    "logistic",
    (Parameter("logistic_rate", Prior("lognormal", 0.0, 0.7), search_log=True),),
    _Deferred("mixscope.transforms.saturation", "logistic"), runtime.logistic,
)

# Registration order is the order of the model's sites and of the ridge search's dimensions.
ADSTOCK: Mapping[str, AdstockKind] = MappingProxyType({kind.name: kind for kind in (GEOMETRIC, DELAYED)})
SATURATION: Mapping[str, SaturationKind] = MappingProxyType({kind.name: kind for kind in (HILL, LOGISTIC)})


def kinds() -> tuple[AdstockKind | SaturationKind, ...]:
    """Every registered kind, adstock first."""
    return (*ADSTOCK.values(), *SATURATION.values())


def transform_sites() -> tuple[str, ...]:
    """Every transform parameter site the model's evaluation reads, in registration order."""
    return (ADSTOCK_DECAY.site, *(p.site for kind in kinds() for p in kind.parameters))


def site_dims() -> dict[str, list[str]]:
    """ArviZ dims of every transform site, sampled and derived."""
    dims = {ADSTOCK_DECAY.site: [DECAY_DIM]}
    for kind in kinds():
        for parameter in kind.parameters:
            dims[parameter.sampled_site] = dims[parameter.site] = [kind.channel_dim]
    return dims


def _check_unique() -> None:
    """Kind names share one namespace (a config's channels are looked up by kind name), sites too."""
    names = [kind.name for kind in kinds()]
    sites = [ADSTOCK_DECAY.site] + [p.site for kind in kinds() for p in kind.parameters]
    if len(set(names)) != len(names) or len(set(sites)) != len(sites):
        raise ValueError(f"transform kinds and sites must be unique: {names}, {sites}")


_check_unique()
