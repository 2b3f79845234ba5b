"""Meridian's response curves of an imported run, by Meridian's definition, with the surface's evaluation.

Meridian's ``Analyzer.response_curves`` scales each channel's spend (and media)
by a multiplier in every period of the data and reports the incremental outcome
inside the data window. This evaluates the same thing with the surface's own
per-draw evaluation (:func:`mixscope.surface.curves.plan_response`) on the
imported draws: the window is the whole data and the arrays end with it, so
carryover past the last period is not counted, as in Meridian.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mixscope.errors import RunError

if TYPE_CHECKING:
    from mixscope.run import Run

MERIDIAN_MULTIPLIERS = tuple(round(0.1 * step, 1) for step in range(21))  # Meridian's 0, 0.1, ..., 2.0
QUANTILES = (0.05, 0.95)  # Meridian's ci_lo / ci_hi at its default 90% confidence level


def response_curves(
    run: str | Path | Run, multipliers: tuple[float, ...] = MERIDIAN_MULTIPLIERS
) -> pd.DataFrame:
    """One row per multiplier and channel: ``spend``, ``mean``, ``ci_lo``, ``ci_hi`` of incremental outcome.

    Args:
        run: an imported run (a path or :func:`mixscope.load_run`'s result).
        multipliers: spend multipliers, applied to every period of every channel.
    """
    run = _imported(run)
    levels = np.asarray(multipliers, dtype=float)
    outcome = plan_outcome(run, np.repeat(levels[:, None], len(run.dataset.channels), axis=1))
    low, high = np.quantile(outcome, QUANTILES, axis=0)
    spend = run.dataset.spend.sum(axis=(0, 1))
    rows = [
        {
            "spend_multiplier": float(level), "channel": channel, "spend": float(level * spend[c]),
            "mean": float(outcome[:, m, c].mean()), "ci_lo": float(low[m, c]), "ci_hi": float(high[m, c]),
        }
        for m, level in enumerate(levels)
        for c, channel in enumerate(run.dataset.channels)
    ]
    return pd.DataFrame(rows)


def plan_outcome(run: str | Path | Run, multipliers: np.ndarray) -> np.ndarray:
    """``(draw, plan, channel)`` incremental revenue, by Meridian's definition, of each channel's spend
    scaled by ``multipliers[plan, channel]`` in every period: what Meridian's optimiser scores a plan by."""
    from mixscope.meridian.equations import evaluation_inputs
    from mixscope.model.evaluate import flatten_draws
    from mixscope.surface.curves import Window, plan_response

    run = _imported(run)
    scaling, inputs, config = evaluation_inputs(run, carryover=False)
    draws = flatten_draws({name: value.values for name, value in run.idata.posterior.items()})
    plans = np.atleast_2d(np.asarray(multipliers, dtype=float))
    response = plan_response(draws, inputs, config, scaling.kpi_scale, Window(0, inputs.n_times), plans)
    return response.incremental_revenue


def _imported(run: str | Path | Run) -> Run:
    from mixscope.meridian.equations import ENGINE
    from mixscope.run import load_run

    if isinstance(run, str | Path):
        run = load_run(run)
    if run.summary.get("engine") != ENGINE:
        raise RunError(f"{run.path} was not imported from Meridian; its response curves are in its surface "
                       f"(`mixscope surface {run.path}`).")
    return run
