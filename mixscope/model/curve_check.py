"""Does each channel's fitted response curve follow the data? Binned partial residuals.

A channel's partial residual in week ``t`` is the KPI minus everything the
model explains except that channel: its fitted contribution plus the residual.
Grouping weeks by the fitted contribution (low to high media pressure) and
comparing the mean partial residual with the mean fitted contribution in each
group shows where the curve's shape misses: an S-shaped truth fitted with a
concave curve leaves negative residuals at low pressure and positive ones at
high pressure. Residuals are autocorrelated week to week, so each group's
standard error counts effective, not raw, weeks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

BINS = 5
MAX_ABS_Z = 3.0  # a group further than this many standard errors from the curve fails the check


def curve_check(
    kpi: np.ndarray, expected: np.ndarray, contribution: np.ndarray, train_mask: np.ndarray,
    channels: tuple[str, ...], bins: int = BINS,
) -> dict[str, dict[str, Any]]:
    """Per channel, the binned comparison and whether the curve passes.

    Args:
        kpi: ``(geo, time)`` observed KPI.
        expected: ``(geo, time)`` posterior mean expected KPI.
        contribution: ``(geo, time, channel)`` posterior mean contribution, KPI units.
        train_mask: ``(time,)`` periods in the likelihood (held-out periods are skipped).
        channels: channel names.

    Returns:
        ``{channel: {"bins": [{"fitted", "observed", "se", "weeks"}], "max_abs_z", "ok"}}``.
    """
    residual = (kpi - expected)[:, train_mask]
    inflation = _autocorrelation_inflation(residual)
    out: dict[str, dict[str, Any]] = {}
    for c, name in enumerate(channels):
        fitted = contribution[:, train_mask, c].ravel()
        resid = residual.ravel()
        active = fitted > 0
        if active.sum() < 2 * bins:
            out[name] = {"bins": [], "max_abs_z": None, "ok": True}
            continue
        edges = np.quantile(fitted[active], np.linspace(0, 1, bins + 1))
        group = np.clip(np.searchsorted(edges, fitted[active], side="right") - 1, 0, bins - 1)
        rows, worst = [], 0.0
        for b in range(bins):
            members = group == b
            count = int(members.sum())
            if count < 2:
                continue
            r = resid[active][members]
            se = float(r.std(ddof=1) * np.sqrt(inflation / count)) or 1e-12
            mean_fit = float(fitted[active][members].mean())
            observed = mean_fit + float(r.mean())
            rows.append({"fitted": mean_fit, "observed": observed, "se": se, "weeks": count})
            worst = max(worst, abs(float(r.mean())) / se)
        out[name] = {"bins": rows, "max_abs_z": worst, "ok": worst <= MAX_ABS_Z}
    return out


def _autocorrelation_inflation(residual: np.ndarray) -> float:
    """Variance inflation of a mean of AR(1)-like residuals: ``(1 + rho) / (1 - rho)``."""
    lagged = [(row[1:], row[:-1]) for row in residual if row.size > 2]
    if not lagged:
        return 1.0
    now = np.concatenate([a for a, _ in lagged])
    before = np.concatenate([b for _, b in lagged])
    if now.std() == 0 or before.std() == 0:
        return 1.0
    rho = float(np.clip(np.corrcoef(now, before)[0, 1], 0.0, 0.9))
    return (1 + rho) / (1 - rho)
