"""Calibration with lift-test experiments.

- :mod:`~mixscope.calibration.experiments`: read and validate experiments.
- :mod:`~mixscope.calibration.lift`: the model-implied lift (likelihood mode).
- :mod:`~mixscope.calibration.priors`: experiments as ROI priors (prior mode).
- :mod:`~mixscope.calibration.evidence`: how far data and experiments moved each ROI.
- :mod:`~mixscope.calibration.next_test`: which lift test would be worth the most.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mixscope.calibration.experiments import (
    Experiment,
    ExperimentError,
    experiments_frame,
    load_experiments,
    parse_experiments,
)
from mixscope.data.dataset import Dataset
from mixscope.model.inputs import ModelInputs, Scaling
from mixscope.model.mmm import ModelConfig
from mixscope.spec import CALIBRATION_MODES as MODES  # one list of the modes, the spec's

__all__ = [
    "MODES",
    "Experiment",
    "ExperimentError",
    "calibrate",
    "experiments_frame",
    "load_experiments",
    "parse_experiments",
]


def calibrate(
    experiments: Sequence[Experiment], mode: str, dataset: Dataset, scaling: Scaling,
    inputs: ModelInputs, config: ModelConfig,
) -> tuple[ModelInputs, ModelConfig]:
    """Model inputs and config with the experiments built in.

    ``likelihood``: each experiment adds a likelihood term on its model-implied
    lift (inputs gain ``lift``). ``prior``: each tested channel's ROI prior is
    replaced by one made from its experiments (config changes). No experiments:
    both come back unchanged.
    """
    if not experiments:
        return inputs, config
    if mode == "likelihood":
        from mixscope.calibration.lift import build_lift_inputs

        return replace(inputs, lift=build_lift_inputs(experiments, dataset, scaling, inputs)), config
    if mode == "prior":
        from mixscope.calibration.priors import apply_roi_priors, roi_priors

        return inputs, apply_roi_priors(config, roi_priors(experiments, dataset))
    raise ValueError(f"unknown calibration mode {mode!r}; expected one of {MODES}")
