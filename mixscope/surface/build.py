"""Build a run's prediction surface: the one step that evaluates the posterior (JAX).

Per draw and channel, the incremental outcome of the channel's reference-window
spend is evaluated on a dense spend grid; with the per-draw baseline and a
local calibration anchor, this scores any budget and mix exactly (the model is
additive across channels). The build measures that claim against direct
posterior evaluation on random plans and stores the error with the surface.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixscope import __version__
from mixscope.errors import SurfaceError
from mixscope.surface.curves import PlanResponse, Window, plan_response
from mixscope.surface.design import allocation_design, budget_levels
from mixscope.surface.input_curves import input_tables
from mixscope.surface.runtime import Surface
from mixscope.surface.scenario_inputs import INPUTS_TABLE
from mixscope.surface.scenarios import scenario_tables
from mixscope.surface.scoring import ResponseCurves
from mixscope.surface.store import FORMAT_VERSION, curves_table, run_fingerprint, write_surface
from mixscope.surface.support import support_profile, supported_multiple


@dataclass(frozen=True)
class SurfaceOptions:
    """How the surface is laid out.

    Attributes:
        reference_periods: the last N periods define current spend and its weekly pattern.
        budget_low, budget_high, budget_step: budget levels as multiples of reference spend.
        grid_points: spend grid points per channel: zero, then geometric from
            ``grid_floor`` × reference spend to the largest spend a scenario needs
            (all of the highest budget in one channel).
        n_sobol, n_neighbourhood, neighbourhood_radius: the allocation design.
        check_plans, check_draws: random plans × draws evaluated directly to measure
            the interpolation error.
        chunk_size: draws evaluated at once (bounds memory).
        seed: for the random check plans and the quasi-random design.
    """

    reference_periods: int = 52
    budget_low: float = 0.5
    budget_high: float = 2.0
    budget_step: float = 0.05
    grid_points: int = 241
    grid_floor: float = 1e-6
    n_sobol: int = 256
    n_neighbourhood: int = 64
    neighbourhood_radius: float = 0.15
    check_plans: int = 64
    check_draws: int = 250
    chunk_size: int = 64
    seed: int = 0


@dataclass(frozen=True)
class SurfaceBuild:
    path: Path
    manifest: dict[str, Any]
    seconds: float


def build_surface(
    run_dir: str | Path, options: SurfaceOptions = SurfaceOptions(), progress: bool = False
) -> SurfaceBuild:
    """Evaluate the run's posterior over the spend grid and store ``RUN_DIR/surface``."""
    from mixscope.engines import evaluation_inputs
    from mixscope.model.evaluate import flatten_draws
    from mixscope.run import load_run

    started = time.perf_counter()
    run_dir = Path(run_dir)
    fingerprint = run_fingerprint(run_dir)
    run = load_run(run_dir)
    dataset = run.dataset
    _check_options(options, dataset.n_times)
    scaling, inputs, config = evaluation_inputs(run)  # the engine's arrays (mixscope.engines)
    draws = flatten_draws({name: value.values for name, value in run.idata.posterior.items()})
    n_draws = next(iter(draws.values())).shape[0]

    window = Window(dataset.n_times - options.reference_periods, dataset.n_times)
    reference = dataset.spend[:, window.start : window.stop].sum(axis=(0, 1))
    for name, amount in zip(dataset.channels, reference, strict=True):
        if amount <= 0:
            raise SurfaceError(
                f"Channel '{name}' has no spend in the reference window (the last "
                f"{options.reference_periods} periods), so there is no weekly pattern to scale. "
                "Choose a longer window with --reference-periods."
            )
    levels = budget_levels(options.budget_low, options.budget_high, options.budget_step)
    multipliers = _grid_multipliers(reference, levels.max(), options)
    plans = np.concatenate([multipliers.T, np.ones((1, reference.size))])

    support = support_profile(draws, inputs, config, window, multipliers)
    with _Progress(progress, n_draws + options.check_draws) as bar:
        response = plan_response(
            draws, inputs, config, scaling.kpi_scale, window, plans, options.chunk_size, bar.advance
        )
        curves = ResponseCurves(
            tuple(dataset.channels), multipliers * reference[:, None],
            response.incremental_kpi[:, :-1].transpose(0, 2, 1),
            response.incremental_revenue[:, :-1].transpose(0, 2, 1),
            reference,
        )
        calibration = _calibration(dataset, window, response)
        manifest: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "mixscope_version": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "run": fingerprint,
            "channels": list(dataset.channels),
            "n_draws": n_draws,
            "reference": {
                "start": str(dataset.dates[window.start])[:10],
                "end": str(dataset.dates[window.stop - 1])[:10],
                "periods": options.reference_periods,
                "spend": dict(zip(dataset.channels, map(float, reference), strict=True)),
                "total_spend": float(reference.sum()),
            },
            "grid": {
                "points": int(multipliers.shape[1]),
                "max_multiple": dict(zip(dataset.channels, map(float, multipliers[:, -1]), strict=True)),
            },
            "support": support,
            "trust_multiple": {
                name: supported_multiple(support[name], multipliers[c])
                for c, name in enumerate(dataset.channels)
            },
            "calibration": calibration,
            "units": _units(run.spec, dataset),
            "options": asdict(options),
        }
        surface = Surface(curves, response.baseline_kpi, response.baseline_revenue, manifest)
        manifest["interpolation_error"] = _interpolation_error(
            surface, draws, inputs, config, scaling.kpi_scale, window, levels, options, bar.advance
        )
    design = allocation_design(
        reference, options.n_sobol, options.n_neighbourhood, options.neighbourhood_radius, options.seed
    )
    trust = np.array(list(manifest["trust_multiple"].values()))
    scenarios, scenario_channels = scenario_tables(surface, levels, design, trust)
    manifest["scenarios"] = {
        "count": int(len(scenarios)),
        "budget_levels": [float(v) for v in levels],
        "allocations": int(design.shares.shape[0]),
        "allocation_kinds": {kind: int((design.kinds == kind).sum()) for kind in np.unique(design.kinds)},
    }
    # Organic media and treatments: what-if inputs, stored only when the run has them.
    inputs_table, inputs_manifest = input_tables(
        draws, inputs, scaling.kpi_scale, window, _treatment_levels(run.spec, dataset)
    )
    if inputs_table is not None:
        manifest["scenario_inputs"] = inputs_manifest
    manifest["build_seconds"] = time.perf_counter() - started
    draws_frame = pd.DataFrame({
        "draw": np.arange(n_draws, dtype=np.int32),
        "baseline_kpi": response.baseline_kpi,
        "baseline_revenue": response.baseline_revenue,
    })
    tables = {
        "curves": curves_table(curves),
        "draws": draws_frame,
        "scenarios": scenarios,
        "scenario_channels": scenario_channels,
    }
    if inputs_table is not None:
        tables[INPUTS_TABLE] = inputs_table
    path = write_surface(run_dir, tables, manifest)
    return SurfaceBuild(path, manifest, manifest["build_seconds"])


