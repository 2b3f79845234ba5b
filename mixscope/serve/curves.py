"""The planner's per-channel response curves: outcome vs spend with a 90% band and three marked points.

Read from the surface's stored per-draw curves (every draw, as planning uses),
on the curves' own spend axis: spend over the reference window. The marked
points are the current spend, the largest spend the data showed (where the
plan's strongest week reaches the highest media level seen, see
:func:`mixscope.surface.support.observed_max_spend`) and, drawn by the page,
the planned spend. A point's outcome is the mean curve read by linear
interpolation, as the surface reads each draw, so the page can place the
planned point on the same line without asking the server again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mixscope.surface.runtime import Surface
from mixscope.surface.support import observed_max_spend


def channel_curves(surface: Surface) -> dict[str, Any]:
    """Per channel: the spend grid, the mean incremental KPI and its 90% band (5% and 95% quantiles over
    draws), and the current and observed-maximum points (``observed_max`` None past the grid's end)."""
    curves = surface.curves
    mean = curves.kpi.mean(axis=0)  # (channel, point)
    low, high = np.quantile(curves.kpi, [0.05, 0.95], axis=0)
    out = []
    for c, name in enumerate(curves.channels):
        grid = curves.spend_grid[c]

        def point(spend: float | None, c: int = c, grid: np.ndarray = grid) -> dict[str, float] | None:
            if spend is None:
                return None
            return {"spend": float(spend), "outcome": float(np.interp(spend, grid, mean[c]))}

        out.append({
            "name": name,
            "spend": grid.tolist(),
            "mean": mean[c].tolist(),
            "q05": low[c].tolist(),
            "q95": high[c].tolist(),
            "current": point(float(curves.reference_spend[c])),
            "observed_max": point(observed_max_spend(surface.manifest["support"][name], grid)),
        })
    return {"channels": out, "draws": curves.n_draws, "units": surface.units}
