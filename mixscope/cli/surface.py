"""``surface``, ``whatif`` and ``query``: build the stored prediction space and read it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from mixscope.cli._app import app
from mixscope.cli._output import emit_json, friendly_errors, interval, out, print_table
from mixscope.errors import MixscopeError


@app.command()
@friendly_errors
def surface(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory from `mixscope fit`."),
    reference_periods: int = typer.Option(52, help="The last N periods define current spend."),
    min_budget: float = typer.Option(0.5, help="Lowest budget level, as a multiple of current spend."),
    max_budget: float = typer.Option(2.0, help="Highest budget level, as a multiple of current spend."),
    budget_step: float = typer.Option(0.05, help="Step between budget levels."),
    grid_points: int = typer.Option(241, help="Spend grid points per channel and draw."),
    as_json: bool = typer.Option(False, "--json", help="Print the surface manifest on stdout."),
) -> None:
    """Evaluate the posterior over budgets and mixes and store it in RUN_DIR/surface."""
    from mixscope.surface.build import SurfaceOptions, build_surface

    if grid_points < 20:
        raise MixscopeError(f"--grid-points must be at least 20, got {grid_points}.")
    options = SurfaceOptions(
        reference_periods=reference_periods, budget_low=min_budget, budget_high=max_budget,
        budget_step=budget_step, grid_points=grid_points,
    )
    built = build_surface(run_dir, options, progress=not as_json)
    manifest = built.manifest
    if as_json:
        emit_json(manifest)
        return
    reference, calibration = manifest["reference"], manifest["calibration"]
    check = manifest["interpolation_error"]
    out.print(
        f"Surface saved to {built.path} in {built.seconds:.1f} s: {manifest['n_draws']} draws × "
        f"{len(manifest['channels'])} channels × {manifest['grid']['points']} spend points; "
        f"{manifest['scenarios']['count']:,} scenarios.\n"
        f"Reference window {reference['start']} … {reference['end']} ({reference['periods']} periods), "
        f"spend {reference['total_spend']:,.0f}.\n"
        f"Calibration: observed KPI {calibration['observed_kpi']:,.0f}; model residual "
        f"{calibration['residual_kpi']:+,.0f}, carryover in {calibration['carryover_in_kpi']:,.0f}, "
        f"out {calibration['carryover_out_kpi']:,.0f} → anchor {calibration['anchor_kpi']:+,.0f}.\n"
        f"Interpolation vs direct evaluation ({check['plans']} random plans × {check['draws']} draws): "
        f"max relative error {check['max_relative_error_media']:.3%} of media outcome, "
        f"{check['max_relative_error_outcome']:.4%} of total outcome."
    )


@app.command()
@friendly_errors
def whatif(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory with a surface."),
    spend: str = typer.Option(..., help="CHANNEL=AMOUNT,… over the reference window; others unchanged."),
    organic: str | None = typer.Option(
        None, help="Organic media as a scenario input: NAME=+50%,NAME=1.5x,… of its reference-window "
        "volume (never budget)."),
    treatment: str | None = typer.Option(
        None, help="Treatments as scenario inputs: NAME=LEVEL,… held in every reference period, in the "
        "column's units (e.g. price=9.99)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Predicted outcome of a spend plan vs. the historical plan, from the stored surface."""
    from mixscope.plan.amounts import parse_levels, parse_multiples, parse_spend
    from mixscope.surface import Surface

    plan = parse_spend(spend)
    multiples = None if organic is None else parse_multiples(organic, "--organic")
    levels = None if treatment is None else parse_levels(treatment, "--treatment")
    stored = Surface.load(run_dir)
    result = stored.evaluate(plan, organic=multiples, treatments=levels)
    result["marginal_roi"] = stored.marginal(plan)  # the result carries extrapolation (Surface.evaluate)
    if as_json:
        emit_json(result)
        return
    table = Table(title=f"What-if over {stored.manifest['reference']['periods']} reference periods")
    for column in ("channel", "plan spend", "historical spend", "contribution (90% interval)", "ROI", "mROI"):
        table.add_column(column, justify="left" if column == "channel" else "right")
    historical = stored.reference_spend
    for name, channel in result["channels"].items():
        roi = "n/a" if channel["roi"] is None else f"{channel['roi']['mean']:.2f}"
        table.add_row(
            name, f"{result['spend'][name]:,.0f}", f"{historical[name]:,.0f}",
            interval(channel["contribution"]), roi, f"{result['marginal_roi'][name]['mean']:.2f}",
        )
    print_table(table)
    out.print(
        f"Outcome ({result['units']['outcome']}): {interval(result['outcome'])}\n"
        f"Historical plan: {interval(result['baseline_plan_outcome'])}\n"
        f"Difference: {interval(result['difference'], '+,.0f')}; "
        f"probability this plan beats the historical one: {result['prob_beats_baseline_plan']:.0%}"
    )
    out.print("\n".join(extrapolation_lines(result["extrapolation"])))
    if "reach_frequency" in result["units"]:  # which frequency the what-if assumes
        out.print(f"Reach & frequency channels {result['units']['reach_frequency']}.",
                  markup=False, highlight=False)
    if "scenario_inputs" in result:
        out.print("\n".join(scenario_input_lines(result["scenario_inputs"])))


