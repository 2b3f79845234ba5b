"""What the optimiser maximises, with analytic gradients from the stored curves."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mixscope.plan.constraints import PlanError
from mixscope.surface.runtime import Surface
from mixscope.surface.scoring import bracket

KINDS = ("mean", "quantile", "mean-sd", "prob-beats-current", "net-revenue")


@dataclass(frozen=True)
class Objective:
    """What a plan is chosen for.

    ``mean`` outcome; a low ``quantile`` (parameter q) of the gain over the
    status quo; ``mean-sd``: expected outcome minus parameter × the sd of the
    gain over the status quo (the current mix at the plan's budget), so a move
    is worth making only where the posterior agrees on it; ``prob-beats-current``;
    ``net-revenue`` (expected incremental revenue minus spend, used when the
    total may vary). The gain's uncertainty, not the outcome's, is what a
    decision risks: the baseline's uncertainty is shared by every plan.
    """

    kind: str = "mean"
    parameter: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Objective:
        """``mean``, ``quantile:0.1``, ``mean-sd:1``, ``prob-beats-current`` or ``net-revenue``."""
        kind, _, value = text.strip().partition(":")
        if kind not in KINDS:
            raise PlanError(f"Unknown objective '{text}'. Use one of: mean, quantile:Q, mean-sd:L, "
                            "prob-beats-current, net-revenue.")
        defaults = {"quantile": 0.1, "mean-sd": 1.0}
        try:
            parameter = float(value) if value else defaults.get(kind, 0.0)
        except ValueError:
            raise PlanError(f"Objective '{text}': '{value}' is not a number.") from None
        if not math.isfinite(parameter):
            raise PlanError(f"Objective '{text}': the parameter must be a finite number, got '{value}'.")
        if kind == "quantile" and not 0 < parameter < 1:
            raise PlanError(f"Objective quantile must be between 0 and 1, got {parameter}.")
        if kind == "mean-sd" and parameter < 0:
            raise PlanError(f"Objective mean-sd needs a risk weight of zero or more, got {parameter}.")
        return cls(kind, parameter)

    @property
    def label(self) -> str:
        return {
            "mean": "expected outcome",
            "quantile": f"{self.parameter:.0%} quantile of the gain over the status quo (pessimistic case)",
            "mean-sd": f"expected outcome − {self.parameter:g} × sd of the gain over the status quo",
            "prob-beats-current": "probability of beating the current plan",
            "net-revenue": "expected incremental revenue minus spend",
        }[self.kind]


class Scorer:
    """Objective value and gradient at a spend vector, from the surface's per-draw curves.

    ``reference`` is the status quo the risk-aware objectives measure the gain
    against (``(channel,)`` spend; the historical plan by default).
    """

    def __init__(self, surface: Surface, objective: Objective, reference: np.ndarray | None = None) -> None:
        self.surface = surface
        self.objective = objective
        curves = surface.curves
        self._mean_kpi = curves.kpi.mean(axis=0)  # (channel, point)
        self._mean_revenue = curves.revenue.mean(axis=0)
        reference = surface.historical_plan() if reference is None else reference
        self._reference = surface.outcome_draws(reference[None, :])[:, 0]

    def __call__(self, spend: np.ndarray) -> tuple[float, np.ndarray]:
        kind, parameter = self.objective.kind, self.objective.parameter
        if kind in ("mean", "net-revenue"):
            revenue = kind == "net-revenue"
            table = self._mean_revenue if revenue else self._mean_kpi
            value, slope = _interpolate_with_slope(self.surface.curves.spend_grid, table, spend)
            if revenue:
                return float(value.sum() - spend.sum()), slope - 1.0
            return float(value.sum()), slope
        curves = self.surface.curves
        draws = self.surface.baseline_kpi + curves.incremental(spend).sum(axis=-1)  # (draw,)
        slopes = curves.slope(spend, revenue=False)  # (draw, channel)
        gap = draws - self._reference
        if kind == "mean-sd":
            # At the status quo the gap is zero in every draw; the tiny floor keeps the
            # gradient finite there, where the penalty's slope is that of |gain|.
            sd = gap.std() + 1e-9 * (abs(self._reference.mean()) + 1.0)
            covariance = ((gap - gap.mean())[:, None] * (slopes - slopes.mean(axis=0))).mean(axis=0)
            return float(draws.mean() - parameter * sd), slopes.mean(axis=0) - parameter * covariance / sd
        if kind == "quantile":
            value = float(np.quantile(gap, parameter))
            # Subgradient: the draws around the quantile decide how it moves.
            near = np.argsort(np.abs(gap - value))[: max(5, gap.size // 50)]
            return value, slopes[near].mean(axis=0)
        # prob-beats-current, smoothed so it has a gradient: mean of a logistic of the gap.
        width = gap.std() * 0.1 + 1e-9
        weight = 1.0 / (1.0 + np.exp(-gap / width))
        return float(weight.mean()), ((weight * (1 - weight) / width)[:, None] * slopes).mean(axis=0)


def _interpolate_with_slope(
    grid: np.ndarray, table: np.ndarray, spend: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(channel,)`` values and slopes of piecewise-linear ``(channel, point)`` curves."""
    values, slopes = np.empty(grid.shape[0]), np.empty(grid.shape[0])
    for c in range(grid.shape[0]):
        index, weight = bracket(grid[c], spend[c : c + 1])
        low, high = table[c, index[0]], table[c, index[0] + 1]
        values[c] = low + weight[0] * (high - low)
        slopes[c] = (high - low) / (grid[c, index[0] + 1] - grid[c, index[0]])
    return values, slopes
