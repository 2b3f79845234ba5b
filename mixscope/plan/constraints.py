"""Planning constraints as data, resolved against a surface into per-channel bounds."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from mixscope.errors import MixscopeError, did_you_mean
from mixscope.surface.runtime import Surface
from mixscope.surface.support import SUPPORTED_SHARE

# What would lift a refusal, worded for the command line. Each front end words the same keys with its
# own controls (the web planner: mixscope.serve.remedies), so a page never tells its user to pass a flag.
CLI_REMEDIES: Mapping[str, str] = {
    "lower_budget": "lower --budget",
    "raise_budget": "raise --budget",
    "lower_minimum": "lower a --min",
    "unlock": "unlock a channel",
    "widen_max_change": "widen --max-change",
    "leave_trust_region": "pass --no-trust-region",
}


class PlanError(MixscopeError):
    """Constraints that contradict each other or the surface, or a bad planning request.

    ``remedies`` are keys of :data:`CLI_REMEDIES`: ``str(error)`` words them for the CLI,
    :meth:`worded` for another front end.
    """

    def __init__(self, problem: str, remedies: tuple[str, ...] = ()) -> None:
        self.problem = problem
        self.remedies = remedies
        super().__init__(self.worded(CLI_REMEDIES))

    def worded(self, wording: Mapping[str, str]) -> str:
        """The problem, then the remedies as one sentence in ``wording``'s words."""
        if not self.remedies:
            return self.problem
        steps = [wording[key] for key in self.remedies]
        either = steps[0] if len(steps) == 1 else f"{', '.join(steps[:-1])} or {steps[-1]}"
        return f"{self.problem} {either[0].upper()}{either[1:]}."


@dataclass(frozen=True)
class Constraints:
    """What a plan must respect. Amounts are currency over the surface's reference window.

    Attributes:
        budget: total spend; ``None`` keeps the current total.
        budget_range: ``(low, high)`` total spend instead of a fixed budget (the
            optimiser then maximises net return: revenue minus spend).
        minimum, maximum: per-channel spend bounds.
        max_change: every channel stays within ±this fraction of its current spend.
        locked: channels kept at their current spend.
        trust_region: let each channel grow only while most of its weeks stay within
            the media levels the data showed (see :mod:`mixscope.surface.support`).
        target_roi: instead of a fixed total, the largest budget whose best plan
            still returns at least this ROI.
        target_cpa: the largest budget whose best plan costs at most this per KPI unit.
    """

    budget: float | None = None
    budget_range: tuple[float, float] | None = None
    minimum: Mapping[str, float] = field(default_factory=dict)
    maximum: Mapping[str, float] = field(default_factory=dict)
    max_change: float | None = None
    locked: tuple[str, ...] = ()
    trust_region: bool = True
    target_roi: float | None = None
    target_cpa: float | None = None


@dataclass(frozen=True, eq=False)
class Bounds:
    """Constraints resolved for one surface.

    Attributes:
        lower, upper: ``(channel,)`` spend bounds in currency.
        budget_low, budget_high: the allowed total (equal for a fixed budget).
        reasons: ``(channel,)`` what sets each upper bound (shown when it binds).
        notes: plain-language statements about the constraints in force.
    """

    lower: np.ndarray
    upper: np.ndarray
    budget_low: float
    budget_high: float
    reasons: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def fixed_budget(self) -> bool:
        return self.budget_low == self.budget_high


