"""Query a stored prediction surface at runtime: no refit, no JAX, no NumPyro.

>>> surface = Surface.load("run")
>>> surface.evaluate({"tv": 120_000, "search": 80_000})["outcome"]
{'mean': ..., 'median': ..., 'ci_90': [..., ...]}

Plans are spend per channel over the reference window, in the data's currency.
Channels a plan leaves out keep their reference spend. Outcomes are in
calibrated KPI units (the historical plan reproduces the observed KPI total of
the reference window); ROI and mROI are revenue per unit of spend when the run
has a revenue mapping.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixscope import metrics
from mixscope.errors import SurfaceError, did_you_mean
from mixscope.surface.scenario_inputs import ScenarioInputs, check_inputs
from mixscope.surface.scoring import ResponseCurves, check_plan
from mixscope.surface.store import read_curves, read_inputs, read_manifest
from mixscope.surface.support import extrapolation

Plan = Mapping[str, float] | np.ndarray


@dataclass(frozen=True, eq=False)
class PlanOutcome:
    """Per-draw consequences of one plan.

    Attributes:
        channels: channel names.
        spend: ``(channel,)`` the plan, in currency over the reference window.
        outcome: ``(draw,)`` calibrated KPI over the window plus the plan's carryover.
        revenue: ``(draw,)`` the same valued in revenue.
        contribution: ``(draw, channel)`` incremental KPI from each channel.
        contribution_revenue: ``(draw, channel)`` the same valued in revenue.
    """

    channels: tuple[str, ...]
    spend: np.ndarray
    outcome: np.ndarray
    revenue: np.ndarray
    contribution: np.ndarray
    contribution_revenue: np.ndarray

    def roi(self) -> np.ndarray:
        """``(draw, channel)`` ROI by the shared definition; NaN where spend is zero."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return metrics.roi(self.contribution_revenue, np.where(self.spend > 0, self.spend, np.nan))


