"""Experiments as ROI priors (Meridian's calibration approach).

Each experiment gives an ROI estimate ``incremental outcome / spend change``
with a standard error (the KPI's standard error in outcome units over the
absolute spend change). A channel's experiments are pooled by inverse-variance
weighting; because ROI is positive in the model, that normal is conditioned on
being positive, and a LogNormal with the same mean and sd becomes the
channel's ROI prior, replacing the spec's.

This treats a test's ROI as the channel's average ROI over the whole history:
right when the test moved a typical amount of spend at typical times, biased
when it probed an unusual spend level (saturation) or a short window
(carryover cut off). The likelihood mode models both; see the README.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from mixscope.calibration.experiments import Experiment
from mixscope.data.dataset import Dataset
from mixscope.errors import SpecError
from mixscope.model.mmm import ModelConfig
from mixscope.spec import PriorSpec


@dataclass(frozen=True)
class RoiEvidence:
    """A channel's pooled experimental ROI: mean and sd, and the prior made from it."""

    channel: str
    roi: float
    sd: float
    n_experiments: int
    prior: PriorSpec


def experiment_roi(experiment: Experiment, dataset: Dataset) -> tuple[float, float]:
    """``(roi, sd)`` of one experiment in outcome units (revenue when the KPI maps to it)."""
    cells = experiment.geo_mask(dataset)[:, None] & experiment.periods(dataset)[None, :]
    revenue_per_kpi = float(dataset.revenue_per_kpi[cells].mean())
    roi = experiment.incremental_kpi * revenue_per_kpi / experiment.spend_delta
    sd = experiment.standard_error * revenue_per_kpi / abs(experiment.spend_delta)
    return roi, sd


def roi_priors(experiments: Sequence[Experiment], dataset: Dataset) -> dict[str, RoiEvidence]:
    """Per tested channel, the pooled experimental ROI and the LogNormal prior it implies."""
    out = {}
    for channel in dict.fromkeys(e.channel for e in experiments):
        estimates = [experiment_roi(e, dataset) for e in experiments if e.channel == channel]
        precision = np.array([1 / sd**2 for _, sd in estimates])
        mean = float(np.sum(precision * [roi for roi, _ in estimates]) / precision.sum())
        sd = float(1 / math.sqrt(precision.sum()))
        out[channel] = RoiEvidence(channel, mean, sd, len(estimates), _positive_prior(mean, sd))
    return out


def _positive_prior(mean: float, sd: float) -> PriorSpec:
    """LogNormal moments of ``Normal(mean, sd)`` conditioned on ROI > 0.

    A noisy test can measure a negative ROI; conditioning keeps it as evidence
    of a small ROI instead of failing, and changes nothing for a clear result.
    """
    truncated = stats.truncnorm(-mean / sd, np.inf, loc=mean, scale=sd)
    return PriorSpec(float(truncated.mean()), float(truncated.std()))


def apply_roi_priors(
    config: ModelConfig, priors: dict[str, RoiEvidence]
) -> ModelConfig:
    """``config`` with the ROI prior of each tested channel replaced by its experimental prior."""
    table = np.array(config.roi_prior, dtype=np.float32).copy()
    for channel, evidence in priors.items():
        index = config.channels.index(channel)
        if index not in config.roi_channels:
            raise SpecError(
                f"Channel {channel} uses coefficient_prior, so experiments cannot become its ROI "
                "prior; remove its coefficient_prior or set [calibration] mode = \"likelihood\"."
            )
        table[config.roi_channels.index(index)] = evidence.prior.lognormal_params()
    return replace(config, roi_prior=table)
