"""Sampling the media transforms' parameters: one loop for paid channels and organic media.

Both kinds of media draw a decay per channel, then each registered kind's
parameters for the channels using that kind (:mod:`mixscope.transforms.registry`),
with lag-fraction parameters scaled to each channel's ``max_lag - 1``. They
differ only in their site names (organic media's are prefixed) and where the
channels and lags come from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpyro
import numpyro.distributions as dist
from jax import Array

from mixscope.transforms.priors import Prior
from mixscope.transforms.registry import ADSTOCK_DECAY, kinds


def distribution(prior: Prior) -> dist.Distribution:
    """The NumPyro distribution of a registry prior."""
    if prior.family == "beta":
        return dist.Beta(prior.a, prior.b)
    return dist.LogNormal(prior.a, prior.b)


def sample_transforms(
    n_channels: int,
    channels_of: Callable[[str], Sequence[int]],
    lags_of: Callable[[str], Sequence[int]],
    site: Callable[[str], str] = str,
) -> dict[str, Array]:
    """Sample the decay ``(channel,)`` and each kind's parameters ``(channels of that kind,)``.

    Args:
        n_channels: how many channels draw a decay.
        channels_of: a kind's name to the indices of the channels using it.
        lags_of: a kind's name to those channels' ``max_lag``, in the same order.
        site: a registry site name to this media's site name.

    Returns:
        ``{site name: values}``; lag-fraction parameters are also recorded as deterministic sites.
    """
    decay = site(ADSTOCK_DECAY.site)
    params = {decay: numpyro.sample(decay, distribution(ADSTOCK_DECAY.prior).expand([n_channels]))}
    for kind in kinds():
        channels = channels_of(kind.name)
        if not channels:
            continue
        for parameter in kind.parameters:
            value = numpyro.sample(
                site(parameter.sampled_site), distribution(parameter.prior).expand([len(channels)])
            )
            if parameter.lag_fraction:
                lags = np.array(lags_of(kind.name), dtype=np.float32)
                value = numpyro.deterministic(site(parameter.site), value * (lags - 1.0))
            params[site(parameter.site)] = value
    return params
