"""``evidence`` and ``next-test``: what the data and lift tests say, and which test to run next."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from mixscope.cli._app import app
from mixscope.cli._output import emit_json, friendly_errors, out, print_table, tagged


@app.command()
@friendly_errors
def evidence(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory from `mixscope fit`."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
) -> None:
    """Per channel: prior vs posterior ROI, how much data and experiments moved it."""
    from mixscope.calibration.evidence import evidence_report
    from mixscope.run import load_run

    report = evidence_report(load_run(run_dir))
    if as_json:
        emit_json(report.to_dict())
        return
    split = report.mode is not None
    table = Table(title="ROI evidence: prior vs posterior (sd ratio and KL on log ROI)")
    columns = ["channel", "prior mean [90%]", "posterior mean [90%]", "sd ratio", "KL", "tests"]
    if split:
        columns.insert(4, "sd ratio w/o tests")
    for column in (*columns, "status"):
        table.add_column(column, justify="left" if column in ("channel", "status") else "right")
    for c in report.channels:
        cells = [
            c.channel,
            f"{c.prior_mean:.2f} [{c.prior_ci_90[0]:.2f}, {c.prior_ci_90[1]:.2f}]",
            f"{c.posterior_mean:.2f} [{c.posterior_ci_90[0]:.2f}, {c.posterior_ci_90[1]:.2f}]",
            f"{c.sd_ratio:.2f}",
            f"{c.kl:.2f}",
            str(c.n_experiments),
        ]
        if split:
            cells.insert(4, "-" if c.sd_ratio_without_experiments is None
                         else f"{c.sd_ratio_without_experiments:.2f}")
        table.add_row(*cells, Text("prior-driven", style="yellow") if c.prior_driven else "data-driven")
    print_table(table)
    if report.prior_driven:
        out.print(
            f"Prior-driven: {', '.join(report.prior_driven)} — their ROI is mostly what the prior said; "
            "a lift test would help (see `mixscope next-test`)."
        )
    if report.pareto_k is not None and report.pareto_k > 0.7:
        out.print(tagged(
            "note:", "yellow", f"the 'without tests' column is approximate (Pareto k "
            f"{report.pareto_k:.2f} > 0.7): the experiments moved the posterior far from where "
            "the data alone put it."
        ))


@app.command("next-test")
@friendly_errors
def next_test_command(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory from `mixscope fit`."),
    weeks: int = typer.Option(8, help="Test duration in periods."),
    change: float = typer.Option(
        None, help="Relative spend change in the test: -1 = go dark, 0.5 = +50%. Default: go dark, or +50% "
        "for a channel already tested dark (a second spend level).",
    ),
    se: float = typer.Option(
        None, "--se", help="The test's standard error (KPI units); default from model noise."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the ranking as JSON on stdout."),
) -> None:
    """Rank channels by the expected value of a lift test; recommend the best one."""
    from mixscope.calibration.next_test import next_test
    from mixscope.run import load_run

    report = next_test(load_run(run_dir), weeks=weeks, change=change, standard_error=se)
    if as_json:
        emit_json(report.to_dict())
        return
    level = "per channel (dark, or a second spend level)" if change is None else f"{change:+.0%}"
    table = Table(title=f"Lift test of {weeks} weeks at {level} spend, ranked by expected value")
    for column in ("channel", "spend change", "test se", "EVSI", "ROI sd now → after", "weeks to halve sd"):
        table.add_column(column, justify="left" if column == "channel" else "right")
    for o in report.options:
        table.add_row(
            o.channel,
            f"{o.spend_change:+,.0f}",
            f"{o.standard_error:,.0f}",
            f"{o.evsi:,.0f}",
            f"{o.roi_sd_now:.2f} → {o.roi_sd_after:.2f}",
            "-" if o.weeks_needed is None else str(o.weeks_needed),
        )
    print_table(table)
    out.print(f"Current best budget move: {report.current_decision}.")
    out.print(report.recommendation())
