"""Simulated MMM datasets with known truth, for tests, examples and benchmarks.

Data are generated in business units (currency, revenue) by the plain-NumPy
process in :mod:`mixscope.simulate.reference` (never the model's own
transforms), and each channel's true ROI is set exactly (incremental revenue
including carryover past the window, over spend). Channels may use carryover
and saturation shapes the model does not have (delayed adstock, exponential
saturation), and spend may grow over the years, come in bursts, or chase demand.

Two options exist to test calibration: a *confounder* (one channel's spend
follows a latent demand driver that also moves revenue and is not in the
data, so a model without it over-credits that channel), and *lift tests*
run inside the simulated history (the channel's spend in a window is scaled,
and the true incremental revenue of that change is measured with noise).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixscope.simulate.reference import carry_over, lag_weights, saturation

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
    adstock: str = "geometric"  # or "delayed" (peak after ``peak`` lags)
    peak: float = 0.0
    saturation: str = "hill"  # or "exponential" (concave, ``slope`` unused)
    burst_weeks: int = 1  # dark and live weeks come in blocks of this length
    growth: float = 0.0  # log change of the spend level from the first to the last week
    spend_noise: float = 0.45  # sd of the weekly log-spend around its level


DEFAULT_TRUTH = (
    ChannelTruth("tv", 60_000, roi=1.6, decay=0.55, half_saturation=1.2, slope=1.4, flighting=0.3),
    ChannelTruth("search", 40_000, roi=3.2, decay=0.10, half_saturation=0.9, slope=1.2),
    ChannelTruth("social", 30_000, roi=2.0, decay=0.30, half_saturation=1.0, slope=1.6),
    ChannelTruth("display", 20_000, roi=0.8, decay=0.20, half_saturation=1.4, slope=1.1),
    ChannelTruth("radio", 15_000, roi=1.2, decay=0.40, half_saturation=0.8, slope=1.8, flighting=0.2),
)

# A history whose mix is clearly off: display is over-funded far into saturation
# (marginal ROI well under 1) while search, the best channel, is barely saturated.
# DEFAULT_TRUTH's mix is close to its own optimum (1-4% of media outcome to gain),
# less than the model's uncertainty; planning is tested where there is uplift to find.
MISALLOCATED_TRUTH = (
    DEFAULT_TRUTH[0],
    ChannelTruth("search", 20_000, roi=3.5, decay=0.10, half_saturation=2.5, slope=1.2),
    DEFAULT_TRUTH[2],
    ChannelTruth("display", 45_000, roi=0.6, decay=0.20, half_saturation=0.6, slope=1.1),
    DEFAULT_TRUTH[4],
)


def widened_truth(
    n_channels: int, base: tuple[ChannelTruth, ...] = DEFAULT_TRUTH
) -> tuple[ChannelTruth, ...]:
    """``n_channels`` channels cycling through ``base``'s truths, the total weekly spend unchanged.

    For scaling benchmarks: a 20-channel model of the same business as the 5-channel one,
    so that only the width changes (``base`` itself when ``n_channels`` is its length).
    """
    if n_channels == len(base):
        return base
    cycled = [base[index % len(base)] for index in range(n_channels)]
    share = sum(truth.weekly_spend for truth in base) / sum(truth.weekly_spend for truth in cycled)
    return tuple(
        replace(truth, name=f"{truth.name}{index // len(base) + 1}", weekly_spend=truth.weekly_spend * share)
        for index, truth in enumerate(cycled)
    )


@dataclass(frozen=True)
class SimulatedTest:
    """A lift test run inside the simulated history.

    The channel's spend in weeks ``start_week .. start_week + weeks - 1`` is
    multiplied by ``spend_multiplier`` (0 = holdout, 2 = doubling); the truth is
    the revenue difference versus the unchanged plan, carryover included, and
    the reported measurement adds normal noise with sd ``relative_se`` times it.
    ``geo`` (an index) restricts the test to one geo.
    """

    channel: str
    start_week: int
    weeks: int
    spend_multiplier: float = 0.0
    relative_se: float = 0.15
    geo: int | None = None


@dataclass(frozen=True, eq=False)
class SimulatedData:
    """``frame``: the data; ``truth``: known parameters; ``experiments``: lift-test rows.

    ``experiments`` has the columns of a lift-test CSV (``channel, start, end,
    spend_delta, incremental_kpi, standard_error`` and ``geo`` for geo data) and
    is empty unless tests were asked for.
    """

    frame: pd.DataFrame
    truth: dict = field(default_factory=dict)
    experiments: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def spend(self) -> np.ndarray:
        """``(geo, time, channel)`` the simulated spend, channels in the truth's order."""
        names = list(self.truth["roi"])
        values = self.frame[[f"{name}_spend" for name in names]].to_numpy()
        return values.reshape(self.truth["n_geos"], self.truth["n_weeks"], len(names))