class Surface:
    """A run's prediction surface: per-draw response curves plus a calibrated baseline."""

    def __init__(
        self, curves: ResponseCurves, baseline_kpi: np.ndarray, baseline_revenue: np.ndarray,
        manifest: Mapping[str, Any], run_dir: Path | None = None, inputs: ScenarioInputs | None = None,
    ) -> None:
        calibration = manifest["calibration"]
        self.curves = curves
        self.inputs = inputs  # organic media and treatments as what-if inputs (None: the run has none)
        self.manifest = dict(manifest)
        self.run_dir = run_dir
        self.baseline_kpi = np.asarray(baseline_kpi, dtype=float) + calibration["anchor_kpi"]
        self.baseline_revenue = np.asarray(baseline_revenue, dtype=float) + calibration["anchor_revenue"]

    @classmethod
    def load(cls, run_dir: str | Path) -> Surface:
        """Load ``RUN_DIR/surface``, refusing a corrupted or stale one."""
        run_dir = Path(run_dir)
        manifest = read_manifest(run_dir)
        curves, draws = read_curves(run_dir, manifest)
        return cls(
            curves, draws["baseline_kpi"].to_numpy(), draws["baseline_revenue"].to_numpy(),
            manifest, run_dir, read_inputs(run_dir, manifest),
        )

    # ------------------------------------------------------------------ plans

    @property
    def channels(self) -> tuple[str, ...]:
        return self.curves.channels

    @property
    def reference_spend(self) -> dict[str, float]:
        return {name: float(v) for name, v in zip(self.channels, self.curves.reference_spend, strict=True)}

    @property
    def n_draws(self) -> int:
        return self.curves.n_draws

    def plan_vector(self, plan: Plan, label: str = "plan") -> np.ndarray:
        """``(channel,)`` spend from a mapping (missing channels keep reference spend)."""
        if isinstance(plan, np.ndarray):
            spend = np.asarray(plan, dtype=float)
            if spend.shape != (len(self.channels),):
                raise SurfaceError(
                    f"{label}: expected {len(self.channels)} channel amounts, got shape {spend.shape}."
                )
        else:
            spend = self.curves.reference_spend.astype(float).copy()
            for name, amount in plan.items():
                if name not in self.channels:
                    hint = did_you_mean(name, self.channels)
                    raise SurfaceError(
                        f"{label}: unknown channel '{name}'.{hint} Channels: {', '.join(self.channels)}."
                    )
                try:
                    value = float(amount)
                except (TypeError, ValueError):
                    raise SurfaceError(
                        f"{label}: spend for channel '{name}' must be a number, got {amount!r}."
                    ) from None
                spend[self.channels.index(name)] = value
        check_plan(self.curves, spend, label)
        return spend

    def historical_plan(self) -> np.ndarray:
        return self.curves.reference_spend.astype(float).copy()

    # ------------------------------------------------------------------ queries

    def outcome(self, plan: Plan, label: str = "plan") -> PlanOutcome:
        """Per-draw outcome of ``plan``."""
        spend = self.plan_vector(plan, label)
        contribution, contribution_revenue = self.curves.incremental_both(spend)
        return PlanOutcome(
            self.channels, spend,
            self.baseline_kpi + contribution.sum(axis=1),
            self.baseline_revenue + contribution_revenue.sum(axis=1),
            contribution, contribution_revenue,
        )

    def outcome_draws(self, spend: np.ndarray) -> np.ndarray:
        """``(plan, channel)`` already-checked spend → ``(draw, plan)`` calibrated KPI outcome."""
        return self.baseline_kpi[:, None] + self.curves.incremental(spend).sum(axis=-1)

    def evaluate(
        self, plan: Plan, organic: Mapping[str, float] | None = None,
        treatments: Mapping[str, float] | None = None,
    ) -> dict[str, Any]:
        """Outcome with interval, per-channel contribution and ROI, vs. the historical plan, and per
        channel how far the plan goes past the media levels the data showed (``extrapolation``).

        ``organic`` (multiples of each organic channel's reference-window volume) and ``treatments``
        (levels in the column's units, held in every window period) are scenario inputs, never
        budget: the outcome moves by their per-draw change (:mod:`mixscope.surface.scenario_inputs`),
        reported under ``scenario_inputs``; the historical plan keeps them as the window had them.
        """
        result = self.outcome(plan)
        scenario = None
        if organic or treatments:
            result, scenario = self._with_inputs(result, organic, treatments)
        historical = self._historical_outcome
        n = len(self.channels)
        # One sort for every summary: the interactive planner calls this per keystroke.
        columns = np.column_stack([
            result.outcome, result.revenue, result.outcome - historical.outcome,
            result.contribution, np.nan_to_num(result.roi()),
        ])
        names = ["outcome", "revenue", "difference"]
        names += [f"c{c}" for c in range(n)] + [f"r{c}" for c in range(n)]
        summary = metrics.summarize_by_channel(columns, names)
        contribution = {name: summary[f"c{c}"] for c, name in enumerate(self.channels)}
        roi_summary = {name: summary[f"r{c}"] for c, name in enumerate(self.channels)}
        answer = {
            "spend": dict(zip(self.channels, map(float, result.spend), strict=True)),
            "total_spend": float(result.spend.sum()),
            "outcome": summary["outcome"],
            "revenue": summary["revenue"],
            "baseline_plan_outcome": self._historical_summary,
            "difference": summary["difference"],
            "prob_beats_baseline_plan": float(np.mean(result.outcome > historical.outcome)),
            "channels": {
                name: {
                    "contribution": contribution[name],
                    "roi": None if result.spend[c] == 0 else roi_summary[name],
                }
                for c, name in enumerate(self.channels)
            },
            "extrapolation": extrapolation(self.manifest["support"], self.channels, self.curves.spend_grid,
                                           result.spend),
            "units": self.units,
        }
        if scenario is not None:
            answer["scenario_inputs"] = scenario
        return answer

    def _with_inputs(
        self, result: PlanOutcome, organic: Mapping[str, float] | None,
        treatments: Mapping[str, float] | None,
    ) -> tuple[PlanOutcome, dict[str, Any]]:
        """``result`` with the organic and treatment scenario's per-draw change added to its outcome."""
        kpi, revenue, report = self.input_change(organic, treatments)
        return replace(result, outcome=result.outcome + kpi, revenue=result.revenue + revenue), report

    def input_change(
        self, organic: Mapping[str, float] | None, treatments: Mapping[str, float] | None,
        draws: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """Per-draw KPI and revenue change of an organic/treatment scenario (``draws``: a subset), and
        its report (:meth:`ScenarioInputs.change`); names the surface does not hold are refused."""
        if self.inputs is None:
            check_inputs(None, organic, treatments)  # refuses every name: this surface has no inputs
            raise SurfaceError("this surface has no organic media or treatments to set.")
        return self.inputs.change(organic, treatments, draws)

    @functools.cached_property
    def _historical_outcome(self) -> PlanOutcome:
        return self.outcome(self.historical_plan(), "historical plan")

    @functools.cached_property
    def _historical_summary(self) -> dict[str, object]:
        return metrics.interval_summary(self._historical_outcome.outcome)

    def marginal(self, plan: Plan) -> dict[str, dict[str, object]]:
        """mROI per channel at ``plan`` with 90% intervals."""
        spend = self.plan_vector(plan)
        return metrics.summarize_by_channel(self.curves.marginal_roi(spend), self.channels)

    def compare(self, plan_a: Plan, plan_b: Plan) -> dict[str, Any]:
        """Probability that ``plan_a`` yields more outcome than ``plan_b`` (same draws)."""
        a = self.outcome(plan_a, "plan A")
        b = self.outcome(plan_b, "plan B")
        return {
            "prob_a_beats_b": float(np.mean(a.outcome > b.outcome)),
            "difference": metrics.interval_summary(a.outcome - b.outcome),
            "outcome_a": metrics.interval_summary(a.outcome),
            "outcome_b": metrics.interval_summary(b.outcome),
        }

    def neighbourhood(
        self, plan: Plan, radius: float = 0.1, samples: int = 64, seed: int = 0
    ) -> pd.DataFrame:
        """Plans with the same total whose channel spends differ by up to ±``radius``.

        One row per plan (the given one first) with spend per channel, outcome
        mean and 90% interval, and the probability of beating the given plan.
        """
        if not (isinstance(radius, int | float) and 0 < radius < 1 and math.isfinite(radius)):
            raise SurfaceError(f"neighbourhood radius must be between 0 and 1 (a fraction), got {radius!r}.")
        if not (isinstance(samples, int) and samples > 0):
            raise SurfaceError(f"neighbourhood samples must be a positive integer, got {samples!r}.")
        centre = self.plan_vector(plan)
        rng = np.random.default_rng(seed)
        scaled = centre * (1.0 + radius * rng.uniform(-1.0, 1.0, (samples, centre.size)))
        scaled *= centre.sum() / scaled.sum(axis=1, keepdims=True)
        spend = np.concatenate([centre[None, :], np.minimum(scaled, self.curves.max_spend)])
        draws = self.outcome_draws(spend)
        low, high = np.quantile(draws, [0.05, 0.95], axis=0)
        frame = pd.DataFrame(spend, columns=list(self.channels))
        frame["outcome_mean"] = draws.mean(axis=0)
        frame["outcome_q05"], frame["outcome_q95"] = low, high
        frame["prob_beats_plan"] = (draws > draws[:, :1]).mean(axis=0)
        return frame

    # ------------------------------------------------------------------ description

    @property
    def units(self) -> dict[str, str]:
        return dict(self.manifest["units"])

    @property
    def calibration(self) -> dict[str, Any]:
        return dict(self.manifest["calibration"])
