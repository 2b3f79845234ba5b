"""Simulated data with a reach & frequency (R&F) channel of known ROI and optimal frequency.

The R&F channel's true effect is Meridian's form, written with the plain-NumPy
reference transforms (:mod:`mixscope.simulate.reference`, never the model's):

    amplitude * carry_over(reach / median reach * hill(frequency; EC, slope))

with spend proportional to impressions (reach * frequency) times a noisy cost per
impression. Its amplitude is set so the channel's ROI (incremental revenue,
carryover past the window included, over spend) is exactly ``roi``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mixscope.simulate.history import DEFAULT_TRUTH, ChannelTruth, simulate
from mixscope.simulate.reference import carry_over, lag_weights, saturation


@dataclass(frozen=True)
class ReachFrequencyTruth:
    """The R&F channel's truth. ``reach`` is people reached per week on average (national)."""

    name: str = "video"
    reach: float = 2_000_000.0
    roi: float = 2.0
    decay: float = 0.35
    half_saturation: float = 3.0  # EC of the frequency Hill, in impressions per person reached
    slope: float = 2.2
    cost_per_impression: float = 0.004
    frequency_low: float = 1.0  # weekly average frequency is drawn between these (log-uniform)
    frequency_high: float = 9.0

    @property
    def optimal_frequency(self) -> float:
        """``EC * (slope - 1) ** (1 / slope)`` (slope > 1), at least 1; else 1."""
        if self.slope <= 1:
            return 1.0
        return max(self.half_saturation * (self.slope - 1.0) ** (1.0 / self.slope), 1.0)


def simulate_reach_frequency(
    seed: int = 0, n_weeks: int = 156, channels: tuple[ChannelTruth, ...] = DEFAULT_TRUTH[:2],
    rf: ReachFrequencyTruth = ReachFrequencyTruth(), max_lag: int = 8, **options: Any,
) -> tuple[Any, dict[str, Any]]:
    """National data: :func:`~mixscope.simulate.history.simulate` plus one R&F channel.

    Returns ``(frame, truth)``: the frame gains ``{name}_spend``, ``{name}_reach`` and
    ``{name}_frequency`` and the channel's revenue; ``truth["reach_frequency"]`` holds
    its ``roi``, ``optimal_frequency``, ``half_saturation``, ``slope`` and ``decay``.
    """
    sim = simulate(n_geos=1, n_weeks=n_weeks, seed=seed, channels=channels, max_lag=max_lag, **options)
    rng = np.random.default_rng([seed, 19])  # its own stream: the base simulation is unchanged
    reach = rf.reach * rng.lognormal(0.0, 0.4, n_weeks)
    frequency = np.exp(rng.uniform(np.log(rf.frequency_low), np.log(rf.frequency_high), n_weeks))
    dark = rng.random(n_weeks) < 0.1  # some weeks off air
    reach = np.where(dark, 0.0, np.round(reach))
    frequency = np.round(frequency, 3)
    spend = np.round(reach * frequency * rf.cost_per_impression * rng.lognormal(0.0, 0.1, n_weeks), 2)
    padded_reach = np.concatenate([reach / np.median(reach[reach > 0]), np.zeros(max_lag)])
    padded_frequency = np.concatenate([frequency, np.zeros(max_lag)])
    effective = padded_reach * saturation("hill", padded_frequency, rf.half_saturation, rf.slope)
    response = carry_over(effective, lag_weights("geometric", rf.decay, max_lag))
    contribution = response * rf.roi * spend.sum() / response.sum()  # (time + tail,) revenue
    frame = sim.frame.copy()
    frame["revenue"] = np.round(frame["revenue"].to_numpy() + contribution[:n_weeks], 2)
    frame[f"{rf.name}_spend"] = spend
    frame[f"{rf.name}_reach"] = reach
    frame[f"{rf.name}_frequency"] = frequency
    truth = dict(sim.truth)
    truth["reach_frequency"] = {
        rf.name: {
            "roi": rf.roi, "optimal_frequency": rf.optimal_frequency, "half_saturation": rf.half_saturation,
            "slope": rf.slope, "decay": rf.decay,
        },
    }
    return frame, truth


def write_reach_frequency_project(
    folder: Path, seed: int = 0, sampler: dict[str, Any] | None = None, **options: Any,
) -> tuple[Path, dict[str, Any]]:
    """Write ``data.csv`` and ``mixscope.toml`` (the R&F channel as reach & frequency) into ``folder``."""
    import tomli_w

    frame, truth = simulate_reach_frequency(seed=seed, **options)
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "data.csv", index=False)
    channels: dict[str, Any] = {name: {"spend": f"{name}_spend"} for name in truth["roi"]}
    for name in truth["reach_frequency"]:
        channels[name] = {
            "spend": f"{name}_spend", "reach": f"{name}_reach", "frequency": f"{name}_frequency",
        }
    raw = {
        "data": {"path": "data.csv", "controls": ["price", "promo", "holiday"]},
        "channels": channels,
        "sampler": sampler or {},
    }
    spec_path = folder / "mixscope.toml"
    spec_path.write_text(tomli_w.dumps(raw))
    return spec_path, truth
