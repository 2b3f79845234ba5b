"""The baseline split into named components: trend, seasonality and each control.

The model's baseline (:func:`mixscope.model.mmm.baseline`) is a sum: intercept +
trend + seasonality + controls, each linear in its parameters, so the posterior
mean of each piece is the piece at the parameters' posterior mean, and the
pieces add up to the baseline the run's predictions store. ``trend`` carries the
intercept, as a decomposition's trend usually does (the level demand moves
around), and each control's piece is relative to that control's average (the
model reads controls z-scored).

:data:`COMPONENTS` lists the pieces in the order charts stack them; a new kind of
baseline term (holidays and events) is one more entry there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from mixscope.run import Run

SUM_TOLERANCE = 1e-4  # of the baseline's scale: float32 draws summed in another order still agree


@dataclass(frozen=True)
class BaselineComponent:
    """One named piece of the baseline: ``(geo, time)`` KPI units, posterior mean."""

    name: str
    values: np.ndarray


Means = Mapping[str, np.ndarray]  # posterior mean per site
# (posterior means, the model's inputs, the run) → (name, (geo, time) scaled units) pairs
Piece = Callable[[Means, Any, "Run"], list[tuple[str, np.ndarray]]]


def _trend(means: Means, inputs: Any, run: Run) -> list[tuple[str, np.ndarray]]:
    level = np.asarray(means["intercept"], dtype=np.float64)[:, None] + np.zeros(inputs.n_times)
    # Treatments are reported against their reference level but fitted centred on their mean level:
    # the difference is a constant of the intercept (mixscope.model.terms.TermBlock.model_design).
    for block in inputs.terms:
        if block.centre is not None and block.site in means:
            level = level - float(block.centre.astype(np.float64) @ means[block.site])
    if inputs.trend_basis.shape[1] and "trend" in means:
        level = level + (inputs.trend_basis.astype(np.float64) @ means["trend"])[None, :]
    return [("trend", level)]


def _seasonality(means: Means, inputs: Any, run: Run) -> list[tuple[str, np.ndarray]]:
    if not inputs.season_basis.shape[1] or "seasonality" not in means:
        return []
    shared = inputs.season_basis.astype(np.float64) @ means["seasonality"]
    return [("seasonality", np.broadcast_to(shared, inputs.kpi.shape))]  # (geo, time): shared by geos


def _controls(means: Means, inputs: Any, run: Run) -> list[tuple[str, np.ndarray]]:
    if not inputs.controls.shape[-1] or "control_coef" not in means:
        return []
    coefficients = np.asarray(means["control_coef"], dtype=np.float64)
    return [(f"control: {name}", inputs.controls[..., k].astype(np.float64) * coefficients[k])
            for k, name in enumerate(run.dataset.control_names)]


COMPONENTS: tuple[Piece, ...] = (_trend, _seasonality, _controls)
SITES = ("intercept", "trend", "seasonality", "control_coef")


def non_media_terms(predictions: Any) -> dict[str, str]:
    """Prediction columns of holidays, events and treatments (`mixscope.model.terms`) and organic media
    (`mixscope.model.organic`) → their labels: parts of the model's baseline shown as their own terms."""
    return {
        column: f"{kind}: {column[len(kind) + 1:]}"
        for column in predictions.columns for kind in ("holiday", "event", "treatment", "organic")
        if column.startswith(f"{kind}_")
    }


def baseline_components(run: Run) -> tuple[BaselineComponent, ...]:
    """The run's baseline as named components in KPI units, or ``()`` where they do not add up to the
    baseline its predictions store (a run whose engine builds its baseline otherwise)."""
    from mixscope.engines import evaluation_inputs

    posterior = run.idata.posterior
    if "intercept" not in posterior:
        return ()
    scaling, inputs, _ = evaluation_inputs(run)
    sites = (*SITES, *(block.site for block in inputs.terms))
    means = {name: posterior[name].mean(("chain", "draw")).to_numpy().astype(np.float64)
             for name in sites if name in posterior}
    pieces = [piece for make in COMPONENTS for piece in make(means, inputs, run)]
    scale = np.asarray(scaling.kpi_scale, dtype=np.float64)[:, None]
    components = tuple(BaselineComponent(name, np.asarray(values) * scale) for name, values in pieces)
    predictions = run.predictions
    # Holidays, events, treatments and organic media are their own terms, not baseline components.
    terms = list(non_media_terms(predictions))
    stored = (predictions["baseline_mean"] - predictions[terms].sum(axis=1)).to_numpy(dtype=np.float64)
    total = sum(component.values.ravel() for component in components)
    if np.shape(total) != stored.shape or \
            np.max(np.abs(total - stored)) > SUM_TOLERANCE * max(float(np.max(np.abs(stored))), 1e-12):
        return ()
    return components
