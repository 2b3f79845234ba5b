"""Organic media: media without spend (newsletters, organic social, PR), part of the baseline.

An organic channel (``[organic.NAME]`` in the spec) is adstocked and saturated
like a paid channel, with the transform registry's kinds and default priors
(:mod:`mixscope.transforms.registry`), under its own sites (``organic_…``).

Its prior is on its contribution, not on an ROI: with no spend there is none.
The sampled quantity is ``organic_share``, the share of the KPI over the data
window the channel drives (default LogNormal with mean 5% and sd 5%), and its
coefficient is derived from it, as a paid channel's is from its ROI. A share,
rather than a coefficient prior in KPI units, because it is scale-free like the
paid channels' default ROI prior (centred on paid media driving 20% of the KPI),
and it is what a user can state ("the newsletter drives about 5% of sales"); a
coefficient's units are KPI per unit of saturated volume, which nobody has a
belief about.

Its contribution is part of :func:`mixscope.model.mmm.baseline`, the KPI
without paid media. So the surface and the planner, which move paid spend only,
hold organic media at its historical level in every plan and never allocate
budget to it (a what-if may set its level: :mod:`mixscope.surface.scenario_inputs`);
the summary reports its contribution on its own (:mod:`mixscope.model.organic_summary`).
National effect only: one coefficient for all geos.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from jax import Array

from mixscope.data.dataset import Dataset
from mixscope.model.transform_sites import sample_transforms
from mixscope.spec import PriorSpec, RunSpec
from mixscope.transforms.registry import ADSTOCK, ADSTOCK_DECAY, SATURATION, kinds

DEFAULT_SHARE_MEAN = 0.05  # default prior: each organic channel drives ~5% of the KPI…
DEFAULT_SHARE_SD = 0.05  # …give or take as much (90% of the prior mass between ~1% and ~14%)
SHARE_SITE = "organic_share"
BETA_SITE = "organic_beta"
ORGANIC_DIM = "organic"
_SATURATED = "_organic_saturated"  # not a site: sample_organic's transformed volume, reused by the baseline


def organic_site(site: str) -> str:
    """The organic twin of a transform site (``adstock_decay`` → ``organic_adstock_decay``)."""
    return f"organic_{site}"


# Every site an evaluation of the organic contribution reads (mixscope.model.evaluate).
ORGANIC_SITES = (
    organic_site(ADSTOCK_DECAY.site),
    *(organic_site(parameter.site) for kind in kinds() for parameter in kind.parameters),
    BETA_SITE,
)


@dataclass(frozen=True, eq=False)
class OrganicInputs:
    """Organic media as the model reads it; the transform kinds are static structure.

    Attributes:
        names: organic channel names in spec order.
        volume: ``(organic, geo, time)`` volume scaled per geo to its typical non-zero period
            (channel-major, as the paid media are sampled: :mod:`mixscope.transforms`).
        scale: ``(geo, organic)`` volume units per scaled unit.
        kpi_weight: ``(geo,)`` KPI scale over the data window's total KPI, so that
            ``beta * sum(saturated * kpi_weight)`` is the share of the KPI driven.
        adstock, max_lag, saturation: each channel's transform kinds.
        share_prior: ``(organic, 2)`` LogNormal ``(mu, sigma)`` of each contribution share.
    """

    names: tuple[str, ...]
    volume: np.ndarray
    scale: np.ndarray
    kpi_weight: np.ndarray
    adstock: tuple[str, ...]
    max_lag: tuple[int, ...]
    saturation: tuple[str, ...]
    share_prior: np.ndarray

    def channels_of(self, kind: str) -> tuple[int, ...]:
        """Indices of the organic channels using transform ``kind``."""
        return tuple(i for i in range(len(self.names)) if kind in (self.adstock[i], self.saturation[i]))


def organic_inputs(dataset: Dataset, spec: RunSpec, kpi_scale: np.ndarray) -> OrganicInputs | None:
    """The organic arrays of ``dataset``, or ``None`` when the spec has no organic media."""
    if not spec.organic:
        return None
    volume = np.asarray(dataset.organic, dtype=float)
    positive = np.where(volume > 0, volume, np.nan)
    with np.errstate(all="ignore"):
        scale = np.nanmedian(positive, axis=1) if positive.size else np.ones(volume.shape[::2])
    # A geo where a channel is always zero: any positive scale will do.
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    default = PriorSpec(DEFAULT_SHARE_MEAN, DEFAULT_SHARE_SD).lognormal_params()
    return OrganicInputs(
        names=spec.organic_names,
        volume=np.moveaxis(volume / scale[:, None, :], -1, 0).astype(np.float32),
        scale=scale,
        kpi_weight=(kpi_scale / float(dataset.kpi.sum())).astype(np.float32),
        adstock=tuple(organic.adstock for organic in spec.organic),
        max_lag=tuple(organic.max_lag for organic in spec.organic),
        saturation=tuple(organic.saturation for organic in spec.organic),
        share_prior=np.array(
            [organic.contribution_prior.lognormal_params() if organic.contribution_prior else default
             for organic in spec.organic], dtype=np.float32,
        ).reshape(-1, 2),
    )


def sample_organic(organic: OrganicInputs) -> dict[str, Array]:
    """Sample the organic sites (transforms, share) and derive ``organic_beta`` from the share."""
    params = sample_transforms(
        len(organic.names), organic.channels_of,
        lambda kind: [organic.max_lag[i] for i in organic.channels_of(kind)], organic_site,
    )
    share = numpyro.sample(SHARE_SITE, dist.LogNormal(organic.share_prior[:, 0], organic.share_prior[:, 1]))
    saturated = saturated_organic(params, organic)
    share_per_beta = (saturated * organic.kpi_weight[None, :, None]).sum(axis=(1, 2))
    params[BETA_SITE] = numpyro.deterministic(BETA_SITE, share / share_per_beta)
    # Kept for organic_contribution, so the model's baseline does not transform the volume twice.
    params[_SATURATED] = saturated
    return params


def saturated_organic(params: dict[str, Any], organic: OrganicInputs) -> Array:
    """``(organic, geo, time)`` adstocked, saturated organic volume in ``[0, 1)``."""
    columns = []
    for index in range(len(organic.names)):
        adstock = ADSTOCK[organic.adstock[index]]
        saturation = SATURATION[organic.saturation[index]]
        values = [params[organic_site(ADSTOCK_DECAY.site)][index : index + 1]]
        values += _own_values(params, organic, adstock, index)
        carried = adstock.apply_jax(organic.volume[index : index + 1], values, organic.max_lag[index], 0)
        columns.append(saturation.apply_jax(carried, _own_values(params, organic, saturation, index), 0))
    return jnp.concatenate(columns, axis=0)


def _own_values(params: dict[str, Any], organic: OrganicInputs, kind, index: int) -> list[Array]:
    # A kind's organic sites run over the organic channels using it, in order.
    position = organic.channels_of(kind.name).index(index)
    return [params[organic_site(parameter.site)][position : position + 1] for parameter in kind.parameters]


def organic_contribution(params: dict[str, Any], organic: OrganicInputs) -> Array:
    """``(organic, geo, time)`` organic contribution in scaled KPI units."""
    saturated = params[_SATURATED] if _SATURATED in params else saturated_organic(params, organic)
    return saturated * params[BETA_SITE][:, None, None]


def organic_dims() -> dict[str, list[str]]:
    """ArviZ dims of the organic sites: one ``organic`` axis or one per transform kind."""
    dims = {site: [ORGANIC_DIM] for site in (organic_site(ADSTOCK_DECAY.site), SHARE_SITE, BETA_SITE)}
    for kind in kinds():
        for parameter in kind.parameters:
            dims[organic_site(parameter.sampled_site)] = dims[organic_site(parameter.site)] = [
                f"organic_{kind.channel_dim}"
            ]
    return dims


def organic_coords(organic: OrganicInputs | None) -> dict[str, list[str]]:
    """ArviZ coordinates for :func:`organic_dims` (none without organic media)."""
    if organic is None:
        return {}
    coords = {ORGANIC_DIM: list(organic.names)}
    for kind in kinds():
        coords[f"organic_{kind.channel_dim}"] = [organic.names[i] for i in organic.channels_of(kind.name)]
    return coords