def resolve(surface: Surface, constraints: Constraints, budget: float | None = None) -> Bounds:
    """Per-channel bounds and the total for ``surface``; infeasible sets raise :class:`PlanError`.

    ``budget`` overrides ``constraints.budget`` (used by the frontier and targets).
    """
    channels = surface.channels
    current = surface.historical_plan()
    for name in (*constraints.minimum, *constraints.maximum, *constraints.locked):
        _check_channel(name, channels)
    _check_number("max change", constraints.max_change, allow_none=True)
    check_targets(constraints)
    lower = np.zeros(len(channels))
    upper = surface.curves.max_spend.copy()
    reasons = ["the surface's spend range"] * len(channels)
    notes: list[str] = []

    def tighten_upper(c: int, value: float, reason: str) -> None:
        if value < upper[c]:
            upper[c], reasons[c] = value, reason

    if constraints.trust_region:
        trust = surface.manifest["trust_multiple"]
        for c, name in enumerate(channels):
            tighten_upper(c, trust[name] * current[c], "the trust region (media levels the data support)")
        notes.append(
            f"Trust region on: each channel may grow until {SUPPORTED_SHARE:.0%} of its weeks would go past "
            "the highest media level (carryover included) the data showed. Pass --no-trust-region to let "
            "the model extrapolate further."
        )
    if constraints.max_change is not None:
        change = constraints.max_change
        if change < 0:
            raise PlanError(f"--max-change must be zero or more, got {change:.0%}.")
        lower = np.maximum(lower, current * (1 - change))
        for c in range(len(channels)):
            tighten_upper(c, current[c] * (1 + change), f"--max-change {change:.0%}")
        notes.append(f"Every channel stays within ±{change:.0%} of its current spend.")
    for name, amount in constraints.minimum.items():
        c = channels.index(name)
        _check_number(f"--min for {name}", amount)
        if amount > upper[c] * (1 + 1e-9):
            raise PlanError(
                f"--min {name}={amount:,.0f} is above what {reasons[c]} allows for {name} "
                f"({upper[c]:,.0f}).",
                ("lower_minimum", "leave_trust_region") if "trust" in reasons[c] else ("lower_minimum",),
            )
        lower[c] = max(lower[c], amount)
    for name, amount in constraints.maximum.items():
        c = channels.index(name)
        _check_number(f"--max for {name}", amount)
        if amount < lower[c] * (1 - 1e-9):
            raise PlanError(
                f"--max {name}={amount:,.0f} is below the minimum {lower[c]:,.0f} set for {name}."
            )
        tighten_upper(c, amount, f"--max {name}")
    for name in constraints.locked:
        c = channels.index(name)
        if not lower[c] * (1 - 1e-9) <= current[c] <= upper[c] * (1 + 1e-9):
            raise PlanError(
                f"--lock {name} keeps it at {current[c]:,.0f}, outside its bounds "
                f"[{lower[c]:,.0f}, {upper[c]:,.0f}]. Drop the lock or the conflicting --min/--max."
            )
        lower[c] = upper[c] = current[c]
        reasons[c] = f"--lock {name}"
    if locked := constraints.locked:
        notes.append(f"Locked at current spend: {', '.join(locked)}.")

    budget_low, budget_high = _budget(surface, constraints, budget)
    if lower.sum() > budget_high * (1 + 1e-9):
        raise PlanError(
            f"Infeasible: the channel minimums add up to {lower.sum():,.0f}, more than the budget "
            f"{budget_high:,.0f}.",
            ("lower_minimum", "unlock", "raise_budget"),
        )
    if upper.sum() < budget_low * (1 - 1e-9):
        capped = sorted({reasons[c] for c in range(len(channels))})
        raise PlanError(
            f"Infeasible: the channels can absorb at most {upper.sum():,.0f} under "
            f"{'; '.join(capped)}, less than the budget {budget_low:,.0f}.",
            ("lower_budget",)
            + (("widen_max_change",) if constraints.max_change is not None else ())
            + (("leave_trust_region",) if constraints.trust_region else ()),
        )
    return Bounds(lower, upper, budget_low, budget_high, tuple(reasons), tuple(notes))


def check_targets(constraints: Constraints) -> None:
    """A target ROI or CPA must be a finite number above zero."""
    _check_number("target ROI", constraints.target_roi, allow_none=True, positive=True)
    _check_number("target CPA", constraints.target_cpa, allow_none=True, positive=True)


def _budget(surface: Surface, constraints: Constraints, budget: float | None) -> tuple[float, float]:
    given = [constraints.budget is not None, constraints.budget_range is not None,
             constraints.target_roi is not None, constraints.target_cpa is not None]
    if sum(given) > 1 and budget is None:
        raise PlanError("Give only one of a budget, a budget range, a target ROI or a target CPA.")
    if budget is not None:
        _check_number("budget", budget, positive=True)
        return budget, budget
    if constraints.budget_range is not None:
        low, high = constraints.budget_range
        _check_number("budget range low", low)
        _check_number("budget range high", high, positive=True)
        if low > high:
            raise PlanError(f"Budget range is reversed: {low:,.0f} > {high:,.0f}.")
        return low, high
    if constraints.budget is not None:
        _check_number("budget", constraints.budget, positive=True)
        return constraints.budget, constraints.budget
    total = float(surface.historical_plan().sum())
    return total, total


def _check_channel(name: str, channels: tuple[str, ...]) -> None:
    if name not in channels:
        hint = did_you_mean(name, channels)
        raise PlanError(f"Unknown channel '{name}'.{hint} Channels: {', '.join(channels)}.")


def _check_number(label: str, value: float | None, allow_none: bool = False, positive: bool = False) -> None:
    """A finite number, zero or more (above zero with ``positive``); True is not a number here."""
    if value is None and allow_none:
        return
    number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not number or value < 0 or (positive and value == 0):
        bound = "above zero" if positive else "zero or more"
        raise PlanError(f"{label} must be a finite number, {bound}; got {value!r}.")


def project(point: np.ndarray, lower: np.ndarray, upper: np.ndarray, total: float) -> np.ndarray:
    """Euclidean projection onto ``{lower <= x <= upper, sum(x) = total}`` (bisection on the shift)."""
    low, high = (lower - point).min() - 1.0, (upper - point).max() + 1.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        if np.clip(point + middle, lower, upper).sum() < total:
            low = middle
        else:
            high = middle
    return np.clip(point + 0.5 * (low + high), lower, upper)