def simulate(
    n_geos: int = 1,
    n_weeks: int = 156,
    seed: int = 0,
    channels: tuple[ChannelTruth, ...] = DEFAULT_TRUTH,
    noise: float = 0.04,
    weekly_revenue: float = 1_000_000.0,
    start: str = "2022-01-03",
    max_lag: int = 8,
    confounder: str | None = None,
    confounder_strength: float = 1.0,
    experiments: tuple[SimulatedTest, ...] = (),
) -> SimulatedData:
    """Simulate weekly revenue and spend.

    Returns a wide frame (``date``, ``geo`` and ``population`` when
    ``n_geos > 1``, ``revenue``, ``CHANNEL_spend``, ``price``, ``promo``,
    ``holiday``) and a truth dict: per channel ``roi``, ``decay``,
    ``half_saturation`` (relative to median non-zero spend), ``slope``, and
    ``contribution_share``.

    ``confounder`` names a channel whose spend rises and falls with a latent
    demand driver that also lifts revenue (``confounder_strength`` scales both
    links); the driver is not in the frame. ``experiments`` runs lift tests in
    the history (see :class:`SimulatedTest`); their true and measured lifts are
    in ``truth["experiments"]`` and the rows to give the model in ``experiments``.
    Without these options the output is the same as before they existed.
    """
    rng = np.random.default_rng(seed)
    # A separate stream for the options, so that the base simulation is unchanged.
    option_rng = np.random.default_rng([seed, 8])
    names = [channel.name for channel in channels]
    demand = _demand_driver(option_rng, n_weeks) if confounder else np.zeros(n_weeks)
    if confounder and confounder not in names:
        raise ValueError(f"confounder {confounder!r} is not one of the channels {names}")
    dates = pd.date_range(start, periods=n_weeks, freq="7D")
    t = np.arange(n_weeks)
    population = (
        np.ones(1) if n_geos == 1 else rng.lognormal(0.0, 0.6, n_geos) * 1e6
    )
    weight = population / population.sum()  # share of national volume per geo

    spend = np.empty((n_geos, n_weeks, len(channels)))
    for c, channel in enumerate(channels):
        national = channel.weekly_spend * rng.lognormal(0.0, channel.spend_noise, n_weeks)
        # Seasonal pacing out of phase with demand: no confounding in the base case.
        national *= 1 + 0.2 * np.sin(2 * np.pi * (t + 7 + 11 * c) / 39.0)
        if channel.growth:
            national *= np.exp(channel.growth * (t / max(n_weeks - 1, 1) - 0.5))
        if channel.flighting:
            blocks = -(-n_weeks // channel.burst_weeks)
            live = rng.random(blocks) >= channel.flighting
            national *= np.repeat(live, channel.burst_weeks)[:n_weeks]
        geo_noise = rng.lognormal(0.0, 0.25, (n_geos, n_weeks)) if n_geos > 1 else 1.0
        if channel.name == confounder:
            # Spend follows demand (e.g. search budgets paced on query volume).
            national *= np.exp(0.4 * confounder_strength * demand)
        spend[:, :, c] = national[None, :] * weight[:, None] * geo_noise
    spend = np.round(spend, 2)
    planned = spend.copy()
    for test in experiments:
        window = slice(test.start_week, test.start_week + test.weeks)
        geos = slice(None) if test.geo is None else slice(test.geo, test.geo + 1)
        spend[geos, window, names.index(test.channel)] *= test.spend_multiplier
    spend = np.round(spend, 2)

    # Media response: each channel's Hill curve is set in units of its median
    # non-zero per-capita spend, the same convention the model uses.
    per_capita = spend / weight[:, None, None]
    scale = np.array([np.median(per_capita[..., c][per_capita[..., c] > 0]) for c in range(len(channels))])
    geo_effect = (
        rng.lognormal(0.0, 0.15, (n_geos, len(channels))) if n_geos > 1 else np.ones((1, len(channels)))
    )

    shapes = _shapes(channels)

    def respond(plan: np.ndarray) -> np.ndarray:
        """``(geo, time, channel)`` spend → ``(geo, time + tail, channel)`` response before amplitude."""
        return _response(plan, weight, scale, shapes, geo_effect, max_lag)

    response = respond(spend)
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
        + 0.08 * confounder_strength * demand
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
    lift_rows, lift_truth = _lift_tests(
        experiments, names, dates, spend, planned, respond(planned) * amplitude - contribution,
        max_lag, option_rng,
    )
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
        "adstock": {ch.name: ch.adstock for ch in channels},
        "peak": {ch.name: ch.peak for ch in channels},
        "saturation": {ch.name: ch.saturation for ch in channels},
        "contribution_share": {
            ch.name: float(in_window[c] / expected.sum()) for c, ch in enumerate(channels)
        },
    }
    truth["response"] = {
        "media_scale": scale.tolist(),
        "amplitude": amplitude.tolist(),
        "geo_weight": weight.tolist(),
        "geo_effect": geo_effect.tolist(),
    }
    if confounder:
        truth["confounder"] = {"channel": confounder, "strength": confounder_strength}
    if experiments:
        truth["experiments"] = lift_truth
    return SimulatedData(pd.concat(rows, ignore_index=True), truth, pd.DataFrame(lift_rows))


