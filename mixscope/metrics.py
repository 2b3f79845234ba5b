"""One definition of each business metric, computed per posterior draw.

- ROI: incremental outcome attributable to a channel, carryover past the window
  included, divided by its spend over the window. Outcome is revenue for revenue
  KPIs and for conversion KPIs with a revenue mapping; otherwise KPI units.
- mROI: derivative of incremental outcome with respect to spend at the current
  mix, by a small relative finite difference on all of the channel's spend.
- CPA: spend per incremental KPI unit (conversion KPIs).
- Contribution share: a channel's in-window contribution over the expected KPI;
  the baseline share and the channel shares sum to one for every draw.
- Saturation ratio: mROI over ROI (marginal over average return, both over the
  same window): 1 on an untouched linear curve, falling towards 0 as it flattens.
- Break-even spend: on a mean response curve, the spend past which the marginal
  return stays below a threshold (1 in revenue: each extra unit returns less
  than it costs). A spend level, not a ratio: a different question from the
  saturation ratio.
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


def saturation_ratio(mroi_mean: float, roi_mean: float) -> float | None:
    """Marginal over average return (both means over the same window); None when ROI is not positive."""
    return float(mroi_mean) / float(roi_mean) if roi_mean > 0 else None


def break_even_spend(spend_grid: np.ndarray, mean_curve: np.ndarray, threshold: float = 1.0) -> float | None:
    """Spend past which the expected marginal return stays below ``threshold``; ``None`` if never.

    ``mean_curve`` is the mean incremental outcome on ``spend_grid``; the marginal
    return is its slope between grid points. With revenue curves and
    ``threshold = 1`` this is break-even: beyond it each extra unit of spend
    returns less than it costs, which is what "saturated" means for a budget decision.
    """
    slope = np.diff(mean_curve) / np.diff(spend_grid)
    if slope.size == 0 or not np.isfinite(slope).all():
        return None
    above = np.flatnonzero(slope >= threshold)
    if above.size == 0:
        return float(spend_grid[0])
    last = int(above[-1])
    return None if last + 1 >= spend_grid.size - 1 else float(spend_grid[last + 1])


def interval_key(mass: float) -> str:
    """The summary key of an equal-tailed interval of ``mass``: ``ci_90`` for 0.9, ``ci_80`` for 0.8.

    Only whole percentages are accepted, so the key always names the mass it holds.
    """
    percent = round(mass * 100)
    if not 0 < mass < 1 or abs(mass * 100 - percent) > 1e-9:
        raise ValueError(f"interval mass must be a whole percentage between 0 and 1, not {mass!r}")
    return f"ci_{percent}"


def interval_summary(draws: np.ndarray, mass: float = 0.9) -> dict[str, object]:
    """``{mean, median, ci_<mass%>: [lo, hi]}`` of 1-D draws (equal-tailed interval; ``ci_90`` by default)."""
    values = np.asarray(draws, dtype=float).ravel()
    return _summaries(values[:, None], mass)[0]


def summarize_by_channel(
    draws: np.ndarray, channels: Sequence[str]
) -> dict[str, dict[str, object]]:
    """``(draw, channel)`` → ``{channel: interval_summary}``."""
    summaries = _summaries(np.asarray(draws, dtype=float), 0.9)
    return dict(zip(channels, summaries, strict=True))


def _summaries(draws: np.ndarray, mass: float) -> list[dict[str, object]]:
    """One summary per column of ``(draw, column)``: one sort per column, then order statistics.

    Quantiles interpolate linearly between order statistics, numpy's default
    method; sorting once is several times faster than three ``np.quantile``
    calls, which matters for interactive what-if queries.
    """
    key = interval_key(mass)
    ordered = np.sort(draws, axis=0)
    tail = (1.0 - mass) / 2
    position = np.array([tail, 0.5, 1.0 - tail]) * (ordered.shape[0] - 1)
    below = np.floor(position).astype(int)
    above = np.minimum(below + 1, ordered.shape[0] - 1)
    fraction = (position - below)[:, None]
    low, median, high = ordered[below] * (1 - fraction) + ordered[above] * fraction
    means = draws.mean(axis=0)
    return [
        {"mean": float(m), "median": float(q50), key: [float(lo), float(hi)]}
        for m, q50, lo, hi in zip(means, median, low, high, strict=True)
    ]
