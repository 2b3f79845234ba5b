"""Simulated MMM datasets with known truth, for tests, examples and benchmarks.

Data are generated in business units (currency, revenue) with the same
transforms the model uses, and each channel's true ROI is set exactly
(incremental revenue including carryover past the window, over spend).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixscope.transforms import geometric_adstock, hill

CHANNELS = ("tv", "search", "social", "display", "radio")


@dataclass(frozen=True)
class ChannelTruth:
    name: str
    weekly_spend: float
    roi: float
    decay: float
    half_saturation: float  # relative to the channel's median non-zero spend
    slope: float
    flighting: float = 0.0  # share of weeks dark (TV-style bursts)


DEFAULT_TRUTH = (
    ChannelTruth("tv", 60_000, roi=1.6, decay=0.55, half_saturation=1.2, slope=1.4, flighting=0.3),
    ChannelTruth("search", 40_000, roi=3.2, decay=0.10, half_saturation=0.9, slope=1.2),
    ChannelTruth("social", 30_000, roi=2.0, decay=0.30, half_saturation=1.0, slope=1.6),
    ChannelTruth("display", 20_000, roi=0.8, decay=0.20, half_saturation=1.4, slope=1.1),
    ChannelTruth("radio", 15_000, roi=1.2, decay=0.40, half_saturation=0.8, slope=1.8, flighting=0.2),
)


@dataclass(frozen=True, eq=False)
class SimulatedData:
    frame: pd.DataFrame
    truth: dict = field(default_factory=dict)


def simulate(
    n_geos: int = 1,
    n_weeks: int = 156,
    seed: int = 0,
    channels: tuple[ChannelTruth, ...] = DEFAULT_TRUTH,
    noise: float = 0.04,
    weekly_revenue: float = 1_000_000.0,
    start: str = "2022-01-03",
    max_lag: int = 8,
) -> SimulatedData:
    """Simulate weekly revenue and spend.

    Returns a wide frame (``date``, ``geo`` and ``population`` when
    ``n_geos > 1``, ``revenue``, ``CHANNEL_spend``, ``price``, ``promo``,
    ``holiday``) and a truth dict: per channel ``roi``, ``decay``,
    ``half_saturation`` (relative to median non-zero spend), ``slope``, and
    ``contribution_share``.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=n_weeks, freq="7D")
    t = np.arange(n_weeks)
    population = (
        np.ones(1) if n_geos == 1 else rng.lognormal(0.0, 0.6, n_geos) * 1e6
    )
    weight = population / population.sum()  # share of national volume per geo

    spend = np.empty((n_geos, n_weeks, len(channels)))
    for c, channel in enumerate(channels):
        national = channel.weekly_spend * rng.lognormal(0.0, 0.45, n_weeks)
        # Seasonal pacing out of phase with demand: no confounding in the base case.
        national *= 1 + 0.2 * np.sin(2 * np.pi * (t + 7 + 11 * c) / 39.0)
        if channel.flighting:
            national *= rng.random(n_weeks) >= channel.flighting
        geo_noise = rng.lognormal(0.0, 0.25, (n_geos, n_weeks)) if n_geos > 1 else 1.0
        spend[:, :, c] = national[None, :] * weight[:, None] * geo_noise
    spend = np.round(spend, 2)

    # Media response: each channel's Hill curve is set in units of its median
    # non-zero per-capita spend, the same convention the model uses.
    per_capita = spend / weight[:, None, None]
    padded = np.concatenate([per_capita, np.zeros((n_geos, max_lag, len(channels)))], axis=1)
    scale = np.array([np.median(per_capita[..., c][per_capita[..., c] > 0]) for c in range(len(channels))])
    decay = np.array([ch.decay for ch in channels])
    adstocked = np.asarray(geometric_adstock(padded / scale, decay, max_lag))
    saturated = np.asarray(
        hill(
            adstocked,
            np.array([ch.half_saturation for ch in channels]),
            np.array([ch.slope for ch in channels]),
        )
    )
    geo_effect = (
        rng.lognormal(0.0, 0.15, (n_geos, len(channels))) if n_geos > 1 else np.ones((1, len(channels)))
    )
    response = saturated * weight[:, None, None] * geo_effect[:, None, :]
    target = np.array([ch.roi for ch in channels]) * spend.sum(axis=(0, 1))
    amplitude = target / response.sum(axis=(0, 1))
    contribution = response * amplitude  # (geo, time + tail, channel), revenue

    price = 10 + 0.5 * np.sin(2 * np.pi * t / 26) + rng.normal(0, 0.2, n_weeks)
    promo = (rng.random(n_weeks) < 0.15).astype(float)
    week_of_year = dates.isocalendar().week.to_numpy()
    holiday = np.isin(week_of_year, [47, 51, 52]).astype(float)
    base = weekly_revenue * (
        1.0
        + 0.10 * t / n_weeks
        + 0.12 * np.sin(2 * np.pi * t / 52.18)
        + 0.05 * np.cos(4 * np.pi * t / 52.18)
        - 0.06 * (price - 10)
        + 0.05 * promo
        + 0.08 * holiday
    )
    baseline = base[None, :] * weight[:, None]
    expected = baseline + contribution[:, :n_weeks].sum(axis=-1)
    revenue = expected * (1 + noise * rng.standard_normal(expected.shape))

    rows = []
    for g in range(n_geos):
        frame = pd.DataFrame({"date": dates.strftime("%Y-%m-%d")})
        if n_geos > 1:
            frame["geo"] = f"geo_{g:02d}"
            frame["population"] = np.round(population[g])
        frame["revenue"] = np.round(revenue[g], 2)
        for c, channel in enumerate(channels):
            frame[f"{channel.name}_spend"] = spend[g, :, c]
        frame["price"] = np.round(price, 3)
        frame["promo"] = promo
        frame["holiday"] = holiday
        rows.append(frame)
    in_window = contribution[:, :n_weeks].sum(axis=(0, 1))
    truth = {
        "seed": seed,
        "n_geos": n_geos,
        "n_weeks": n_weeks,
        "max_lag": max_lag,
        "noise": noise,
        "roi": {ch.name: ch.roi for ch in channels},
        "decay": {ch.name: ch.decay for ch in channels},
        "half_saturation": {ch.name: ch.half_saturation for ch in channels},
        "slope": {ch.name: ch.slope for ch in channels},
        "contribution_share": {
            ch.name: float(in_window[c] / expected.sum()) for c, ch in enumerate(channels)
        },
    }
    return SimulatedData(pd.concat(rows, ignore_index=True), truth)


def write_simulated_project(
    folder: Path, n_geos: int = 1, n_weeks: int = 156, seed: int = 0,
    sampler: dict[str, Any] | None = None,
) -> tuple[Path, Any, dict]:
    """Write ``data.csv`` and ``mixscope.toml`` for a simulation into ``folder``.

    Returns ``(spec_path, spec, truth)``: the project tests and benchmarks fit.
    """
    import tomli_w

    from mixscope.spec import parse_spec

    sim = simulate(n_geos=n_geos, n_weeks=n_weeks, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    sim.frame.to_csv(folder / "data.csv", index=False)
    data: dict[str, Any] = {"path": "data.csv", "controls": ["price", "promo", "holiday"]}
    if n_geos > 1:
        data.update(geo="geo", population="population")
    raw = {
        "data": data,
        "channels": {name: {"spend": f"{name}_spend"} for name in CHANNELS},
        "sampler": sampler or {},
    }
    spec_path = folder / "mixscope.toml"
    spec_path.write_text(tomli_w.dumps(raw))
    return spec_path, parse_spec(raw, base_dir=folder, source=spec_path), sim.truth