def _shapes(channels) -> list[dict[str, Any]]:
    """Per channel, the keyword arguments of its carryover and saturation."""
    return [
        {"adstock": ch.adstock, "decay": ch.decay, "peak": ch.peak, "saturation": ch.saturation,
         "half_saturation": ch.half_saturation, "slope": ch.slope}
        for ch in channels
    ]


def _response(
    spend: np.ndarray, weight: np.ndarray, scale: np.ndarray, shapes: list[dict[str, Any]],
    geo_effect: np.ndarray, max_lag: int,
) -> np.ndarray:
    """True media response before amplitude: per-capita spend → carryover → saturation, per geo."""
    n_geos, n_weeks, n_channels = spend.shape
    padded = np.concatenate(
        [spend / weight[:, None, None], np.zeros((n_geos, max_lag, n_channels))], axis=1
    )
    out = np.empty_like(padded)
    for c, shape in enumerate(shapes):
        weights = lag_weights(shape["adstock"], shape["decay"], max_lag, shape["peak"])
        level = carry_over(padded[..., c] / scale[c], weights)
        out[..., c] = saturation(shape["saturation"], level, shape["half_saturation"], shape["slope"])
    return out * weight[:, None, None] * geo_effect[:, None, :]


def true_contribution(truth: dict[str, Any], spend: np.ndarray) -> np.ndarray:
    """The simulation's true revenue from media, for any ``(geo, time, channel)`` spend.

    Returns ``(geo, time + max_lag, channel)``: each channel's contribution,
    carryover past the last period included. Used to score plans against the
    truth (e.g. how much of the truly achievable uplift a recommendation gets).
    """
    response = truth["response"]
    shapes = [
        {"adstock": truth.get("adstock", {}).get(name, "geometric"), "decay": truth["decay"][name],
         "peak": truth.get("peak", {}).get(name, 0.0),
         "saturation": truth.get("saturation", {}).get(name, "hill"),
         "half_saturation": truth["half_saturation"][name], "slope": truth["slope"][name]}
        for name in truth["roi"]
    ]
    return _response(
        np.asarray(spend, dtype=float), np.asarray(response["geo_weight"]),
        np.asarray(response["media_scale"]), shapes, np.asarray(response["geo_effect"]), truth["max_lag"],
    ) * np.asarray(response["amplitude"])


