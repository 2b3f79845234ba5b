"""Per-draw response of the outcome to organic media and treatment levels (at surface build).

Organic media and non-media treatments are part of the baseline, additive to paid
media, so a what-if scenario on them moves the outcome by, per draw, their effect
at the scenario level less their effect as the reference window had it. That change
is evaluated here once, from the posterior, and stored with the surface
(:data:`mixscope.surface.scenario_inputs.INPUTS_TABLE`); the runtime reads it with
NumPy only (:mod:`mixscope.surface.scenario_inputs`).

- Organic media: the reference window's volume of one channel times a multiple
  (every period alike, the weekly pattern kept), on a grid of multiples from 0 to
  :data:`ORGANIC_MAX_MULTIPLE`; carryover past the window is counted, as it is for
  paid spend. The change is zero at the multiple 1 by construction.
- Treatments: the level held at one value in every period of the window. The effect
  is linear in the level, so two points per draw define it exactly: at the reference
  level and one unit (the column's sd) above.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from mixscope.model.inputs import ModelInputs
from mixscope.model.organic import OrganicInputs
from mixscope.model.organic_summary import scaled_organic_response
from mixscope.model.terms import TermBlock
from mixscope.surface.curves import Window
from mixscope.surface.scenario_inputs import ORGANIC_MAX_MULTIPLE, organic_multiples

ORGANIC_CHUNK = 64  # draws evaluated at once: a geo model's (organic, geo, time) per draw stays small


def input_tables(
    draws: Mapping[str, np.ndarray], inputs: ModelInputs, kpi_scale: np.ndarray, window: Window,
    levels: Mapping[str, np.ndarray],
) -> tuple[pd.DataFrame | None, dict[str, Any]]:
    """The surface's ``inputs`` table and its manifest entry; ``(None, {})`` without organic media
    or treatments (the surface is then exactly the one without them).

    ``levels`` maps each treatment to its ``(geo, time)`` column values (for the observed range).
    """
    treatments = [block for block in inputs.terms if block.kind == "treatment"]
    if inputs.organic is None and not treatments:
        return None, {}
    weights = _window_weights(inputs, kpi_scale, window)
    frames, manifest = [], {}
    if inputs.organic is not None:
        frame, manifest["organic"] = _organic(draws, inputs.organic, weights, window)
        frames.append(frame)
    for block in treatments:
        frame, manifest["treatments"] = _treatments(draws, block, weights, window, levels)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True), manifest


def _window_weights(inputs: ModelInputs, kpi_scale: np.ndarray, window: Window) -> np.ndarray:
    """``(2, geo, time + tail)``: KPI and revenue per scaled KPI unit from the window's start on.

    The revenue weights past the data repeat its last period's, as the paid media's do.
    """
    n_times = inputs.n_times
    lag = max(inputs.organic.max_lag) if inputs.organic is not None else 0
    revenue = inputs.outcome_weight[:, :n_times]
    revenue = np.concatenate([revenue, np.repeat(revenue[:, -1:], lag, axis=1)], axis=1)
    kpi = np.broadcast_to(kpi_scale[:, None], revenue.shape)
    after = (np.arange(n_times + lag) >= window.start).astype(float)
    return np.stack([kpi, revenue]) * after


def _organic(
    draws: Mapping[str, np.ndarray], organic: OrganicInputs, weights: np.ndarray, window: Window,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    n_organic, n_geos, n_times = organic.volume.shape
    lag = weights.shape[-1] - n_times
    padded = replace(organic, volume=np.concatenate(
        [organic.volume, np.zeros((n_organic, n_geos, lag), dtype=organic.volume.dtype)], axis=-1))
    scaled = np.zeros(n_times + lag)
    scaled[window.start : window.stop] = 1.0
    multiples = organic_multiples()
    response = scaled_organic_response(draws, padded, weights, scaled, multiples, ORGANIC_CHUNK)
    # (draw, multiple, organic, weight): the change from the window as it was (the multiple 1).
    at_one = int(np.flatnonzero(multiples == 1.0)[0])
    change = response - response[:, at_one : at_one + 1]
    window_volume = (organic.volume[:, :, window.start : window.stop]
                     * organic.scale.T[:, :, None]).sum(axis=(1, 2))
    frame = _long_table("organic", organic.names, multiples, change)
    manifest = {
        name: {"max_multiple": ORGANIC_MAX_MULTIPLE, "points": int(multiples.size),
               "window_volume": float(window_volume[k])}
        for k, name in enumerate(organic.names)
    }
    return frame, manifest


def _treatments(
    draws: Mapping[str, np.ndarray], block: TermBlock, weights: np.ndarray, window: Window,
    levels: Mapping[str, np.ndarray],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per draw, the change at the reference level and one unit above it, held in every window period."""
    in_window = weights[:, :, window.start : window.stop]  # (weight, geo, period)
    design = np.broadcast_to(block.design, (in_window.shape[1], *block.design.shape[1:]))
    design = design[:, window.start : window.stop].astype(np.float64)  # (geo, period, term)
    historical = np.einsum("kgt,gtj->jk", in_window, design)  # design units summed, per weight
    per_unit = in_window.sum(axis=(1, 2))  # (weight,): one design unit held in every period
    coefficient = np.asarray(draws[block.site], dtype=np.float64)  # (draw, term)
    at_reference = -coefficient[:, :, None] * historical[None]  # (draw, term, weight)
    one_up = at_reference + coefficient[:, :, None] * per_unit[None, None, :]
    change = np.stack([at_reference, one_up], axis=1)  # (draw, point, term, weight)
    frames, manifest = [], {}
    for j, name in enumerate(block.names):
        reference, unit = float(block.reference[j]), float(block.unit[j])
        frames.append(_long_table("treatment", (name,), np.array([reference, reference + unit]),
                                  change[:, :, j : j + 1]))
        observed = levels[name]
        manifest[name] = {
            "reference_level": reference,
            "unit": unit,
            "window_mean": float(observed[:, window.start : window.stop].mean()),
            "observed_min": float(observed.min()),
            "observed_max": float(observed.max()),
        }
    return pd.concat(frames, ignore_index=True), manifest


def _long_table(kind: str, names: tuple[str, ...], levels: np.ndarray, change: np.ndarray) -> pd.DataFrame:
    """``change`` ``(draw, point, name, weight)`` as rows ordered by (name, draw, point)."""
    n_draws, n_points, n_names, _ = change.shape
    ordered = change.transpose(2, 0, 1, 3)  # (name, draw, point, weight)
    return pd.DataFrame({
        "kind": kind,
        "name": np.repeat(np.array(names, dtype=object), n_draws * n_points),
        "draw": np.tile(np.repeat(np.arange(n_draws, dtype=np.int32), n_points), n_names),
        "point": np.tile(np.arange(n_points, dtype=np.int32), n_names * n_draws),
        "level": np.tile(levels, n_names * n_draws),
        "kpi": ordered[..., 0].ravel(),
        "revenue": ordered[..., 1].ravel(),
    })
