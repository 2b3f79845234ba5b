"""One definition of each business metric, computed per posterior draw.

- ROI: incremental outcome attributable to a channel, carryover past the window
  included, divided by its spend over the window. Outcome is revenue for revenue
  KPIs and for conversion KPIs with a revenue mapping; otherwise KPI units.
- mROI: derivative of incremental outcome with respect to spend at the current
  mix, by a small relative finite difference on all of the channel's spend.
- CPA: spend per incremental KPI unit (conversion KPIs).
- Contribution share: a channel's in-window contribution over the expected KPI;
  the baseline share and the channel shares sum to one for every draw.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MROI_STEP = 0.01  # mROI: relative spend increase used for the finite difference
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def roi(incremental_outcome: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """``(draw, channel)`` outcome and ``(channel,)`` spend → ``(draw, channel)`` ROI."""
    return incremental_outcome / spend


def mroi(
    incremental_outcome: np.ndarray, incremental_outcome_step: np.ndarray,
    spend: np.ndarray, step: float,
) -> np.ndarray:
    """``(draw, channel)`` marginal ROI from outcomes before and after a ``step`` rise."""
    return (incremental_outcome_step - incremental_outcome) / (step * spend)


def cpa(incremental_kpi: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """``(draw, channel)`` cost per incremental KPI unit."""
    return spend / incremental_kpi


def contribution_shares(
    contribution: np.ndarray, expected_total: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(draw, channel)`` contributions, ``(draw,)`` expected totals → channel and baseline shares."""
    shares = contribution / expected_total[:, None]
    return shares, 1.0 - shares.sum(axis=1)


def interval_summary(draws: np.ndarray, mass: float = 0.9) -> dict[str, object]:
    """``{mean, median, ci_90: [lo, hi]}`` of 1-D draws (equal-tailed interval)."""
    values = np.asarray(draws, dtype=float)
    tail = (1.0 - mass) / 2
    low, high = np.quantile(values, [tail, 1.0 - tail])
    return {
        "mean": float(values.mean()),
        "median": float(np.median(values)),
        "ci_90": [float(low), float(high)],
    }


def summarize_by_channel(
    draws: np.ndarray, channels: Sequence[str]
) -> dict[str, dict[str, object]]:
    """``(draw, channel)`` → ``{channel: interval_summary}``."""
    return {name: interval_summary(draws[:, c]) for c, name in enumerate(channels)}