def _demand_driver(rng: np.random.Generator, n_weeks: int) -> np.ndarray:
    """``(time,)`` a smooth latent demand index with unit sd.

    AR(1) with a one-quarter memory: slow enough to look like real demand
    swings, irregular enough that trend and yearly Fourier terms cannot absorb it.
    """
    z = np.zeros(n_weeks)
    shocks = rng.standard_normal(n_weeks)
    for t in range(1, n_weeks):
        z[t] = 0.9 * z[t - 1] + shocks[t]
    return (z - z.mean()) / z.std()


def _lift_tests(
    tests: tuple[SimulatedTest, ...], names: list[str], dates: pd.DatetimeIndex,
    spend: np.ndarray, planned: np.ndarray, lost: np.ndarray, max_lag: int,
    rng: np.random.Generator,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Lift-test rows and their truth.

    ``lost`` is ``(geo, time + tail, channel)`` the revenue the planned spend
    would have produced minus what the actual spend produced; tests on the same
    channel must not overlap (within the carryover), so each test's truth is
    the part of ``lost`` in its window and the ``max_lag - 1`` weeks after it.
    """
    rows, truth = [], []
    n_geos = spend.shape[0]
    for test in tests:
        c = names.index(test.channel)
        geos = slice(None) if test.geo is None else slice(test.geo, test.geo + 1)
        window = slice(test.start_week, test.start_week + test.weeks)
        delta = float((spend[geos, window, c] - planned[geos, window, c]).sum())
        # The window plus its carryover: a change's effect ends within max_lag periods.
        affected = slice(test.start_week, test.start_week + test.weeks + max_lag - 1)
        true_lift = -float(lost[geos, affected, c].sum())
        se = test.relative_se * abs(true_lift)
        row: dict[str, Any] = {
            "channel": test.channel,
            "start": dates[test.start_week].strftime("%Y-%m-%d"),
            "end": dates[test.start_week + test.weeks - 1].strftime("%Y-%m-%d"),
            "spend_delta": round(delta, 2),
            "incremental_kpi": round(true_lift + se * rng.standard_normal(), 2),
            "standard_error": round(se, 2),
        }
        if n_geos > 1:
            row["geo"] = f"geo_{test.geo:02d}" if test.geo is not None else ""
        rows.append(row)
        truth.append({**row, "true_incremental_kpi": true_lift})
    return rows, truth


def write_simulated_project(
    folder: Path, n_geos: int = 1, n_weeks: int = 156, seed: int = 0,
    sampler: dict[str, Any] | None = None, **options: Any,
) -> tuple[Path, Any, dict]:
    """Write ``data.csv`` and ``mixscope.toml`` for a simulation into ``folder``.

    ``options`` go to :func:`simulate` (``confounder``, ``experiments``, ...);
    with experiments, their rows are written to ``lifts.csv`` (not named in the
    spec: pass it with ``--experiments`` or add a ``[calibration]`` section).
    Returns ``(spec_path, spec, truth)``: the project tests and benchmarks fit.
    """
    import tomli_w

    from mixscope.spec import parse_spec

    sim = simulate(n_geos=n_geos, n_weeks=n_weeks, seed=seed, **options)
    folder.mkdir(parents=True, exist_ok=True)
    sim.frame.to_csv(folder / "data.csv", index=False)
    if not sim.experiments.empty:
        sim.experiments.to_csv(folder / "lifts.csv", index=False)
    data: dict[str, Any] = {"path": "data.csv", "controls": ["price", "promo", "holiday"]}
    if n_geos > 1:
        data.update(geo="geo", population="population")
    raw = {
        "data": data,
        "channels": {name: {"spend": f"{name}_spend"} for name in sim.truth["roi"]},
        "sampler": sampler or {},
    }
    spec_path = folder / "mixscope.toml"
    spec_path.write_text(tomli_w.dumps(raw))
    return spec_path, parse_spec(raw, base_dir=folder, source=spec_path), sim.truth
