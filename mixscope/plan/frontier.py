"""The efficient frontier: the best plan at each total budget, with its uncertainty and mROI."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from mixscope import metrics
from mixscope.plan.constraints import Constraints, PlanError, resolve
from mixscope.plan.objective import Objective
from mixscope.plan.optimize import solve
from mixscope.surface.runtime import Surface


def frontier(
    surface: Surface, constraints: Constraints = Constraints(), levels: np.ndarray | None = None,
    objective: Objective = Objective(), target_mroi: float = 1.0, seed: int = 0,
) -> pd.DataFrame:
    """One row per budget level (multiples of current total spend).

    Columns: ``budget_level``, ``total_spend``, ``feasible``, outcome mean and 90%
    interval, ``incremental_revenue_mean``, ``roi_mean``, ``marginal_roi_mean`` and its
    90% interval (extra revenue per extra unit of budget between this level and the
    next, per draw), ``crosses_target`` (first level where that marginal return
    falls below ``target_mroi``), and the allocation per channel (``spend_<name>``).
    Levels the constraints cannot reach (e.g. beyond the trust region) are kept
    with ``feasible = False``.
    """
    if levels is None:
        levels = np.array(surface.manifest["scenarios"]["budget_levels"])
    levels = np.sort(np.asarray(levels, dtype=float))
    if levels.size == 0 or np.any(levels <= 0):
        raise PlanError("Frontier budget levels must be positive multiples of current spend.")
    base = replace(constraints, budget=None, budget_range=None, target_roi=None, target_cpa=None)
    current_total = float(surface.historical_plan().sum())
    rows, plans = [], []
    previous = None
    for level in levels:
        budget = level * current_total
        try:
            bounds = resolve(surface, base, budget)
        except PlanError:
            rows.append({"budget_level": level, "total_spend": budget, "feasible": False})
            plans.append(None)
            continue
        # Warm start from the previous level: the frontier moves smoothly with budget.
        start = None if previous is None else previous * budget / previous.sum()
        solution = solve(surface, bounds, objective, starts=2, seed=seed, initial=start)
        previous = solution.spend
        outcome = surface.outcome_draws(solution.spend[None, :])[:, 0]
        revenue = surface.curves.incremental(solution.spend, revenue=True).sum(axis=-1)
        summary = metrics.interval_summary(outcome)
        row = {
            "budget_level": level, "total_spend": budget, "feasible": True,
            "outcome_mean": summary["mean"], "outcome_q05": summary["ci_90"][0],
            "outcome_q95": summary["ci_90"][1],
            "incremental_revenue_mean": float(revenue.mean()), "roi_mean": float(revenue.mean() / budget),
            "converged": solution.converged,
        }
        row |= {f"spend_{name}": float(v) for name, v in zip(surface.channels, solution.spend, strict=True)}
        rows.append(row)
        plans.append((solution.spend, revenue))
    table = pd.DataFrame(rows)
    _add_marginal(table, plans, target_mroi)
    return table


def _add_marginal(table: pd.DataFrame, plans: list, target: float) -> None:
    mean, low, high = (np.full(len(plans), np.nan) for _ in range(3))
    for i in range(len(plans) - 1):
        if plans[i] is None or plans[i + 1] is None:
            continue
        (spend_a, revenue_a), (spend_b, revenue_b) = plans[i], plans[i + 1]
        per_draw = (revenue_b - revenue_a) / (spend_b.sum() - spend_a.sum())
        mean[i], (low[i], high[i]) = per_draw.mean(), np.quantile(per_draw, [0.05, 0.95])
    table["marginal_roi_mean"], table["marginal_roi_q05"], table["marginal_roi_q95"] = mean, low, high
    below = np.flatnonzero(np.nan_to_num(mean, nan=np.inf) < target)
    table["crosses_target"] = False
    if below.size:
        table.loc[below[0], "crosses_target"] = True
