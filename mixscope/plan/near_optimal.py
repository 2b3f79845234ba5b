"""The near-optimal set: how far each channel can move while staying within a tolerance of the best.

Tolerance is relative to the best plan's expected *incremental* outcome (what
media adds), not to the total with the baseline, which would make almost
anything look near-optimal.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize

from mixscope.plan.constraints import Bounds, project
from mixscope.plan.objective import Objective, Scorer
from mixscope.surface.runtime import Surface


@dataclass(frozen=True, eq=False)
class NearOptimal:
    """Per-channel spend ranges over plans within ``tolerance`` of the best, and diverse examples.

    Attributes:
        spend_range: ``(channel, 2)`` lowest and highest spend among near-optimal plans.
        share_range: ``(channel, 2)`` the same as shares of the plan's total.
        alternatives: ``(plan, channel)`` diverse near-optimal allocations (best first).
        alternative_values: ``(plan,)`` their expected incremental outcome.
    """

    channels: tuple[str, ...]
    tolerance: float
    best_value: float
    spend_range: np.ndarray
    share_range: np.ndarray
    alternatives: np.ndarray
    alternative_values: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        ranges = {
            name: {
                "spend_min": float(self.spend_range[c, 0]), "spend_max": float(self.spend_range[c, 1]),
                "share_min": float(self.share_range[c, 0]), "share_max": float(self.share_range[c, 1]),
            }
            for c, name in enumerate(self.channels)
        }
        alternatives = [
            {
                "allocation": dict(zip(self.channels, map(float, plan), strict=True)),
                "expected_incremental_outcome": float(value),
                "shortfall_vs_best": float(1 - value / self.best_value) if self.best_value else 0.0,
            }
            for plan, value in zip(self.alternatives, self.alternative_values, strict=True)
        ]
        return {
            "near_optimal_tolerance": self.tolerance,
            "near_optimal_ranges": ranges,
            "near_optimal_alternatives": alternatives,
        }

    def sentences(self) -> list[str]:
        """Plain statements such as "any tv share between 38% and 47% is within 1% of the best"."""
        return [
            f"Any {name} share between {low:.0%} and {high:.0%} is within {self.tolerance:.0%} of the best."
            for name, (low, high) in zip(self.channels, self.share_range, strict=True)
        ]


def near_optimal(
    surface: Surface, bounds: Bounds, best: np.ndarray, tolerance: float = 0.01, count: int = 5
) -> NearOptimal:
    """Push each channel to its lowest and highest spend keeping the expected incremental
    outcome within ``tolerance`` of ``best`` (2 × channels small SLSQP problems)."""
    scorer = Scorer(surface, Objective("mean"))
    best_value = scorer(best)[0]
    threshold = (1.0 - tolerance) * best_value
    scale = float(best.sum()) or 1.0
    lower, upper = bounds.lower / scale, bounds.upper / scale
    total = best.sum() / scale
    start = best / scale
    extremes = []
    for c in range(best.size):
        for sign in (-1.0, 1.0):
            extremes.append(_push(scorer, start, c, sign, lower, upper, total, threshold, scale))
    plans = np.array(extremes) * scale
    values = np.array([scorer(plan)[0] for plan in plans])
    spend_range = np.stack([np.minimum(plans.min(axis=0), best), np.maximum(plans.max(axis=0), best)], axis=1)
    totals = plans.sum(axis=1, keepdims=True)
    shares = plans / totals
    best_share = best / best.sum()
    share_range = np.stack(
        [np.minimum(shares.min(axis=0), best_share), np.maximum(shares.max(axis=0), best_share)], axis=1
    )
    chosen = _diverse(np.concatenate([best[None, :], plans]), count)
    all_values = np.concatenate([[best_value], values])
    return NearOptimal(
        surface.channels, tolerance, best_value, spend_range, share_range,
        np.concatenate([best[None, :], plans])[chosen], all_values[chosen],
    )


def _push(scorer, start, channel, sign, lower, upper, total, threshold, scale) -> np.ndarray:
    """Move ``channel`` as far as possible in direction ``sign`` keeping the outcome above threshold."""
    direction = np.zeros_like(start)
    direction[channel] = sign
    constraints = [
        {"type": "eq", "fun": lambda u: u.sum() - total, "jac": lambda u: np.ones_like(u)},
        {
            "type": "ineq",
            "fun": lambda u: (scorer(np.clip(u, lower, upper) * scale)[0] - threshold) / abs(threshold),
            "jac": lambda u: scorer(np.clip(u, lower, upper) * scale)[1] * scale / abs(threshold),
        },
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = minimize(
            lambda u: (-direction @ u, -direction), start, jac=True, method="SLSQP",
            bounds=list(zip(lower, upper, strict=True)), constraints=constraints,
            options={"maxiter": 200, "ftol": 1e-9},
        )
    candidate = project(np.clip(result.x, lower, upper), lower, upper, total)
    # SLSQP may end slightly outside the set: walk back towards the best plan until inside.
    low, high = 0.0, 1.0
    if scorer(candidate * scale)[0] < threshold:
        for _ in range(40):
            middle = 0.5 * (low + high)
            point = start + middle * (candidate - start)
            low, high = (middle, high) if scorer(point * scale)[0] >= threshold else (low, middle)
        candidate = start + low * (candidate - start)
    return candidate


def _diverse(plans: np.ndarray, count: int) -> np.ndarray:
    """Indices of up to ``count`` mutually distant plans (farthest-point), the first always kept."""
    shares = plans / plans.sum(axis=1, keepdims=True)
    chosen = [0]
    distance = np.abs(shares - shares[0]).sum(axis=1)
    while len(chosen) < min(count, len(plans)):
        candidate = int(distance.argmax())
        if distance[candidate] < 1e-4:
            break
        chosen.append(candidate)
        distance = np.minimum(distance, np.abs(shares - shares[candidate]).sum(axis=1))
    return np.array(chosen)