def _check_options(options: SurfaceOptions, n_times: int) -> None:
    if not 1 <= options.reference_periods <= n_times:
        raise SurfaceError(
            f"--reference-periods must be between 1 and the {n_times} periods in the data, "
            f"got {options.reference_periods}."
        )
    if not 0 < options.budget_low <= options.budget_high:
        raise SurfaceError(
            f"Budget levels need 0 < low <= high, got {options.budget_low}..{options.budget_high}."
        )
    if options.budget_step <= 0:
        raise SurfaceError(f"The budget step must be positive, got {options.budget_step}.")


def _grid_multipliers(reference: np.ndarray, max_level: float, options: SurfaceOptions) -> np.ndarray:
    """``(channel, point)`` spend multiples of the reference spend: 0, then geometric.

    Geometric spacing keeps the relative step constant, which bounds linear
    interpolation error for power-law-like curves (a Hill slope below 1 is
    steepest near zero spend); 1 (the reference spend) is a grid point. The far
    end is at least 3× reference and covers putting the whole highest budget
    into one channel, so every scenario in the design lies on the grid.
    """
    far = np.maximum(max_level * reference.sum() / reference, 3.0) * 1.001
    rows = []
    for end in far:
        # Two geometric pieces meeting exactly at 1, so the historical plan is a grid point.
        n_geometric = options.grid_points - 1
        below = int(round(n_geometric * np.log(1 / options.grid_floor) / np.log(end / options.grid_floor)))
        below = min(max(below, 2), n_geometric - 2)
        rows.append(np.concatenate([
            [0.0],
            np.geomspace(options.grid_floor, 1.0, below),
            np.geomspace(1.0, end, n_geometric - below + 1)[1:],
        ]))
    return np.array(rows)


