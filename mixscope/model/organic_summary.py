"""Organic media in ``summary.json``: its contribution, its share of the KPI, its response curve.

Organic media has no spend, so its curve is over volume, not money: for each
multiplier of the historical volume (every period scaled alike), the KPI the
channel would have driven over the data window, per posterior draw. It is what
the summary reports (``organic_curves``); the surface's what-if inputs read the same
function over the reference window (:mod:`mixscope.surface.input_curves`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import jax
import numpy as np

from mixscope import metrics
from mixscope.model.evaluate import PosteriorEvaluation, draw_chunks
from mixscope.model.organic import ORGANIC_SITES, OrganicInputs, organic_contribution

CURVE_MULTIPLIERS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


def organic_entries(
    organic: OrganicInputs, draws: Mapping[str, np.ndarray], evaluation: PosteriorEvaluation,
    kpi_scale: np.ndarray, volume: np.ndarray,
) -> dict[str, Any]:
    """Every ``summary.json`` entry on organic media; ``volume`` is the data's ``(geo, time, organic)``."""
    expected_total = evaluation.expected.sum(axis=(1, 2))
    _, baseline_share = metrics.contribution_shares(evaluation.contribution, expected_total)
    return {
        **organic_summary(organic, evaluation.organic_contribution, expected_total, baseline_share),
        "organic_curves": organic_curves(draws, organic, kpi_scale, volume.sum(axis=(0, 1))),
    }


def organic_response(
    draws: Mapping[str, np.ndarray], organic: OrganicInputs, kpi_scale: np.ndarray,
    multipliers: Sequence[float] = CURVE_MULTIPLIERS, chunk_size: int = 256,
) -> np.ndarray:
    """``(draw, multiplier, organic)`` window KPI driven by each organic channel at each volume multiple."""
    weight = np.broadcast_to(kpi_scale[None, :, None], (1, *organic.volume.shape[1:]))
    scaled = np.ones(organic.volume.shape[-1])
    return scaled_organic_response(draws, organic, weight, scaled, multipliers, chunk_size)[..., 0]


def scaled_organic_response(
    draws: Mapping[str, np.ndarray], organic: OrganicInputs, weights: np.ndarray, scaled: np.ndarray,
    multipliers: Sequence[float], chunk_size: int = 256,
) -> np.ndarray:
    """``(draw, multiplier, organic, weight)``: each organic channel's contribution summed under each
    of ``weights`` (``(weight, geo, time)``, e.g. KPI and revenue per scaled KPI unit), with its volume
    multiplied by each multiple in the periods where ``scaled`` (``(time,)``) is 1 and left as it is
    elsewhere. ``organic.volume`` may run past the data (zero periods) to carry adstock past it.
    """
    sites = {name: value for name, value in draws.items() if name in ORGANIC_SITES}
    weights_j = jax.numpy.asarray(weights, dtype=jax.numpy.float32)
    scaled_j = jax.numpy.asarray(scaled, dtype=jax.numpy.float32)
    steps = jax.numpy.asarray(np.asarray(multipliers, dtype=np.float32))

    def one_draw(params):
        def at(multiplier):
            volume = organic.volume * (1.0 + (multiplier - 1.0) * scaled_j)
            contribution = organic_contribution(params, replace(organic, volume=volume))
            return jax.numpy.einsum("ogt,kgt->ok", contribution, weights_j)

        # One multiple at a time: memory stays at one (organic, geo, time) array per draw.
        return jax.lax.map(at, steps)

    run = jax.jit(jax.vmap(one_draw))
    pieces = [np.asarray(run(chunk), dtype=np.float64)[:kept]
              for chunk, kept in draw_chunks(sites, chunk_size)]
    return np.concatenate(pieces)


def organic_mean_contribution(
    draws: Mapping[str, np.ndarray], organic: OrganicInputs, kpi_scale: np.ndarray, chunk_size: int = 256,
) -> np.ndarray:
    """``(geo, time, organic)`` posterior-mean contribution of each organic channel in KPI units
    (the predictions' ``organic_NAME`` columns: part of the baseline, reported as its own term)."""
    sites = {name: value for name, value in draws.items() if name in ORGANIC_SITES}
    run = jax.jit(jax.vmap(lambda params: organic_contribution(params, organic)))
    total, count = 0.0, 0
    for chunk, kept in draw_chunks(sites, chunk_size):
        total = total + np.asarray(run(chunk), dtype=np.float64)[:kept].sum(axis=0)
        count += kept
    return np.moveaxis(np.asarray(total) / count, 0, -1) * kpi_scale[:, None, None]


def organic_curves(
    draws: Mapping[str, np.ndarray], organic: OrganicInputs, kpi_scale: np.ndarray,
    volume_total: np.ndarray, multipliers: Sequence[float] = CURVE_MULTIPLIERS,
) -> dict[str, Any]:
    """``summary.json["organic_curves"]``: per channel, total volume and KPI driven at each multiple."""
    response = organic_response(draws, organic, kpi_scale, multipliers)
    return {
        name: {
            "multiplier": list(multipliers),
            "volume": [float(m * volume_total[index]) for m in multipliers],
            "contribution": [
                metrics.interval_summary(response[:, step, index]) for step in range(len(multipliers))
            ],
        }
        for index, name in enumerate(organic.names)
    }


def organic_summary(
    organic: OrganicInputs, contribution: np.ndarray, expected_total: np.ndarray, baseline_share: np.ndarray
) -> dict[str, Any]:
    """``summary.json`` entries for organic media, from ``(draw, organic)`` window contributions (KPI).

    The baseline share is returned without organic media in it, so paid shares,
    organic shares and the baseline add up to one.
    """
    shares = contribution / expected_total[:, None]
    names = organic.names
    return {
        "organic": list(names),
        "organic_contribution": metrics.summarize_by_channel(contribution, names),
        "organic_contribution_share": metrics.summarize_by_channel(shares, names),
        "baseline_share": metrics.interval_summary(baseline_share - shares.sum(axis=1)),
        "organic_priors": {
            name: {"share_lognormal_mu": float(mu), "share_lognormal_sigma": float(sigma)}
            for name, (mu, sigma) in zip(names, organic.share_prior, strict=True)
        },
        "organic_note": (
            "Organic media has no spend: it is never in the budget or the plan; the surface holds it at "
            "its historical level unless a what-if sets it (mixscope whatif --organic NAME=+50%)."
        ),
    }
