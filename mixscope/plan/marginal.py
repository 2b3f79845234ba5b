"""Marginal returns at a plan: mROI per channel and where the next dollar should go."""

from __future__ import annotations

from typing import Any

import numpy as np

from mixscope import metrics
from mixscope.plan.constraints import Bounds
from mixscope.surface.runtime import Plan, Surface


def marginal_returns(surface: Surface, plan: Plan, bounds: Bounds | None = None) -> dict[str, Any]:
    """mROI with 90% intervals, and the best move of the next dollar between channels.

    ``to`` is the channel with the highest expected mROI that may still grow,
    ``from`` the one with the lowest that may still shrink (under ``bounds`` when
    given); ``prob_to_beats_from`` is the posterior probability that moving a
    dollar between them pays.
    """
    spend = surface.plan_vector(plan)
    draws = surface.curves.marginal_roi(spend)
    mean = draws.mean(axis=0)
    scale = max(spend.sum(), 1.0) * 1e-6
    can_grow = np.ones(spend.size, bool) if bounds is None else spend < bounds.upper - scale
    can_shrink = spend > scale if bounds is None else spend > bounds.lower + scale
    result: dict[str, Any] = {"marginal_roi": metrics.summarize_by_channel(draws, surface.channels)}
    if can_grow.any() and can_shrink.any():
        to = int(np.where(can_grow, mean, -np.inf).argmax())
        source = int(np.where(can_shrink, mean, np.inf).argmin())
        if to != source:
            result["next_dollar"] = {
                "to": surface.channels[to], "from": surface.channels[source],
                "gain_per_dollar": float(mean[to] - mean[source]),
                "prob_to_beats_from": float(np.mean(draws[:, to] > draws[:, source])),
            }
    return result
