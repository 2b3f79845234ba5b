"""Score plans against a simulation's true response (how much of the true uplift a plan gets)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mixscope.simulate.history import SimulatedData, true_contribution


def true_surface(simulated: SimulatedData, like: Any) -> Any:
    """A one-draw :class:`~mixscope.surface.Surface` holding the simulation's true response curves.

    ``like`` is a surface fitted on ``simulated``'s data: the truth is laid on
    the same spend grid, reference window and constraints, so the planner can
    find the true optimum and plans can be scored against the truth.
    """
    from mixscope.surface.runtime import Surface
    from mixscope.surface.scoring import ResponseCurves

    truth, spend = simulated.truth, simulated.spend
    curves = like.curves
    periods = int(like.manifest["reference"]["periods"])
    start = spend.shape[1] - periods
    without = spend.copy()
    without[:, start:] = 0.0
    zero = true_contribution(truth, without)[:, start:].sum(axis=(0, 1))
    values = np.empty((1, len(curves.channels), curves.spend_grid.shape[1]))
    for point in range(curves.spend_grid.shape[1]):
        planned = spend.copy()
        planned[:, start:] *= curves.spend_grid[:, point] / curves.reference_spend
        values[0, :, point] = true_contribution(truth, planned)[:, start:].sum(axis=(0, 1)) - zero
    manifest = dict(like.manifest, calibration={"anchor_kpi": 0.0, "anchor_revenue": 0.0})
    true_curves = ResponseCurves(curves.channels, curves.spend_grid, values, values, curves.reference_spend)
    return Surface(true_curves, np.zeros(1), np.zeros(1), manifest)


_TRUTH_STARTS = 32  # optimiser starts for the true optimum (true curves can be S-shaped)


def true_value(truth_surface: Any, plan: np.ndarray) -> float:
    """True incremental outcome of a ``(channel,)`` spend plan over the reference window."""
    return float(truth_surface.curves.incremental(plan)[0].sum())


def true_optimum_value(truth_surface: Any, constraints: Any, *plans: np.ndarray) -> float:
    """The best true outcome under ``constraints``: the truth optimised from many starts.

    The true curves can be S-shaped (Hill slope > 1), so one local optimum is not
    enough; any of ``plans`` found to do better raises the value, so a share of
    the achievable uplift never exceeds 1 because of a local optimum. The
    truth's optimum never uses the model's trust region.
    """
    from dataclasses import replace

    from mixscope.plan import optimize

    free = replace(constraints, trust_region=False)
    best = optimize(truth_surface, free, starts=_TRUTH_STARTS, near_optimal_tolerance=None).allocation
    return max(true_value(truth_surface, plan) for plan in (best, *plans))


def recovered_uplift(surface: Any, truth_surface: Any, constraints: Any) -> tuple[float, float]:
    """Share of the truly achievable uplift that the model's recommendation gets, and that uplift.

    Both plans are optimised under the same ``constraints`` (a
    :class:`mixscope.plan.Constraints`) and scored with the true response.
    """
    from mixscope.plan import optimize

    current = true_value(truth_surface, surface.historical_plan())
    recommended = optimize(surface, constraints, near_optimal_tolerance=None).allocation
    achievable = true_optimum_value(truth_surface, constraints, recommended) - current
    return (true_value(truth_surface, recommended) - current) / achievable, achievable
