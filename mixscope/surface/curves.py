"""Per-draw response of the outcome to scaling each channel's spend in a window (JAX).

This is the only part of the surface that runs the model; everything stored is
derived from :func:`plan_response`. It uses the model's own adstock, saturation
and contribution functions (:mod:`mixscope.model.mmm`), so the surface has
exactly the model's definition of how media becomes outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from mixscope.model.evaluate import draw_chunks
from mixscope.model.inputs import ModelInputs
from mixscope.model.mmm import ModelConfig, adstock, baseline, media_contribution, saturate
from mixscope.model.reach_frequency import frequency_weighted_last

MAX_ELEMENTS = 1 << 22  # floats per intermediate array in one evaluation step


@dataclass(frozen=True)
class Window:
    """Reference periods ``[start, stop)`` as indices into the data's time axis."""

    start: int
    stop: int


@dataclass(frozen=True, eq=False)
class PlanResponse:
    """Model output for media plans, per draw, in business units.

    Attributes:
        incremental_kpi: ``(draw, plan, channel)`` KPI caused by the window's spend of
            each channel under the plan (vs. none), carryover past the window included.
        incremental_revenue: same valued in revenue (equal to KPI for revenue KPIs).
        window_kpi: ``(draw, plan)`` KPI from all media inside the window, including
            carryover from spend before it (what the data window actually shows).
        baseline_kpi: ``(draw,)`` KPI in the window without any paid media.
        baseline_revenue: ``(draw,)`` the same valued in revenue.
        carryover_in_kpi: ``(draw,)`` KPI in the window from spend before it.
    """

    incremental_kpi: np.ndarray
    incremental_revenue: np.ndarray
    window_kpi: np.ndarray
    baseline_kpi: np.ndarray
    baseline_revenue: np.ndarray
    carryover_in_kpi: np.ndarray


def plan_response(
    draws: Mapping[str, np.ndarray],
    inputs: ModelInputs,
    config: ModelConfig,
    kpi_scale: np.ndarray,
    window: Window,
    multipliers: np.ndarray,
    chunk_size: int = 64,
    on_chunk: Callable[[int], None] | None = None,
) -> PlanResponse:
    """Evaluate every draw under each plan ``multipliers[p]`` (``(plan, channel)``).

    A plan scales the reference window's media of each channel by its multiplier,
    keeping the weekly pattern; media outside the window stays as observed. A
    reach & frequency channel's media is its reach: a plan scales it at the
    historical frequency (:mod:`mixscope.model.reach_frequency`).
    """
    # Periods before the window are unaffected by its media (adstock is causal), so
    # evaluate media only from ``max_lag`` periods before it: enough history for
    # the carryover into the window, and far less work on long data.
    first = max(0, window.start - inputs.tail)
    n_total = inputs.media.shape[1] - first
    time_index = np.arange(first, inputs.media.shape[1])
    in_window = ((time_index >= window.start) & (time_index < window.stop)).astype(np.float32)
    from_window = (time_index >= window.start).astype(np.float32)
    kpi_weight = np.broadcast_to(kpi_scale[:, None], (kpi_scale.size, n_total)).astype(np.float32)
    media = jnp.asarray(inputs.media[:, first:])
    frequency = None if inputs.frequency is None else jnp.asarray(inputs.frequency[:, first:])
    in_window_j = jnp.asarray(in_window)[None, :, None]
    after_kpi = jnp.asarray(kpi_weight * from_window[None, :])
    after_revenue = jnp.asarray(inputs.outcome_weight[:, first:] * from_window[None, :])
    window_kpi_weight = jnp.asarray(kpi_weight * in_window[None, :])
    base_window = np.zeros(inputs.n_times, dtype=np.float32)
    base_window[window.start : window.stop] = 1.0
    base_kpi_weight = jnp.asarray(kpi_scale[:, None] * base_window[None, :])
    base_revenue_weight = jnp.asarray(inputs.outcome_weight[:, : inputs.n_times] * base_window[None, :])
    n_geos, _, n_channels = inputs.media.shape
    n_plans = multipliers.shape[0]
    # Plans are evaluated in blocks with vmap (large batches vectorise well) and
    # blocks in sequence with lax.map, so memory stays at about MAX_ELEMENTS floats
    # per intermediate whatever the number of plans, draws or geos.
    per_plan = n_geos * n_total * n_channels
    block = int(max(1, min(n_plans, MAX_ELEMENTS // max(1, chunk_size * per_plan))))
    n_blocks = -(-n_plans // block)
    padded = np.concatenate([multipliers, np.ones((n_blocks * block - n_plans, n_channels))])
    plans = jnp.asarray(padded.reshape(n_blocks, block, n_channels), dtype=jnp.float32)

    def one_draw(params):
        # Adstock is linear: carry the window's media and the rest over once per
        # draw, then each plan only scales and saturates. Same functions as the
        # model (mmm.adstock → mmm.saturate → mmm.media_contribution), about 4x
        # less work per plan than running the whole chain again.
        weighted = frequency_weighted_last(params, media, frequency, config.rf_channels)
        carried_window = adstock(params, weighted * in_window_j, config)
        carried_rest = adstock(params, weighted * (1.0 - in_window_j), config)

        def contribution(multiplier):
            carried = carried_rest + carried_window * multiplier[None, None, :]
            return media_contribution(params, saturate(params, carried, config))

        without = contribution(jnp.zeros(n_channels))

        def one_plan(multiplier):
            with_plan = contribution(multiplier)
            lift = with_plan - without
            # Multiply-and-sum, not einsum: tiny batched contractions become slow
            # dot calls on CPU, while a fused reduction is several times faster here.
            return (
                (lift * after_kpi[..., None]).sum(axis=(0, 1)),
                (lift * after_revenue[..., None]).sum(axis=(0, 1)),
                (with_plan * window_kpi_weight[..., None]).sum(),
            )

        kpi, revenue, window_total = jax.lax.map(jax.vmap(one_plan), plans)
        base = baseline(params, inputs)
        return {
            "incremental_kpi": kpi.reshape(-1, n_channels)[:n_plans],
            "incremental_revenue": revenue.reshape(-1, n_channels)[:n_plans],
            "window_kpi": window_total.reshape(-1)[:n_plans],
            "baseline_kpi": jnp.sum(base * base_kpi_weight),
            "baseline_revenue": jnp.sum(base * base_revenue_weight),
            "carryover_in_kpi": jnp.einsum("gtc,gt->", without, window_kpi_weight),
        }

    run = jax.jit(jax.vmap(one_draw))
    pieces: dict[str, list[np.ndarray]] = {}
    for chunk, kept in draw_chunks(draws, chunk_size):
        for name, value in jax.device_get(run(chunk)).items():
            pieces.setdefault(name, []).append(np.asarray(value, dtype=np.float64)[:kept])
        if on_chunk is not None:
            on_chunk(kept)
    return PlanResponse(**{name: np.concatenate(parts) for name, parts in pieces.items()})
