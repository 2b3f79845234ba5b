"""Evaluate the posterior draw by draw: decomposition, incremental outcome, what-ifs.

Evaluation is vectorised over draws with ``jax.vmap`` and chunked, so memory
stays bounded on large posteriors (geo × time × channel × draws).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from mixscope.metrics import MROI_STEP
from mixscope.model.inputs import LiftInputs, ModelInputs
from mixscope.model.mmm import ModelConfig, expected_kpi, implied_lift
from mixscope.model.organic import ORGANIC_SITES, organic_contribution
from mixscope.model.reach_frequency import RF_SITES
from mixscope.model.terms import TERM_SITES
from mixscope.transforms.registry import transform_sites

# Sites a draw needs for evaluation; offsets and hyper-parameters are folded in.
EVALUATION_SITES = (
    "intercept", "trend", "seasonality", "control_coef", *transform_sites(), "beta_media",
    *TERM_SITES.values(), *ORGANIC_SITES, *RF_SITES,
)


@dataclass(frozen=True, eq=False)
class PosteriorEvaluation:
    """Per-draw quantities in business units (KPI units unless stated).

    Attributes:
        expected: ``(draw, geo, time)`` expected KPI.
        baseline: ``(draw, geo, time)`` KPI without any paid media.
        contribution_mean: ``(geo, time, channel)`` posterior mean media contribution.
        contribution: ``(draw, channel)`` in-window KPI from each channel.
        incremental_outcome: ``(draw, channel)`` revenue (or KPI when no revenue
            mapping) from each channel's spend, carryover past the window included.
        incremental_outcome_step: same after every channel's media rises by ``MROI_STEP``.
        incremental_kpi: ``(draw, channel)`` KPI units from each channel, carryover included.
        organic_contribution: ``(draw, organic)`` in-window KPI from each organic
            channel (part of ``baseline``), ``None`` without organic media.
    """

    expected: np.ndarray
    baseline: np.ndarray
    contribution_mean: np.ndarray
    contribution: np.ndarray
    incremental_outcome: np.ndarray
    incremental_outcome_step: np.ndarray
    incremental_kpi: np.ndarray
    organic_contribution: np.ndarray | None = None


def flatten_draws(posterior: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``(chain, draw, ...)`` site arrays → ``(chain * draw, ...)`` for evaluation sites."""
    out = {}
    for name in EVALUATION_SITES:
        if name in posterior:
            value = np.asarray(posterior[name])
            out[name] = value.reshape((-1,) + value.shape[2:])
    return out


def draw_chunks(
    draws: Mapping[str, np.ndarray], chunk_size: int
) -> Iterator[tuple[dict[str, jax.Array], int]]:
    """Flattened draws in chunks of one shape: ``(chunk, kept)`` pairs.

    Every chunk has ``min(chunk_size, n_draws)`` rows, the last padded with the
    final draw, so a jitted evaluation compiles once (a second compile for the
    short last chunk took ~40% of a national ``evaluate_posterior``); keep the
    first ``kept`` rows of what a chunk gives.
    """
    n_draws = next(iter(draws.values())).shape[0]
    size = min(chunk_size, n_draws)
    for start in range(0, n_draws, size):
        rows = np.minimum(np.arange(start, start + size), n_draws - 1)
        yield {name: jnp.asarray(value[rows]) for name, value in draws.items()}, min(size, n_draws - start)


def evaluate_posterior(
    draws: Mapping[str, np.ndarray],
    inputs: ModelInputs,
    config: ModelConfig,
    kpi_scale: np.ndarray,
    chunk_size: int = 256,
) -> PosteriorEvaluation:
    """Evaluate every draw on the observed media and on media raised by ``MROI_STEP``."""

    def one_draw(params, media_step):
        parts = expected_kpi(params, inputs, config)
        stepped = expected_kpi(params, inputs, config, media=media_step)["media"]
        scale = kpi_scale[:, None]
        media = parts["media"]
        window = media[:, : inputs.n_times]
        return {
            "expected": (parts["baseline"] + window.sum(-1)) * scale,
            "baseline": parts["baseline"] * scale,
            "window": window * scale[..., None],
            "contribution": jnp.einsum("gtc,g->c", window, kpi_scale),
            "incremental": jnp.einsum("gtc,gt->c", media, inputs.outcome_weight),
            "incremental_step": jnp.einsum("gtc,gt->c", stepped, inputs.outcome_weight),
            "incremental_kpi": jnp.einsum("gtc,g->c", media, kpi_scale),
        } | ({} if inputs.organic is None else {
            "organic": jnp.einsum("ogt,g->o", organic_contribution(params, inputs.organic), kpi_scale),
        })

    run = jax.jit(jax.vmap(one_draw, in_axes=(0, None)))
    media_step = jnp.asarray(inputs.media * (1.0 + MROI_STEP))
    n_draws = next(iter(draws.values())).shape[0]
    pieces: dict[str, list[np.ndarray]] = {}
    window_sum = None
    for chunk, kept in draw_chunks(draws, chunk_size):
        result = {k: v[:kept] for k, v in jax.device_get(run(chunk, media_step)).items()}
        window = result.pop("window")
        partial = window.sum(axis=0, dtype=np.float64)
        window_sum = partial if window_sum is None else window_sum + partial
        for key, value in result.items():
            pieces.setdefault(key, []).append(np.asarray(value))
    joined = {key: np.concatenate(value) for key, value in pieces.items()}
    return PosteriorEvaluation(
        expected=joined["expected"],
        baseline=joined["baseline"],
        contribution_mean=window_sum / n_draws,
        contribution=joined["contribution"],
        incremental_outcome=joined["incremental"],
        incremental_outcome_step=joined["incremental_step"],
        incremental_kpi=joined["incremental_kpi"],
        organic_contribution=joined.get("organic"),
    )


def posterior_lift(
    draws: Mapping[str, np.ndarray], lift: LiftInputs, config: ModelConfig, chunk_size: int = 512
) -> np.ndarray:
    """``(draw, experiment)`` model-implied lift in KPI units for flattened draws."""
    run = jax.jit(jax.vmap(lambda params: implied_lift(params, lift, config)))
    pieces = [np.asarray(run(chunk), dtype=float)[:kept] for chunk, kept in draw_chunks(draws, chunk_size)]
    return np.concatenate(pieces) * lift.unit