def scenario_input_lines(report: dict[str, Any]) -> list[str]:
    """The organic and treatment inputs of a what-if and the outcome change each makes."""
    lines = []
    for name, entry in report.get("organic", {}).items():
        lines.append(f"Organic {name} at {entry['multiple']:g}× its reference-window volume: "
                     f"{interval(entry['change'], '+,.0f')}")
    for name, entry in report.get("treatments", {}).items():
        flag = " (outside the levels the data showed)" if entry["outside_data"] else ""
        lines.append(f"Treatment {name} held at {entry['level']:g} (window mean {entry['window_mean']:g})"
                     f"{flag}: {interval(entry['change'], '+,.0f')}")
    return [*lines, report["note"]]


def extrapolation_lines(report: dict[str, dict[str, float]]) -> list[str]:
    """Per channel past the data's media levels, how far; one line when every channel stays within them."""
    from mixscope.plan.optimize import EXTRAPOLATION_NOTE

    beyond = {name: figures for name, figures in report.items()
              if figures["peak_ratio"] >= EXTRAPOLATION_NOTE}
    if not beyond:
        return ["Within the data: no channel's weekly media level goes past the largest the data showed."]
    return ["Extrapolation: the model answers past the media levels the data showed for "
            + ", ".join(beyond) + "."] + [
        f"  {name}: peak week {figures['peak_ratio']:.1f}× the largest in the data; "
        f"{figures['share_beyond']:.0%} of weeks beyond it"
        for name, figures in beyond.items()
    ]


@app.command()
@friendly_errors
def query(
    run_dir: Path = typer.Argument(
        ..., metavar="RUN_DIR", help="Run directory with a surface, or a `mixscope batch` folder."
    ),
    sql: str = typer.Argument(..., help="One SELECT over tables scenarios, scenario_channels, curves, "
                              "draws, predictions (a batch folder: catalog)."),
    as_json: bool = typer.Option(False, "--json", help="Print rows as JSON."),
    limit: int = typer.Option(50, help="Rows shown in the table view (JSON returns all)."),
) -> None:
    """Query a run's surface and predictions, or a batch's catalog, with DuckDB SQL (one read-only SELECT)."""
    from mixscope.surface.query import run_query

    if limit < 1:
        raise MixscopeError(f"--limit must be 1 or more, got {limit}.")
    frame = run_query(run_dir, sql)
    if as_json:
        emit_json(json.loads(frame.to_json(orient="records", date_format="iso")))
        return
    table = Table(title=f"{len(frame):,} rows" + (f" (first {limit})" if len(frame) > limit else ""))
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    print_table(table)


def _cell(value: Any) -> str:
    """A query result's value as a table cell: large numbers with separators, others to 4 digits."""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)
