"""Lift-test experiments as the model's lift inputs (:class:`~mixscope.model.inputs.LiftInputs`).

The model-implied lift itself, the likelihood's mean, is part of the model
(:func:`mixscope.model.mmm.implied_lift`): the media with and without each
test, on a short slice around its window. "Without it" is the data's media
minus the test's change, spread over the window; only the window and
``max_lag - 1`` periods either side can differ.

The spend delta is turned into media units through the channel's media/spend
ratio in the window (exposure channels), and spread over the window's cells
in proportion to the spend the data shows there (or evenly when the data
shows none, as in a full holdout).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mixscope.calibration.experiments import Experiment
from mixscope.data.dataset import Dataset
from mixscope.model.inputs import LiftInputs, ModelInputs, Scaling


@dataclass(frozen=True)
class _Change:
    """One media change on a channel: ``with_test``/``without`` are ``(geo, time + tail)`` scaled."""

    channel: int
    first: int  # first period of the window
    last: int  # last period of the window
    with_test: np.ndarray
    without: np.ndarray
    geo_mask: np.ndarray


def spend_delta_cells(experiment: Experiment, dataset: Dataset) -> np.ndarray:
    """``(geo, time)`` the experiment's spend delta spread over its window's cells.

    In proportion to the spend the data shows in each cell; when that is zero
    (a full holdout), evenly over periods and across geos by their share of the
    channel's total spend.
    """
    c = dataset.channels.index(experiment.channel)
    cells = experiment.geo_mask(dataset)[:, None] & experiment.periods(dataset)[None, :]
    spend = np.where(cells, dataset.spend[..., c], 0.0)
    if spend.sum() > 0:
        share = spend / spend.sum()
    else:
        geo_total = dataset.spend[..., c].sum(axis=1) * experiment.geo_mask(dataset)
        geo_share = geo_total / geo_total.sum() if geo_total.sum() > 0 else (
            experiment.geo_mask(dataset) / experiment.geo_mask(dataset).sum()
        )
        share = np.where(cells, geo_share[:, None], 0.0)
        share = share / share.sum()
    return experiment.spend_delta * share


def media_per_spend(dataset: Dataset, channel: int, cells: np.ndarray) -> float:
    """Media units per unit of spend for ``channel`` in ``cells`` ``(geo, time)``.

    1 for spend-based channels; for exposure channels the window's own ratio,
    or the whole history's when the window shows no spend.
    """
    for mask in (cells, np.ones_like(cells)):
        spend = float(dataset.spend[..., channel][mask].sum())
        if spend > 0:
            return float(dataset.media[..., channel][mask].sum()) / spend
    return 1.0


def _padded(values: np.ndarray, tail: int) -> np.ndarray:
    return np.concatenate([values, np.zeros((values.shape[0], tail))], axis=1)


def experiment_changes(
    experiments: Sequence[Experiment], dataset: Dataset, scaling: Scaling, tail: int
) -> list[_Change]:
    """The media with and without each test, for :func:`stack_changes`."""
    changes = []
    for experiment in experiments:
        c = dataset.channels.index(experiment.channel)
        periods = np.flatnonzero(experiment.periods(dataset))
        delta_spend = spend_delta_cells(experiment, dataset)
        ratio = media_per_spend(dataset, c, delta_spend != 0)
        delta = _padded(delta_spend * ratio / scaling.media_scale[:, None, c], tail)
        actual = _padded(dataset.media[..., c] / scaling.media_scale[:, None, c], tail)
        changes.append(
            _Change(
                channel=c,
                first=int(periods[0]),
                last=int(periods[-1]),
                with_test=actual,
                # Rounding in a user's spend_delta must not make media negative.
                without=np.maximum(actual - delta, 0.0),
                geo_mask=experiment.geo_mask(dataset),
            )
        )
    return changes


def stack_changes(
    changes: Sequence[_Change], media: np.ndarray, kpi_scale: np.ndarray, tail: int,
    observed: np.ndarray, standard_error: np.ndarray, frequency: np.ndarray | None = None,
) -> LiftInputs:
    """Slice ``media`` ``(geo, time + tail, channel)`` around each change into :class:`LiftInputs`.

    A slice runs from ``tail - 1`` periods before the window (the adstock's
    memory) to ``tail - 1`` after it (its carryover); outside it the two media
    paths give identical adstock, so the lift is exact. Periods before the data
    are zero, as in the model. ``frequency`` ``(geo, time + tail, rf_channel)`` (reach &
    frequency channels) is sliced alike: a test changes reach at the historical frequency.
    """
    reach = tail - 1
    width = max(change.last - change.first + 1 for change in changes) + 2 * reach
    n_geos, n_padded, n_channels = media.shape
    actual = np.zeros((len(changes), n_geos, width, n_channels))
    counterfactual = np.zeros_like(actual)
    windows = None if frequency is None else np.zeros((len(changes), n_geos, width, frequency.shape[-1]))
    for i, change in enumerate(changes):
        low = change.first - reach
        high = min(change.last + reach, n_padded - 1)
        source = slice(max(low, 0), high + 1)
        target = slice(max(low, 0) - low, high + 1 - low)
        actual[i, :, target] = media[:, source]
        actual[i, :, target, change.channel] = change.with_test[:, source]
        counterfactual[i, :, target] = actual[i, :, target]
        counterfactual[i, :, target, change.channel] = change.without[:, source]
        if windows is not None:
            windows[i, :, target] = frequency[:, source]
    unit = float(kpi_scale.sum())
    weight = np.stack([change.geo_mask * kpi_scale for change in changes]) / unit
    return LiftInputs(
        media=actual.astype(np.float32),
        counterfactual=counterfactual.astype(np.float32),
        channel=np.array([change.channel for change in changes], dtype=np.int32),
        geo_weight=weight.astype(np.float32),
        observed=(np.asarray(observed, dtype=float) / unit).astype(np.float32),
        standard_error=(np.asarray(standard_error, dtype=float) / unit).astype(np.float32),
        unit=unit,
        frequency=None if windows is None else windows.astype(np.float32),
    )


def build_lift_inputs(
    experiments: Sequence[Experiment], dataset: Dataset, scaling: Scaling, inputs: ModelInputs
) -> LiftInputs:
    """:class:`LiftInputs` for validated experiments on the model's scaled media."""
    changes = experiment_changes(experiments, dataset, scaling, inputs.tail)
    return stack_changes(
        changes,
        np.asarray(inputs.media, dtype=float),
        scaling.kpi_scale,
        inputs.tail,
        np.array([e.incremental_kpi for e in experiments]),
        np.array([e.standard_error for e in experiments]),
        None if inputs.frequency is None else np.asarray(inputs.frequency, dtype=float),
    )
