"""Lift tests built into the model's arrays, per calibration mode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mixscope.calibration.experiments import Experiment
from mixscope.calibration.lift import build_lift_inputs
from mixscope.calibration.priors import apply_roi_priors, roi_priors
from mixscope.data.dataset import Dataset
from mixscope.model.inputs import ModelInputs, Scaling
from mixscope.model.mmm import ModelConfig
from mixscope.spec import CALIBRATION_MODES as MODES  # one list of the modes, the spec's


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
        return replace(inputs, lift=build_lift_inputs(experiments, dataset, scaling, inputs)), config
    if mode == "prior":
        return inputs, apply_roi_priors(config, roi_priors(experiments, dataset))
    raise ValueError(f"unknown calibration mode {mode!r}; expected one of {MODES}")
