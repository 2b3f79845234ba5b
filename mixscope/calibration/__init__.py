"""Calibration with lift-test experiments.

- :mod:`~mixscope.calibration.experiments`: read and validate experiments.
- :mod:`~mixscope.calibration.lift`: experiments as the model's lift-test inputs (likelihood mode).
- :mod:`~mixscope.calibration.priors`: experiments as ROI priors (prior mode).
- :mod:`~mixscope.calibration.apply`: build either into the model's arrays.
- :mod:`~mixscope.calibration.evidence`: how far data and experiments moved each ROI.
- :mod:`~mixscope.calibration.next_test`: which lift test would be worth the most.

The package itself only reads experiments; what builds on the model is imported
from its submodules.
"""

from __future__ import annotations

from mixscope.calibration.experiments import (
    Experiment,
    ExperimentError,
    experiments_frame,
    load_experiments,
    parse_experiments,
)

__all__ = [
    "Experiment",
    "ExperimentError",
    "experiments_frame",
    "load_experiments",
    "parse_experiments",
]
