"""Simulated MMM data with known truth: the process, a randomised truth zoo, and scoring.

- :mod:`~mixscope.simulate.reference`: the media math of the data-generating
  process in plain NumPy, independent of the model's own transforms;
- :mod:`~mixscope.simulate.history`: :func:`simulate` a weekly history (national
  or geo), with confounding and lift tests as options;
- :mod:`~mixscope.simulate.organic`: an organic channel (no spend) of known share added to a history;
- :mod:`~mixscope.simulate.zoo`: cases drawn at random from a family of truths;
- :mod:`~mixscope.simulate.scoring`: the truth as a surface, and the share of the
  truly achievable uplift a recommendation gets.
"""

from mixscope.simulate.history import (
    CHANNELS,
    DEFAULT_TRUTH,
    MISALLOCATED_TRUTH,
    ChannelTruth,
    SimulatedData,
    SimulatedTest,
    simulate,
    true_contribution,
    widened_truth,
    write_simulated_project,
)
from mixscope.simulate.scoring import recovered_uplift, true_surface
from mixscope.simulate.zoo import ZooCase, draw_case, geo_cases, national_cases

__all__ = [
    "CHANNELS",
    "DEFAULT_TRUTH",
    "MISALLOCATED_TRUTH",
    "ChannelTruth",
    "SimulatedData",
    "SimulatedTest",
    "ZooCase",
    "draw_case",
    "geo_cases",
    "national_cases",
    "recovered_uplift",
    "simulate",
    "true_contribution",
    "true_surface",
    "widened_truth",
    "write_simulated_project",
]