def _calibration(dataset, window: Window, response: PlanResponse) -> dict[str, float]:
    """Anchor the historical plan's outcome to the observed KPI total of the window.

    The anchor is additive and the same for every scenario, so it moves no
    incremental effect (ROI, mROI, differences between plans). It absorbs the
    model's residual over the window and the carryover flowing into the window
    from earlier spend minus the carryover the window's own spend sends past it.
    """
    kpi = dataset.kpi[:, window.start : window.stop]
    observed_kpi = float(kpi.sum())
    observed_revenue = float((kpi * dataset.revenue_per_kpi[:, window.start : window.stop]).sum())
    historical_kpi = response.incremental_kpi[:, -1].sum(axis=1)
    historical_revenue = response.incremental_revenue[:, -1].sum(axis=1)
    predicted_window = response.baseline_kpi + response.window_kpi[:, -1]
    carryover_in = float(response.carryover_in_kpi.mean())
    window_media = response.window_kpi[:, -1] - response.carryover_in_kpi
    return {
        "observed_kpi": observed_kpi,
        "observed_revenue": observed_revenue,
        "predicted_window_kpi": float(predicted_window.mean()),
        "residual_kpi": observed_kpi - float(predicted_window.mean()),
        "carryover_in_kpi": carryover_in,
        "carryover_out_kpi": float((historical_kpi - window_media).mean()),
        "anchor_kpi": observed_kpi - float((response.baseline_kpi + historical_kpi).mean()),
        "anchor_revenue": observed_revenue - float((response.baseline_revenue + historical_revenue).mean()),
    }


def _treatment_levels(spec, dataset) -> dict[str, np.ndarray]:
    """Each treatment's ``(geo, time)`` column values (the frame is sorted by geo, then date)."""
    return {
        treatment.name: dataset.frame[treatment.column].to_numpy(dtype=float).reshape(
            dataset.n_geos, dataset.n_times)
        for treatment in spec.treatments
    }


def _units(spec, dataset) -> dict[str, str]:
    has_revenue = dataset.kpi_type == "revenue" or spec.data.revenue_per_kpi is not None
    rf = {} if not dataset.rf_names else {
        "reach_frequency": (
            f"{', '.join(dataset.rf_names)}: reach & frequency, planned by spend at the historical "
            "frequency (a spend change scales reach; each period's frequency is kept as observed)"
        ),
    }
    return rf | {
        "spend": "data currency, total over the reference window",
        "outcome": f"{spec.data.kpi} over the reference window plus the plan's carryover",
        "kpi_type": dataset.kpi_type,
        "roi": "revenue per unit of spend" if has_revenue else "KPI units per unit of spend",
    }


def _interpolation_error(
    surface: Surface, draws, inputs, config, kpi_scale, window: Window, levels: np.ndarray,
    options: SurfaceOptions, advance,
) -> dict[str, Any]:
    """Largest relative error of curve-scored plans vs. evaluating the model directly."""
    rng = np.random.default_rng(options.seed)
    reference = surface.curves.reference_spend
    shares = rng.dirichlet(np.ones(reference.size), options.check_plans)
    level = rng.uniform(levels.min(), levels.max(), options.check_plans)
    spend = np.minimum(level[:, None] * reference.sum() * shares, surface.curves.max_spend)
    n_draws = surface.n_draws
    picked = np.unique(np.linspace(0, n_draws - 1, min(options.check_draws, n_draws)).astype(int))
    subset = {name: value[picked] for name, value in draws.items()}
    direct = plan_response(
        subset, inputs, config, kpi_scale, window, spend / reference, options.chunk_size, advance
    )
    interpolated = surface.curves.incremental(spend)[picked]  # (draw, plan, channel)
    direct_media = direct.incremental_kpi.sum(axis=-1)
    interpolated_media = interpolated.sum(axis=-1)
    total = surface.baseline_kpi[picked, None] + direct_media
    gap = np.abs(interpolated_media - direct_media)
    media_error = gap / np.abs(direct_media)
    return {
        "plans": int(options.check_plans),
        "draws": int(picked.size),
        "max_relative_error_outcome": float((gap / np.abs(total)).max()),
        "max_relative_error_media": float(media_error.max()),
        "p99_relative_error_media": float(np.quantile(media_error, 0.99)),
    }


class _Progress:
    """A Rich progress bar over evaluated draws, or nothing."""

    def __init__(self, enabled: bool, total: int) -> None:
        self._progress = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

            self._progress = Progress(
                "[progress.description]{task.description}", BarColumn(),
                "{task.completed}/{task.total} draws",
                TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True),
            )
            self._task = self._progress.add_task("Evaluating posterior", total=total)

    def __enter__(self) -> _Progress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, count: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, count)
