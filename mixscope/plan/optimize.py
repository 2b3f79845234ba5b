"""Constrained allocation over the stored curves: SciPy SLSQP, analytic gradients, multi-start."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize

from mixscope import metrics
from mixscope.plan.constraints import Bounds, Constraints, PlanError, check_targets, project, resolve
from mixscope.plan.objective import Objective, Scorer
from mixscope.surface.runtime import Surface
from mixscope.surface.support import extrapolation

_FEASIBILITY_TOLERANCE = 1e-7  # relative to the budget


@dataclass(frozen=True, eq=False)
class Solution:
    """One optimiser answer: the spend, its objective value, and whether SLSQP converged."""

    spend: np.ndarray
    value: float
    converged: bool
    message: str


@dataclass(frozen=True, eq=False)
class PlanResult:
    """A recommended allocation with its uncertainty against the current plan."""

    channels: tuple[str, ...]
    allocation: np.ndarray
    current: np.ndarray
    bounds: Bounds
    objective: Objective
    solution: Solution
    outcome: np.ndarray  # (draw,) calibrated outcome of the allocation
    current_outcome: np.ndarray  # (draw,)
    marginal_roi: np.ndarray  # (draw, channel)
    notes: tuple[str, ...] = ()
    near_optimal: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def binding(self) -> dict[str, str]:
        """Channels sitting on a bound, and which bound."""
        out = {}
        scale = max(self.allocation.sum(), 1.0) * 1e-6
        for c, name in enumerate(self.channels):
            if self.bounds.upper[c] - self.bounds.lower[c] <= scale:
                out[name] = self.bounds.reasons[c]
            elif self.allocation[c] >= self.bounds.upper[c] - scale:
                out[name] = f"at its maximum ({self.bounds.reasons[c]})"
            elif self.allocation[c] <= self.bounds.lower[c] + scale:
                out[name] = "at its minimum"
        return out

    def is_current(self) -> bool:
        """Whether the recommendation is the current plan itself."""
        return bool(np.abs(self.allocation - self.current).max() <= 1e-6 * max(self.current.sum(), 1.0))

    def to_dict(self) -> dict[str, Any]:
        """The JSON the CLI prints and the insights layer and report read."""
        uplift = self.outcome - self.current_outcome
        def money(vector: np.ndarray) -> dict[str, float]:
            return {name: float(v) for name, v in zip(self.channels, vector, strict=True)}

        payload: dict[str, Any] = {
            "allocation": money(self.allocation),
            "current": money(self.current),
            "total_budget": float(self.allocation.sum()),
            "current_total": float(self.current.sum()),
            "objective": self.objective.label,
            "expected_outcome": metrics.interval_summary(self.outcome),
            "current_outcome": metrics.interval_summary(self.current_outcome),
            "uplift": metrics.interval_summary(uplift),
            "uplift_relative": float(uplift.mean() / self.current_outcome.mean()),
            # None where the plan is the current one: a plan cannot beat itself.
            "prob_beats_current": (
                None if self.is_current() else float(np.mean(self.outcome > self.current_outcome))
            ),
            "marginal_roi": metrics.summarize_by_channel(self.marginal_roi, self.channels),
            "binding_constraints": self.binding(),
            "converged": self.solution.converged,
            "optimizer_message": self.solution.message,
            "notes": list(self.notes),
        }
        if self.near_optimal is not None:
            payload |= self.near_optimal.to_dict()
        payload |= self.extra
        return payload


def status_quo(surface: Surface, bounds: Bounds) -> np.ndarray:
    """The current mix at the plan's budget: what a reallocation is compared with.

    The historical plan scaled to the allowed total (the current total when a
    budget range holds it, else the nearest end of the range), then moved to the
    nearest point within the channel bounds.
    """
    current = surface.historical_plan()
    total = min(max(float(current.sum()), bounds.budget_low), bounds.budget_high)
    return project(current * total / current.sum(), bounds.lower, bounds.upper, total)


_RISK_KINDS = ("quantile", "mean-sd", "prob-beats-current")


def solve(
    surface: Surface, bounds: Bounds, objective: Objective, starts: int = 6, seed: int = 0,
    initial: np.ndarray | None = None,
) -> Solution:
    """Best of several SLSQP runs; the answer always satisfies ``bounds`` exactly.

    Variables are scaled to shares of the current total so SLSQP's tolerances
    mean the same on any currency; the objective is scaled by the current
    plan's incremental outcome. The status quo (:func:`status_quo`) is always
    one of the starts.
    """
    reference = status_quo(surface, bounds)
    scorer = Scorer(surface, objective, reference)
    scale = float(surface.historical_plan().sum())
    value_scale = abs(scorer(surface.historical_plan())[0]) or 1.0
    lower, upper = bounds.lower / scale, bounds.upper / scale
    low_total, high_total = bounds.budget_low / scale, bounds.budget_high / scale
    target_total = high_total if objective.kind != "net-revenue" else 0.5 * (low_total + high_total)

    def negative(u: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = scorer(np.clip(u, lower, upper) * scale)
        return -value / value_scale, -gradient * scale / value_scale

    if bounds.fixed_budget:
        linear = [{"type": "eq", "fun": lambda u: u.sum() - high_total, "jac": lambda u: np.ones_like(u)}]
    else:
        linear = [
            {"type": "ineq", "fun": lambda u: u.sum() - low_total, "jac": lambda u: np.ones_like(u)},
            {"type": "ineq", "fun": lambda u: high_total - u.sum(), "jac": lambda u: -np.ones_like(u)},
        ]
    rng = np.random.default_rng(seed)
    current = surface.historical_plan() / scale
    # A warm start (the frontier's previous level) replaces the equal split.
    spread = np.full(current.size, target_total / current.size) if initial is None else initial / scale
    candidates = [spread, current, reference / scale]
    candidates += [rng.dirichlet(np.ones(current.size)) * target_total for _ in range(max(0, starts - 2))]
    if objective.kind in _RISK_KINDS:
        # A quantile or probability is jagged over the draws and SLSQP can stall on it far from
        # anything good: the expected-outcome optimum is a start too, so the plan found is never
        # worse on its own objective than that plan.
        by_mean = solve(surface, bounds, Objective("mean"), max(2, starts // 2), seed, initial)
        candidates.append(by_mean.spend / scale)
    best: Solution | None = None
    for start in candidates:
        start = _feasible(start, lower, upper, low_total, high_total, target_total)
        value = scorer(start * scale)[0]
        if best is None or value > best.value:  # a start SLSQP cannot improve on is kept as it is
            best = Solution(start * scale, value, True, "a starting point")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = minimize(
                negative, start, jac=True, method="SLSQP", bounds=list(zip(lower, upper, strict=True)),
                constraints=linear, options={"maxiter": 300, "ftol": 1e-10},
            )
        spend = _feasible(result.x, lower, upper, low_total, high_total, target_total) * scale
        value = scorer(spend)[0]
        if best is None or value > best.value:
            best = Solution(spend, value, bool(result.success), str(result.message))
    assert best is not None
    _check_feasible(best.spend, bounds)
    return best


def _feasible(u, lower, upper, low_total, high_total, target_total) -> np.ndarray:
    """Nearest point satisfying the bounds and the total (repairs SLSQP's small violations)."""
    u = np.clip(np.nan_to_num(u, nan=0.0), lower, upper)
    if low_total - 1e-12 <= u.sum() <= high_total + 1e-12 and low_total != high_total:
        return u
    total = min(max(u.sum(), low_total), high_total) if low_total != high_total else target_total
    return project(u, lower, upper, total)


def _check_feasible(spend: np.ndarray, bounds: Bounds) -> None:
    tolerance = _FEASIBILITY_TOLERANCE * max(bounds.budget_high, 1.0)
    ok = (
        np.all(spend >= bounds.lower - tolerance)
        and np.all(spend <= bounds.upper + tolerance)
        and bounds.budget_low - tolerance <= spend.sum() <= bounds.budget_high + tolerance
    )
    if not ok:  # pragma: no cover - projection makes this unreachable; never return a violating plan
        raise PlanError("The optimiser could not find a plan satisfying every constraint.")


# The default decision rule, chosen on the truth zoo (bench/zoo.py; the comparison with
# risk-averse objectives is in bench/results/HISTORY.md and the README): maximise the
# expected outcome, and keep the current mix unless the best plan beats it with this probability.
DEFAULT_OBJECTIVE = Objective("mean")
MIN_CONFIDENCE = 0.8


def optimize(
    surface: Surface, constraints: Constraints = Constraints(), objective: Objective = DEFAULT_OBJECTIVE,
    starts: int = 6, seed: int = 0, near_optimal_tolerance: float | None = 0.01,
    min_confidence: float | None = MIN_CONFIDENCE, model_error: float = 0.0, min_gain: float = 0.0,
) -> PlanResult:
    """Recommend an allocation under ``constraints``, with near-optimal ranges by default.

    When the best plan found beats the status quo (the current mix at the plan's
    budget) with a probability under ``min_confidence``, the recommendation is
    the status quo ("no confident change") and the plan found is kept in
    ``extra["best_found"]``; ``None`` always recommends the plan found. ``model_error``
    widens that probability for errors the posterior cannot see (:mod:`mixscope.plan.confidence`);
    ``min_gain`` asks it of a gain above that share of the current plan's media contribution.
    """
    from mixscope.plan.confidence import prob_beats
    from mixscope.plan.marginal import marginal_returns
    from mixscope.plan.near_optimal import near_optimal

    extra: dict[str, Any] = {}
    if constraints.target_roi is not None or constraints.target_cpa is not None:
        budget, extra = _budget_for_target(surface, constraints, objective, starts, seed)
        bounds = resolve(surface, constraints, budget)
        starts = _target_starts(starts)  # as the search solved this budget: the same plan
        min_confidence = None  # the target, not a comparison with the mix, sets this plan
    else:
        bounds = resolve(surface, constraints)
        if not bounds.fixed_budget and objective.kind in ("mean", "mean-sd"):
            objective = Objective("net-revenue")
    solution = solve(surface, bounds, objective, starts, seed)
    allocation = solution.spend
    current = surface.historical_plan()
    notes = list(bounds.notes)
    quo = status_quo(surface, bounds)
    margin = min_gain * float(surface.curves.incremental(current).sum(axis=-1).mean()) if min_gain else 0.0
    confidence = prob_beats(surface, allocation, quo, model_error, margin)
    moved = bool(np.abs(allocation - quo).max() > 1e-6 * max(quo.sum(), 1.0))
    extra["decision"] = "reallocate" if moved else "keep the current mix"
    extra["prob_beats_status_quo"] = confidence if moved else None
    if moved and min_confidence is not None and confidence < min_confidence:
        extra["best_found"] = {
            "allocation": {name: float(v) for name, v in zip(surface.channels, allocation, strict=True)},
            "prob_beats_status_quo": confidence,
        }
        extra["decision"] = "no confident change"
        notes.append(
            f"No confident change: the best plan found beats the current mix with probability "
            f"{confidence:.0%}, under the {min_confidence:.0%} required, so the recommendation keeps the "
            "current mix. Its near-optimal ranges show what the data leave open."
        )
        best_allocation, allocation = allocation, quo
    else:
        best_allocation = allocation
    extra["next_dollar_at_current"] = marginal_returns(surface, current, bounds).get("next_dollar")
    extra["next_dollar_at_recommendation"] = marginal_returns(surface, allocation, bounds).get("next_dollar")
    extra["extrapolation"] = plan_extrapolation(surface, allocation)
    notes += _extrapolation_notes(extra["extrapolation"])
    convex = surface.curves.convex_probability(current)
    extra["prob_convex_at_current"] = dict(zip(surface.channels, map(float, convex), strict=True))
    notes += [
        f"{name}: probably still below its inflection point at current spend (probability {p:.0%}): "
        "its next dollar returns more than its average dollar, so a cut loses more than its ROI suggests."
        for name, p in extra["prob_convex_at_current"].items() if p >= 0.5
    ]
    if surface.inputs is not None:  # organic media and treatments: what-if inputs, not budget
        held = [*surface.inputs.organic, *surface.inputs.treatments]
        notes.append(f"{', '.join(held)}: held as the reference window had them (organic media and "
                     "treatments are never budget); set them in a what-if.")
    if "reach_frequency" in surface.units:  # say which frequency the plan assumes
        notes.append(f"Reach & frequency channels {surface.units['reach_frequency']}.")
    if not solution.converged:
        notes.append(f"The optimiser did not report convergence ({solution.message}); the plan is the best "
                     "feasible one found and satisfies every constraint.")
    result = PlanResult(
        surface.channels, allocation, current, bounds, objective, solution,
        surface.outcome_draws(allocation[None, :])[:, 0],
        surface.outcome_draws(current[None, :])[:, 0],
        surface.curves.marginal_roi(allocation),
        tuple(notes), None, extra,
    )
    if near_optimal_tolerance:
        ranges = near_optimal(surface, bounds, best_allocation, near_optimal_tolerance)
        return _with_near_optimal(result, ranges)
    return result


def plan_extrapolation(surface: Surface, spend: np.ndarray) -> dict[str, dict[str, float]]:
    """Per channel, how far ``spend`` goes past the media levels the data showed.

    ``peak_ratio``: the plan's highest adstocked weekly level over the highest
    observed; ``share_beyond``: the share of its weeks above that level (see
    :mod:`mixscope.surface.support`).
    """
    curves = surface.curves
    return extrapolation(surface.manifest["support"], curves.channels, curves.spend_grid, spend)


EXTRAPOLATION_NOTE = 1.01  # a plan's strongest week this far past the data's highest level is noted


def _extrapolation_notes(report: dict[str, dict[str, float]]) -> list[str]:
    return [
        f"{name}: the plan's strongest week is {figures['peak_ratio']:.2f}x the highest media level in the "
        f"data, and {figures['share_beyond']:.0%} of its weeks go past it: the model extrapolates there."
        for name, figures in report.items()
        if figures["peak_ratio"] >= EXTRAPOLATION_NOTE
    ]


def _with_near_optimal(result: PlanResult, near) -> PlanResult:
    from dataclasses import replace

    return replace(result, near_optimal=near)


def _target_starts(starts: int) -> int:
    """Starts per budget of the target search (a bisection solves a plan at every step)."""
    return max(2, starts // 2)


def _budget_for_target(
    surface: Surface, constraints: Constraints, objective: Objective, starts: int, seed: int
) -> tuple[float, dict[str, Any]]:
    """Largest budget whose best plan meets the target ROI (or CPA), by bisection.

    Each budget's plan is solved as the final plan is (same objective, starts and
    seed), so the plan returned at the budget found meets the target it was found for.
    """
    from dataclasses import replace

    check_targets(constraints)
    free = replace(constraints, target_roi=None, target_cpa=None, budget=None, budget_range=None)
    probe = resolve(surface, free)
    low, high = float(probe.lower.sum()), float(probe.upper.sum())

    def efficiency(budget: float) -> float:
        bounds = resolve(surface, free, budget)
        spend = solve(surface, bounds, objective, _target_starts(starts), seed).spend
        if constraints.target_roi is not None:
            return float(surface.curves.incremental(spend, revenue=True).sum(axis=-1).mean() / spend.sum())
        kpi = float(surface.curves.incremental(spend).sum(axis=-1).mean())
        return -spend.sum() / max(kpi, 1e-12)  # negative CPA: larger is better, like ROI

    target = constraints.target_roi if constraints.target_roi is not None else -constraints.target_cpa
    label = "ROI" if constraints.target_roi is not None else "CPA"
    low = max(low, 1e-6 * high)
    if efficiency(low) < target:
        raise PlanError(f"No budget reaches the target {label}: even the smallest feasible budget "
                        f"({low:,.0f}) falls short. Relax the target or the constraints.")
    if efficiency(high) >= target:
        return high, {"target": {label.lower(): abs(target), "budget": high,
                                 "note": "The target is met even at the largest feasible budget."}}
    for _ in range(30):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if efficiency(middle) >= target else (low, middle)
        if high - low < 1e-3 * high:
            break
    return low, {"target": {label.lower(): abs(target), "budget": low}}
