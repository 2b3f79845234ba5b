"""An organic channel (no spend) of known contribution added to a simulated national history.

The truth uses the simulator's reference maths (:mod:`mixscope.simulate.reference`), not
the model's: geometric carryover over ``max_lag`` weeks, then a Hill curve in units of
the typical non-zero week. The channel goes out in about ``on_share`` of the weeks: an
always-on organic channel's level is barely identified (it trades with the intercept
through the curve's shape), so its share would be the prior's, not the data's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mixscope.simulate.reference import carry_over, lag_weights, saturation


@dataclass(frozen=True)
class OrganicTruth:
    """An organic channel's data-generating process; ``share``: of the final revenue it drives."""

    name: str = "newsletter"
    share: float = 0.06
    decay: float = 0.4
    max_lag: int = 8
    half_saturation: float = 1.0
    slope: float = 1.5
    on_share: float = 0.5
    typical_volume: float = 50_000.0


def add_organic(
    frame: pd.DataFrame, seed: int, truth: OrganicTruth = OrganicTruth(), kpi: str = "revenue",
) -> tuple[pd.DataFrame, float]:
    """``frame`` (one national weekly history) with column ``truth.name`` and its effect added to
    ``kpi``; and the true share of the new KPI total the channel drives."""
    if "geo" in frame.columns:
        raise ValueError("add_organic simulates a national history (one row a week); this frame has geos.")
    rng = np.random.default_rng(seed + 100)
    n = len(frame)
    volume = rng.gamma(4.0, truth.typical_volume / 4.0, n) * (rng.uniform(size=n) > 1.0 - truth.on_share)
    level = volume / np.median(volume[volume > 0])
    carried = carry_over(level, lag_weights("geometric", truth.decay, truth.max_lag))
    response = saturation("hill", carried, truth.half_saturation, truth.slope)
    beta = truth.share * frame[kpi].sum() / ((1 - truth.share) * response.sum())
    out = frame.copy()
    out[kpi] = out[kpi] + beta * response
    out[truth.name] = volume
    return out, float((beta * response).sum() / out[kpi].sum())
