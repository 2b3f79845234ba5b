"""Organic media and treatments as what-if inputs, read from the stored surface (NumPy only).

Neither is ever part of the media budget: a scenario sets their level, and the
outcome of any paid plan moves by, per draw, their effect at that level less their
effect as the reference window had it (both are additive parts of the baseline).
The per-draw changes are evaluated at surface build (:mod:`mixscope.surface.input_curves`)
and stored as ``surface/inputs.parquet``; here they are interpolated.

- ``organic={"newsletter": 1.5}``: the channel's reference-window volume times 1.5
  (0 to :data:`ORGANIC_MAX_MULTIPLE`); 1 is the window as it was and changes nothing.
- ``treatments={"price": 9.99}``: the treatment held at 9.99 (the column's units) in
  every period of the window. The effect is linear, so any finite level is scored;
  one outside the levels the data showed is flagged ``outside_data``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mixscope import metrics
from mixscope.errors import SurfaceError, did_you_mean

INPUTS_TABLE = "inputs"
ORGANIC_MAX_MULTIPLE = 3.0  # a what-if past three times the window's organic volume is beyond any data
_STEPS_PER_UNIT = 40  # grid of multiples 0, 0.025, …: 1 is a grid point exactly (a power-of-two step)
NOTE = ("Organic media and treatments are scenario inputs, never part of the budget: they move the "
        "outcome through the baseline; paid contributions and ROI are unchanged.")


def organic_multiples() -> np.ndarray:
    """The stored grid of organic volume multiples, 0 to :data:`ORGANIC_MAX_MULTIPLE`."""
    return np.arange(int(ORGANIC_MAX_MULTIPLE * _STEPS_PER_UNIT) + 1) / _STEPS_PER_UNIT


@dataclass(frozen=True, eq=False)
class InputCurve:
    """One input's per-draw outcome change at stored levels.

    Attributes:
        kind: ``"organic"`` (levels are volume multiples) or ``"treatment"`` (levels in the column's units).
        name: the organic channel or treatment.
        levels: ``(point,)`` increasing.
        kpi: ``(draw, point)`` change in the window's KPI (carryover past it included).
        revenue: ``(draw, point)`` the same valued in revenue.
    """

    kind: str
    name: str
    levels: np.ndarray
    kpi: np.ndarray
    revenue: np.ndarray

    def change(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """``(draw,)`` KPI and revenue change at ``level``: linear between stored points (exact at
        them), and along the line through the two points of a treatment outside them."""
        segment = int(np.clip(np.searchsorted(self.levels, level, side="right") - 1, 0, self.levels.size - 2))
        low, high = self.levels[segment], self.levels[segment + 1]
        weight = (level - low) / (high - low)
        return tuple(  # type: ignore[return-value]
            values[:, segment] + weight * (values[:, segment + 1] - values[:, segment])
            for values in (self.kpi, self.revenue)
        )


class ScenarioInputs:
    """The surface's organic and treatment inputs (``manifest``: its manifest's ``scenario_inputs``)."""

    def __init__(self, curves: Mapping[tuple[str, str], InputCurve], manifest: Mapping[str, Any]) -> None:
        self.curves = dict(curves)
        self.manifest = {kind: dict(entries) for kind, entries in manifest.items()}

    @classmethod
    def from_table(cls, frame: pd.DataFrame, manifest: Mapping[str, Any], n_draws: int) -> ScenarioInputs:
        """From the stored long table (rows ordered by name, draw, point)."""
        curves = {}
        for (kind, name), rows in frame.groupby(["kind", "name"], sort=False):
            n_points = len(rows) // n_draws
            if n_points * n_draws != len(rows) or n_points < 2:
                raise SurfaceError(f"the surface's {INPUTS_TABLE}.parquet does not match its manifest. "
                                   "Rebuild the surface.")
            levels = rows["level"].to_numpy(np.float64)[:n_points]
            curves[(str(kind), str(name))] = InputCurve(
                str(kind), str(name), levels,
                rows["kpi"].to_numpy(np.float64).reshape(n_draws, n_points),
                rows["revenue"].to_numpy(np.float64).reshape(n_draws, n_points),
            )
        return cls(curves, manifest)

    @property
    def organic(self) -> tuple[str, ...]:
        return tuple(self.manifest.get("organic", {}))

    @property
    def treatments(self) -> tuple[str, ...]:
        return tuple(self.manifest.get("treatments", {}))

    def change(
        self, organic: Mapping[str, float] | None = None, treatments: Mapping[str, float] | None = None,
        draws: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """The outcome's ``(draw,)`` KPI and revenue change under the scenario, and what to report of it.

        ``draws`` restricts to a subset of draws (the planner's live draws). Unknown names and levels
        the surface cannot score are refused naming the input.
        """
        checked = check_inputs(self, organic, treatments)
        keep = slice(None) if draws is None else draws
        kpi = revenue = 0.0
        report: dict[str, Any] = {}
        for kind, key, field in (("organic", "organic", "multiple"), ("treatment", "treatments", "level")):
            for name, level in checked[key].items():
                change_kpi, change_revenue = self.curves[(kind, name)].change(level)
                change_kpi, change_revenue = change_kpi[keep], change_revenue[keep]
                kpi, revenue = kpi + change_kpi, revenue + change_revenue
                entry = {field: level, "change": metrics.interval_summary(change_kpi)}
                if kind == "treatment":
                    stored = self.manifest["treatments"][name]
                    entry |= {
                        "reference_level": stored["reference_level"],
                        "window_mean": stored["window_mean"],
                        "outside_data": not stored["observed_min"] <= level <= stored["observed_max"],
                    }
                report.setdefault(key, {})[name] = entry
        report["note"] = NOTE
        return np.asarray(kpi), np.asarray(revenue), report


def check_inputs(
    inputs: ScenarioInputs | None, organic: Mapping[str, float] | None,
    treatments: Mapping[str, float] | None,
) -> dict[str, dict[str, float]]:
    """``{"organic": {name: multiple}, "treatments": {name: level}}`` as floats, or a :class:`SurfaceError`
    naming the input: an unknown name, a non-number, a multiple outside 0..max."""
    checked: dict[str, dict[str, float]] = {"organic": {}, "treatments": {}}
    for key, given in (("organic", organic), ("treatments", treatments)):
        known = () if inputs is None else (inputs.organic if key == "organic" else inputs.treatments)
        for name, value in (given or {}).items():
            if name not in known:
                what = "organic channel" if key == "organic" else "treatment"
                if not known:
                    section = "[organic.NAME]" if key == "organic" else "[treatments.NAME]"
                    raise SurfaceError(f"{key}: unknown {what} '{name}': this run has none ({section} in "
                                       "the spec), or its surface was built before they were inputs.")
                raise SurfaceError(f"{key}: unknown {what} '{name}'.{did_you_mean(name, known)} "
                                   f"{what.capitalize()}s: {', '.join(known)}.")
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = float("nan")
            if isinstance(value, bool) or not np.isfinite(number):
                raise SurfaceError(f"{key}: the value for '{name}' must be a finite number, got {value!r}.")
            if key == "organic" and not 0.0 <= number <= ORGANIC_MAX_MULTIPLE:
                raise SurfaceError(
                    f"organic: '{name}' at {number:g}× its reference-window volume is outside 0 to "
                    f"{ORGANIC_MAX_MULTIPLE:g}×, the range the surface holds."
                )
            checked[key][name] = number
    return checked
