"""The Bayesian fit of a spec, end to end: lift tests, calibration, sampling, summary.

The model (:mod:`mixscope.model`) samples whatever arrays it is given and knows
nothing of experiments; calibration (:mod:`mixscope.calibration`) builds lift
tests into those arrays and reads the posterior against them. This module runs
the two in order and assembles the :class:`~mixscope.run.FitResult` a run
directory stores. ``mixscope fit`` and the public :func:`mixscope.fit` call it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mixscope import metrics
from mixscope.calibration.apply import calibrate
from mixscope.calibration.evidence import calibration_summary, prior_driven_channels
from mixscope.calibration.experiments import Experiment, load_experiments
from mixscope.data.dataset import Dataset
from mixscope.data.validation import Finding
from mixscope.model.evaluate import flatten_draws
from mixscope.model.fit import prepare, sample
from mixscope.run import FitResult
from mixscope.spec import RunSpec


def fit(
    spec: RunSpec, dataset: Dataset, progress: bool = True, experiments: Sequence[Experiment] | None = None,
    data_warnings: Sequence[Finding] = (),
) -> FitResult:
    """Sample the posterior with NUTS, calibrated by the lift tests, and evaluate it.

    ``experiments`` (lift tests) default to those in ``spec.calibration``;
    pass ``()`` to fit without them. ``data_warnings``, the data gate's warnings
    (:func:`mixscope.data.load_dataset`'s report), lead ``summary["warnings"]``.

    Same spec, data and seed give the same draws. Diagnostics failures do not
    raise here: they are recorded in ``diagnostics`` and ``summary["warnings"]``
    for the caller to surface (and the CLI's ``--strict`` to fail on).
    """
    if experiments is None and spec.calibration.experiments is not None:
        experiments = load_experiments(spec.calibration.experiments, dataset)
    experiments = tuple(experiments or ())
    scaling, inputs, config = prepare(spec, dataset)
    inputs, config = calibrate(experiments, spec.calibration.mode, dataset, scaling, inputs, config)
    posterior = sample(spec, dataset, scaling, inputs, config, progress)
    summary = posterior.summary
    summary["warnings"] = [*data_warning_lines(data_warnings), *summary["warnings"]]
    channel_roi = np.asarray(posterior.idata.posterior["channel_roi"]).reshape(-1, len(dataset.channels))
    summary["prior_driven"] = prior_driven_channels(spec, dataset, channel_roi)
    if experiments:
        roi = metrics.roi(posterior.evaluation.incremental_outcome, dataset.spend.sum(axis=(0, 1)))
        draws = flatten_draws(posterior.idata.posterior)
        summary["calibration"] = calibration_summary(spec, dataset, experiments, draws, roi)
    return FitResult(
        spec, dataset, posterior.idata, posterior.evaluation, posterior.diagnostics, summary,
        posterior.fit_seconds, experiments,
    )


def data_warning_lines(findings: Sequence[Finding]) -> list[str]:
    """The data gate's warnings as ``summary.json["warnings"]`` lines, tagged like the others."""
    return [f"DATA [{finding.code}]: {finding.message}" for finding in findings if finding.level == "warning"]
