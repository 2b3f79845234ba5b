"""The lift-test objective of the search: how far a candidate is from measured experiments.

When experiments are given, the search minimises a third objective beside
NRMSE and DECOMP.RSSD (Robyn's MAPE.LIFT). Two ways in:

- a sequence of :class:`LiftTest` (or mappings / a DataFrame with the same
  fields): the error is the mean absolute percentage gap between each test's
  measured lift and the candidate's contribution of that channel within the
  test window (Robyn's definition);
- any callable ``hook(contribution) -> error`` where ``contribution`` is the
  ``(batch, geo, time + tail, channel)`` KPI-unit contribution of each
  candidate in the batch and ``error`` is ``(batch,)``. It runs on NumPy
  arrays outside JAX, so a calibration module can plug in its own likelihood.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from mixscope.data.dataset import Dataset
from mixscope.errors import SpecError

LiftHook = Callable[[np.ndarray], np.ndarray]
Experiments = LiftHook | Sequence[Any] | pd.DataFrame


@dataclass(frozen=True)
class LiftTest:
    """A measured experiment.

    Attributes:
        channel: channel name as in the spec.
        start: first period of the test (ISO date; inclusive).
        end: last period of the test (ISO date; inclusive).
        lift: measured incremental KPI over the window, in KPI units.
        geo: the geo tested, or ``None`` for all geos together.
    """

    channel: str
    start: str
    end: str
    lift: float
    geo: str | None = None


def lift_objective(experiments: Experiments | None, dataset: Dataset) -> LiftHook | None:
    """A batch error function for the search, or ``None`` when there are no experiments."""
    if experiments is None:
        return None
    if callable(experiments):
        return _checked(experiments)
    tests = _as_tests(experiments)
    if not tests:
        return None
    n_geos, n_times = dataset.n_geos, dataset.n_times
    window = np.zeros((len(tests), n_geos, n_times), dtype=np.float64)
    channel_index = np.zeros(len(tests), dtype=int)
    measured = np.zeros(len(tests))
    dates = dataset.dates.astype("datetime64[D]")
    for e, test in enumerate(tests):
        if test.channel not in dataset.channels:
            raise SpecError(
                f"Lift test {e + 1}: channel {test.channel!r} is not one of {', '.join(dataset.channels)}."
            )
        try:
            start, end = np.datetime64(str(test.start), "D"), np.datetime64(str(test.end), "D")
        except ValueError:
            raise SpecError(f"Lift test {e + 1}: dates must be ISO dates (YYYY-MM-DD).") from None
        in_window = (dates >= start) & (dates <= end)
        if not in_window.any():
            raise SpecError(
                f"Lift test {e + 1} ({test.start} to {test.end}) covers no period of the data "
                f"({str(dates[0])} to {str(dates[-1])})."
            )
        if not (np.isfinite(test.lift) and test.lift != 0):
            raise SpecError(f"Lift test {e + 1}: lift must be a non-zero number, got {test.lift!r}.")
        geos = range(n_geos)
        if test.geo is not None:
            if test.geo not in dataset.geos:
                raise SpecError(f"Lift test {e + 1}: geo {test.geo!r} is not in the data.")
            geos = [dataset.geos.index(test.geo)]
        for g in geos:
            window[e, g] = in_window
        channel_index[e] = dataset.channels.index(test.channel)
        measured[e] = test.lift

    def error(contribution: np.ndarray) -> np.ndarray:
        in_data = np.asarray(contribution, dtype=np.float64)[:, :, :n_times, :]
        predicted = np.einsum("egt,bgte->be", window, in_data[..., channel_index])
        return np.abs(predicted - measured) / np.abs(measured)

    def mape(contribution: np.ndarray) -> np.ndarray:
        return error(contribution).mean(axis=1)

    return mape


def _checked(hook: LiftHook) -> LiftHook:
    def run(contribution: np.ndarray) -> np.ndarray:
        value = np.asarray(hook(contribution), dtype=np.float64).reshape(-1)
        if value.shape != (contribution.shape[0],):
            raise SpecError(
                f"The lift-test hook returned shape {value.shape}; it must return one error per "
                f"candidate, shape ({contribution.shape[0]},)."
            )
        return value

    return run


def _as_tests(experiments: Sequence[Any] | pd.DataFrame) -> list[LiftTest]:
    if isinstance(experiments, pd.DataFrame):
        experiments = experiments.to_dict("records")
    names = {f.name for f in fields(LiftTest)}
    tests = []
    for e, item in enumerate(experiments):
        if isinstance(item, LiftTest):
            tests.append(item)
            continue
        if not isinstance(item, Mapping):
            raise SpecError(f"Lift test {e + 1} must be a LiftTest or a mapping, got {type(item).__name__}.")
        unknown = set(item) - names
        missing = {"channel", "start", "end", "lift"} - set(item)
        if unknown or missing:
            raise SpecError(
                f"Lift test {e + 1}: fields must be channel, start, end, lift (and optional geo); "
                f"unknown {sorted(unknown)}, missing {sorted(missing)}."
            )
        geo = item.get("geo")
        tests.append(LiftTest(
            channel=str(item["channel"]), start=str(item["start"])[:10], end=str(item["end"])[:10],
            lift=float(item["lift"]), geo=None if geo is None or pd.isna(geo) else str(geo),
        ))
    return tests
