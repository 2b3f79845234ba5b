"""The ``mixscope`` command line.

Convention for every command: human-readable output by default, ``--json`` for
machine-readable output on stdout; errors go to stderr with a non-zero exit
and a message that says what to do, never a traceback.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mixscope.arguments import check_target, parse_budget, parse_fraction, parse_spend
from mixscope.errors import MixscopeError, SpecError
from mixscope.serve import DEFAULT_LIVE_DRAWS

app = typer.Typer(
    help="Bayesian marketing mix modelling: validate data, fit, and query the results.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# No Rich markup or emoji codes in any printed string: channel names, paths, SQL and messages are data
# ('[red]tv[/red]' is a channel name, '[sampler]' a spec section). Styles come only from _tagged and Text.
out = Console(soft_wrap=True, markup=False, emoji=False)
err = Console(stderr=True, soft_wrap=True, markup=False, emoji=False)

EXIT_INVALID = 1  # validation errors or failed diagnostics under --strict
EXIT_USAGE = 2  # bad spec, unreadable data, bad arguments


def _tagged(tag: str, style: str, message: object) -> Text:
    """``tag`` in ``style``, then ``message`` exactly as written."""
    return Text.assemble((tag, style), " ", str(message))


def _friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into one clear stderr paragraph and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except MixscopeError as error:
            err.print(_tagged("error:", "bold red", error), highlight=False)
            raise typer.Exit(error.exit_code) from None
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            err.print("interrupted: nothing was written.")
            raise typer.Exit(130) from None
        except Exception as error:  # noqa: BLE001 - last line of defence against tracebacks
            if os.environ.get("MIXSCOPE_DEBUG"):
                raise
            err.print(_tagged(
                "internal error:", "bold red",
                f"{type(error).__name__}: {error}\nThis is a bug in mixscope. Re-run with MIXSCOPE_DEBUG=1 "
                "for the traceback and report it.",
            ), highlight=False)
            raise typer.Exit(3) from None

    return wrapper


def _emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


# --------------------------------------------------------------------------- init


@app.command()
@_friendly_errors
def init(
    data: Path = typer.Argument(None, help="CSV/Parquet data file to describe."),
    output: Path = typer.Option(Path("mixscope.toml"), "-o", "--output", help="Spec file to write."),
    kpi: str = typer.Option(None, help="KPI column, when it is not revenue/sales/conversions."),
    example: bool = typer.Option(False, help="Use the bundled simulated example data."),
    force: bool = typer.Option(False, help="Overwrite an existing spec file."),
) -> None:
    """Write a starter spec by convention (date/week, *_spend channels, KPI, controls)."""
    if output.exists() and not force:
        raise SpecError(f"{output} already exists; pass --force to overwrite it.")
    output.parent.mkdir(parents=True, exist_ok=True)
    if example:
        source = resources.files("mixscope.examples") / "simulated_national.csv"
        data = output.parent / "simulated_national.csv"
        with resources.as_file(source) as path:
            shutil.copyfile(path, data)
    elif data is None:
        raise SpecError("Name a data file (`mixscope init DATA.csv`) or pass --example.")
    relative = os.path.relpath(data.resolve(), output.resolve().parent)
    spec = _starter_spec_for_file(data, relative, kpi)
    output.write_text(tomli_w.dumps(spec), encoding="utf-8")
    out.print(
        f"Wrote {output}: {len(spec['channels'])} channels ({', '.join(spec['channels'])}), "
        f"KPI {spec['data']['kpi']!r}, {len(spec['data']['controls'])} controls. "
        "Review it, then run `mixscope validate` and `mixscope fit`."
    )


# --------------------------------------------------------------------------- validate


def _starter_spec_for_file(data: Path, path_in_spec: str, kpi: str | None) -> dict[str, Any]:
    """Read a data file and guess a starter spec (as a dict) from its columns."""
    from mixscope.data import load_table
    from mixscope.spec import DataSpec, starter_spec

    frame = load_table(DataSpec(path=data.resolve()))
    columns = {name: pd.api.types.is_numeric_dtype(frame[name]) for name in frame.columns}
    return starter_spec(columns, path_in_spec, kpi=kpi)


def _spec_for(target: Path, kpi: str | None):
    """A spec from a TOML file, or a starter spec guessed from a data file."""
    from mixscope.spec import load_spec, parse_spec

    if target.suffix.lower() == ".toml":
        return load_spec(target)
    return parse_spec(_starter_spec_for_file(target, str(target.resolve()), kpi), source=target)


@app.command()
@_friendly_errors
def validate(
    target: Path = typer.Argument(..., help="Spec (.toml) or data file (CSV/Parquet)."),
    kpi: str = typer.Option(None, help="KPI column when validating a data file directly."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
) -> None:
    """Check data against the spec before fitting; exits 1 when there are errors."""
    from mixscope.data import load_table, validate_frame

    spec = _spec_for(target, kpi)
    report = validate_frame(load_table(spec.data), spec)
    if as_json:
        _emit_json(report.to_dict())
    else:
        (out if report.ok else err).print(report.format(), highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(EXIT_INVALID)


# --------------------------------------------------------------------------- fit


@app.command()
@_friendly_errors
def fit(
    spec_path: Path = typer.Argument(..., metavar="SPEC", help="TOML run spec."),
    run_dir: Path = typer.Option(Path("run"), "--out", "-o", help="Run directory to create."),
    chains: int = typer.Option(None, help="Override [sampler] chains."),
    warmup: int = typer.Option(None, help="Override [sampler] warmup."),
    draws: int = typer.Option(None, help="Override [sampler] draws."),
    seed: int = typer.Option(None, help="Override [sampler] seed."),
    overwrite: bool = typer.Option(False, help="Replace an existing run directory."),
    strict: bool = typer.Option(False, help="Exit 1 when a diagnostic fails."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json on stdout."),
    experiments: Path = typer.Option(
        None, "--experiments", help="Lift tests (CSV or TOML) to calibrate with; overrides [calibration]."
    ),
    calibration_mode: str = typer.Option(
        None, "--calibration-mode", help="likelihood (default) or prior; overrides [calibration] mode."
    ),
    engine: str = typer.Option(
        "bayes", help="bayes (NUTS, default) or ridge (frequentist: evolutionary search + bootstrap)."
    ),
    method: str = typer.Option(None, help="With --engine ridge: ols, ridge (default) or lasso."),
    iterations: int = typer.Option(
        None, help="With --engine ridge: search evaluations per trial (default 2000; 0 = no search)."
    ),
    trials: int = typer.Option(None, help="With --engine ridge: independent search trials (default 5)."),
    pick: int = typer.Option(None, help="With --engine ridge: candidate to keep (default 1, the best)."),
) -> None:
    """Fit the MMM (Bayesian, or --engine ridge) and save a run directory (atomically)."""
    from mixscope.data import load_dataset
    from mixscope.pipeline import fit as fit_model
    from mixscope.run import check_target, save_run
    from mixscope.spec import load_spec

    spec = load_spec(spec_path).with_sampler(chains=chains, warmup=warmup, draws=draws, seed=seed)
    if experiments is not None or calibration_mode is not None:
        spec = spec.with_calibration(experiments, calibration_mode)
        if spec.calibration.experiments is None:
            raise SpecError("--calibration-mode needs experiments: pass --experiments FILE.")
    ridge_options = {"--method": method, "--iterations": iterations, "--trials": trials, "--pick": pick}
    if engine not in ("bayes", "ridge"):
        raise SpecError(f"--engine {engine!r}: choose bayes (NUTS, the default) or ridge.")
    if engine == "bayes" and any(value is not None for value in ridge_options.values()):
        used = ", ".join(name for name, value in ridge_options.items() if value is not None)
        raise SpecError(f"{used} only apply to the ridge engine; add --engine ridge.")
    check_target(run_dir, overwrite)
    dataset, report = load_dataset(spec)
    for finding in report.warnings:
        err.print(_tagged("data warning:", "yellow", finding.message), highlight=False)
    iterations = 2000 if iterations is None else iterations
    trials = 5 if trials is None else trials
    if not as_json:
        shape = f"{dataset.n_channels} channels × {dataset.n_times} periods × {dataset.n_geos} geo(s)"
        if engine == "ridge":
            err.print(f"Fitting {method or 'ridge'} on {shape}: {trials} trials × {iterations} candidates…")
        else:
            err.print(
                f"Fitting {shape}: {spec.sampler.chains} chains × "
                f"({spec.sampler.warmup} warmup + {spec.sampler.draws} draws)…"
            )
    if engine == "ridge":
        from mixscope.ridge import fit_ridge

        result = fit_ridge(
            spec, dataset, method=method or "ridge", iterations=iterations, trials=trials,
            seed=spec.sampler.seed, pick=pick,
        )
    else:
        result = fit_model(spec, dataset, progress=not as_json, data_warnings=report.warnings)
    save_run(result, run_dir, overwrite=overwrite)
    summary = result.summary
    if as_json:
        _emit_json(summary)
    else:
        _print_fit(summary, run_dir)
        if "calibration" in summary:
            _print_calibration(summary["calibration"])
    for warning in summary["warnings"]:
        err.print(_tagged("WARNING:", "bold red", warning), highlight=False)
    if strict and not summary["diagnostics_ok"]:
        raise typer.Exit(EXIT_INVALID)


def _print_fit(summary: dict[str, Any], run_dir: Path) -> None:
    table = Table(title=f"ROI ({summary['roi_units']}), mean and 90% interval")
    for column in ("channel", "ROI", "90% interval", "mROI", "contribution share"):
        table.add_column(column, justify="left" if column == "channel" else "right")
    for channel in summary["channels"]:
        roi, mroi = summary["roi"][channel], summary["mroi"][channel]
        share = summary["contribution_share"][channel]
        table.add_row(
            channel,
            f"{roi['mean']:.2f}",
            f"[{roi['ci_90'][0]:.2f}, {roi['ci_90'][1]:.2f}]",
            f"{mroi['mean']:.2f}",
            f"{share['mean']:.1%}",
        )
    out.print(table)
    d = summary["diagnostics"]
    holdout = "n/a" if d["holdout_mape"] is None else f"{d['holdout_mape']:.1%}"
    status = ("ok", "green") if summary["diagnostics_ok"] else ("FAILED", "bold red")
    if summary.get("engine") == "ridge":
        _print_ridge(summary, run_dir, holdout)
        return
    out.print(Text.assemble(
        "Diagnostics ", status,
        f": max R-hat {d['max_rhat']:.3f}, min bulk ESS {d['min_ess_bulk']:.0f}, "
        f"divergences {d['divergences']}, R² {d['r2']:.3f}, MAPE {d['mape']:.1%}, "
        f"holdout MAPE {holdout}. Fit took {summary['fit_seconds']:.1f} s. Saved to {run_dir}.",
    ))


def _print_ridge(summary: dict[str, Any], run_dir: Path, holdout: str) -> None:
    """The ridge engine's candidate table and fit line (no sampler diagnostics exist for it)."""
    ridge = summary["ridge"]
    table = Table(title=f"Candidates ({ridge['method']}, {ridge['mode']}); kept: {ridge['picked']}")
    for column in ("#", "NRMSE", "DECOMP.RSSD", *summary["channels"]):
        table.add_column(column, justify="right")
    for row in ridge["candidates"]:
        table.add_row(
            str(row["candidate"]), f"{row['nrmse']:.4f}", f"{row['decomp_rssd']:.3f}",
            *(f"{row['roi'][channel]:.2f}" for channel in summary["channels"]),
        )
    out.print(table)
    d = summary["diagnostics"]
    out.print(
        f"Ridge fit: R² {d['r2']:.3f}, MAPE {d['mape']:.1%}, NRMSE {d['nrmse']:.3f}, "
        f"holdout MAPE {holdout}; intervals from {ridge['bootstraps']} replicates ({_replicates(summary)}). "
        f"Fit took {summary['fit_seconds']:.1f} s. Saved to {run_dir}."
    )


def _replicates(summary: dict[str, Any]) -> str:
    """What varies between a ridge run's replicates (mixscope.ridge.engine)."""
    ridge = summary["ridge"]
    parts = ["block-bootstrap periods"]
    if ridge["method"] == "ridge":
        parts.append("ROI prior redrawn")
    if "calibration" in summary and summary["calibration"]["mode"] == "likelihood":
        parts.append("lift tests redrawn within their errors")
    if ridge["mode"] == "search":
        parts.append("transforms drawn near the candidate's")
    return ", ".join(parts)


# --------------------------------------------------------------------------- import-meridian


@app.command("import-meridian")
@_friendly_errors
def import_meridian_command(
    model: Path = typer.Argument(
        ..., metavar="MODEL",
        help="Meridian's posterior netCDF, or its save_mmm pickle (needs the meridian extra).",
    ),
    data: Path = typer.Option(
        None, "--data",
        help="The model's input CSV/Parquet (required with a netCDF; a pickle carries its own).",
    ),
    run_dir: Path = typer.Option(Path("run"), "--out", "-o", help="Run directory to create."),
    mapping: Path = typer.Option(
        None, "--mapping",
        help="TOML: [columns] (Meridian's CoordToColumns) and [model] settings to override.",
    ),
    overwrite: bool = typer.Option(False, help="Replace an existing run directory."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json on stdout."),
) -> None:
    """Turn a fitted Google Meridian model into a mixscope run (Meridian's draws, Meridian's equations).

    Columns are mapped by Meridian's conventions (time, geo, population, conversions or revenue,
    revenue_per_conversion, CHANNEL_impression, CHANNEL_spend, the model's control names); a
    --mapping TOML overrides them and sets what a netCDF does not record ([model] max_lag = 8,
    hill_before_adstock = false, ...). R&F, organic and non-media channels are refused by name.
    """
    from mixscope.meridian import import_meridian

    result = import_meridian(model, run_dir, data=data, mapping=mapping, overwrite=overwrite)
    summary = result.summary
    if as_json:
        _emit_json(summary)
    else:
        _print_import(summary, run_dir)
    for warning in summary["warnings"]:
        err.print(_tagged("WARNING:", "bold red", warning), highlight=False)


def _print_import(summary: dict[str, Any], run_dir: Path) -> None:
    meridian = summary["meridian"]
    table = Table(title=f"ROI ({summary['roi_units']}), mean and 90% interval")
    for column in ("channel", "Meridian ROI", "90% interval", "Meridian mROI", "mixscope ROI"):
        table.add_column(column, justify="left" if column == "channel" else "right")
    for channel in summary["channels"]:
        roi = meridian["roi"][channel]
        table.add_row(
            channel, f"{roi['mean']:.2f}", f"[{roi['ci_90'][0]:.2f}, {roi['ci_90'][1]:.2f}]",
            f"{meridian['mroi'][channel]['mean']:.2f}", f"{summary['roi'][channel]['mean']:.2f}",
        )
    out.print(table)
    check = meridian["roi_check"]
    checked = (f"reproduced ROI within {check['max_relative_error']:.1e} of Meridian's roi_m draws"
               if check["checked"] else f"ROI not checked against roi_m ({check['reason']})")
    d = summary["diagnostics"]
    status = ("ok", "green") if summary["diagnostics_ok"] else ("FAILED", "bold red")
    out.print(Text.assemble(
        f"Imported {meridian['source_kind']} {meridian['source']}: {checked}. Meridian's chains ", status,
        f": max R-hat {d['max_rhat']:.3f}, min bulk ESS {d['min_ess_bulk']:.0f}, divergences "
        f"{d['divergences']}, R² {d['r2']:.3f}, MAPE {d['mape']:.1%}. Saved to {run_dir}.\n"
        "Meridian ROI counts the outcome inside the data window; mixscope ROI adds the carryover past its "
        f"end. Next: `mixscope surface {run_dir}`.",
    ))


# --------------------------------------------------------------------------- surface


@app.command()
@_friendly_errors
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
        _emit_json(manifest)
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


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def _interval(summary: dict[str, Any], fmt: str = ",.0f") -> str:
    low, high = summary["ci_90"]
    return f"{_number(summary['mean'], fmt)} [{_number(low, fmt)}, {_number(high, fmt)}]"


def _number(value: float, fmt: str) -> str:
    """``value`` in ``fmt``, with no sign on a figure that rounds to zero ("0", never "-0" or "+0")."""
    text = f"{value:{fmt}}"
    return text.lstrip("+-") if text.lstrip("+-").strip("0.,%") == "" else text


@app.command()
@_friendly_errors
def whatif(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory with a surface."),
    spend: str = typer.Option(..., help="CHANNEL=AMOUNT,… over the reference window; others unchanged."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Predicted outcome of a spend plan vs. the historical plan, from the stored surface."""
    from mixscope.surface import Surface

    stored = Surface.load(run_dir)
    plan = parse_spend(spend)
    result = stored.evaluate(plan)
    result["marginal_roi"] = stored.marginal(plan)
    if as_json:
        _emit_json(result)
        return
    table = Table(title=f"What-if over {stored.manifest['reference']['periods']} reference periods")
    for column in ("channel", "plan spend", "historical spend", "contribution (90% interval)", "ROI", "mROI"):
        table.add_column(column, justify="left" if column == "channel" else "right")
    historical = stored.reference_spend
    for name, channel in result["channels"].items():
        roi = "n/a" if channel["roi"] is None else f"{channel['roi']['mean']:.2f}"
        table.add_row(
            name, f"{result['spend'][name]:,.0f}", f"{historical[name]:,.0f}",
            _interval(channel["contribution"]), roi, f"{result['marginal_roi'][name]['mean']:.2f}",
        )
    out.print(table)
    out.print(
        f"Outcome ({result['units']['outcome']}): {_interval(result['outcome'])}\n"
        f"Historical plan: {_interval(result['baseline_plan_outcome'])}\n"
        f"Difference: {_interval(result['difference'], '+,.0f')}; "
        f"probability this plan beats the historical one: {result['prob_beats_baseline_plan']:.0%}"
    )


@app.command()
@_friendly_errors
def query(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory with a surface."),
    sql: str = typer.Argument(..., help="One SELECT over tables scenarios, scenario_channels, curves, "
                              "draws, predictions."),
    as_json: bool = typer.Option(False, "--json", help="Print rows as JSON."),
    limit: int = typer.Option(50, help="Rows shown in the table view (JSON returns all)."),
) -> None:
    """Query the stored surface and predictions with DuckDB SQL (one read-only statement, no file access)."""
    from mixscope.surface.query import run_query

    if limit < 1:
        raise MixscopeError(f"--limit must be 1 or more, got {limit}.")
    frame = run_query(run_dir, sql)
    if as_json:
        _emit_json(json.loads(frame.to_json(orient="records", date_format="iso")))
        return
    table = Table(title=f"{len(frame):,} rows" + (f" (first {limit})" if len(frame) > limit else ""))
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    out.print(table)


# --------------------------------------------------------------------------- calibration


def _print_calibration(calibration: dict[str, Any]) -> None:
    """Each experiment, measured versus what the calibrated model implies."""
    table = Table(title=f"Lift tests ({calibration['mode']} calibration): measured vs model-implied")
    for column in ("row", "experiment", "spend delta", "measured ± se", "model 90% interval", "agrees"):
        table.add_column(column, justify="left" if column == "experiment" else "right")
    for e in calibration["experiments"]:
        low, high = e["implied_ci_90"]
        table.add_row(
            str(e["row"]),
            f"{e['channel']}{' ' + e['geo'] if e['geo'] else ''} {e['start']}..{e['end']}",
            f"{e['spend_delta']:+,.0f}",
            f"{e['incremental_kpi']:+,.0f} ± {e['standard_error']:,.0f}",
            f"[{low:+,.0f}, {high:+,.0f}]",
            "yes" if e["consistent"] else Text("NO", style="bold red"),
        )
    out.print(table)
    for channel, known in calibration.get("identification", {}).items():
        out.print(Text(f"{channel}: the tests pin {known['pins']}; they leave open {known['leaves_open']}"))


@app.command()
@_friendly_errors
def evidence(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory from `mixscope fit`."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
) -> None:
    """Per channel: prior vs posterior ROI, how much data and experiments moved it."""
    from mixscope.calibration.evidence import evidence_report
    from mixscope.run import load_run

    report = evidence_report(load_run(run_dir))
    if as_json:
        _emit_json(report.to_dict())
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
    out.print(table)
    if report.prior_driven:
        out.print(
            f"Prior-driven: {', '.join(report.prior_driven)} — their ROI is mostly what the prior said; "
            "a lift test would help (see `mixscope next-test`)."
        )
    if report.pareto_k is not None and report.pareto_k > 0.7:
        out.print(_tagged(
            "note:", "yellow", f"the 'without tests' column is approximate (Pareto k "
            f"{report.pareto_k:.2f} > 0.7): the experiments moved the posterior far from where "
            "the data alone put it."
        ))


@app.command("next-test")
@_friendly_errors
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
        _emit_json(report.to_dict())
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
    out.print(table)
    out.print(f"Current best budget move: {report.current_decision}.")
    out.print(report.recommendation())


# --------------------------------------------------------------------------- planning

_BudgetOption = typer.Option(None, "--budget", help="Total: 1.2x (of current), 1500000, or a range 1x-1.3x.")
_MaxChangeOption = typer.Option(None, "--max-change", help="Keep channels within ±P% of current, e.g. 30%.")
_MinOption = typer.Option([], "--min", help="CHANNEL=AMOUNT lower bound (repeatable).")
_MaxOption = typer.Option([], "--max", help="CHANNEL=AMOUNT upper bound (repeatable).")
_LockOption = typer.Option([], "--lock", help="Keep CHANNEL at its current spend (repeatable).")
_TrustOption = typer.Option(
    True, "--trust-region/--no-trust-region",
    help="Keep weekly spend within the highest level the data ever showed (default on).",
)


def _constraints(
    stored, budget: str | None, max_change: str | None, minimum: list[str], maximum: list[str],
    lock: list[str], trust_region: bool, target_roi: float | None = None, target_cpa: float | None = None,
):
    from mixscope.plan import Constraints

    total = float(stored.historical_plan().sum())
    fixed, budget_range = parse_budget(budget, total) if budget is not None else (None, None)
    return Constraints(
        budget=fixed, budget_range=budget_range,
        minimum=parse_spend(",".join(minimum), "--min") if minimum else {},
        maximum=parse_spend(",".join(maximum), "--max") if maximum else {},
        max_change=None if max_change is None else parse_fraction(max_change, "--max-change"),
        locked=tuple(lock), trust_region=trust_region, target_roi=check_target(target_roi, "--target-roi"),
        target_cpa=check_target(target_cpa, "--target-cpa"),
    )


@app.command()
@_friendly_errors
def plan(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory with a surface."),
    budget: str = _BudgetOption,
    max_change: str = _MaxChangeOption,
    minimum: list[str] = _MinOption,
    maximum: list[str] = _MaxOption,
    lock: list[str] = _LockOption,
    trust_region: bool = _TrustOption,
    objective: str = typer.Option(
        None, help="mean (default: expected outcome), mean-sd:1 (less one sd of the gain), quantile:0.1 "
        "or prob-beats-current.",
    ),
    target_roi: float = typer.Option(None, help="Largest budget whose best plan returns at least this ROI."),
    target_cpa: float = typer.Option(None, help="Largest budget whose best plan costs at most this CPA."),
    tolerance: str = typer.Option("1%", help="Near-optimal: within this share of the best media outcome."),
    min_confidence: str = typer.Option(
        "80%", help="Keep the current mix unless the best plan beats it with this probability "
        "(0% = always move).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """Recommend an allocation under constraints, with near-optimal ranges and its uncertainty."""
    from mixscope.plan import DEFAULT_OBJECTIVE, Objective, optimize
    from mixscope.surface import Surface

    stored = Surface.load(run_dir)
    constraints = _constraints(stored, budget, max_change, minimum, maximum, lock, trust_region,
                               target_roi, target_cpa)
    share = parse_fraction(tolerance, "--tolerance")
    if not 0 < share < 1:
        raise MixscopeError(f"--tolerance must be between 0% and 100%, got {tolerance}.")
    confidence = parse_fraction(min_confidence, "--min-confidence")
    if not 0 <= confidence < 1:
        raise MixscopeError(f"--min-confidence must be between 0% and 100% (excluded), got {min_confidence}.")
    chosen = DEFAULT_OBJECTIVE if objective is None else Objective.parse(objective)
    result = optimize(stored, constraints, chosen, near_optimal_tolerance=share,
                      min_confidence=confidence or None)
    payload = result.to_dict()
    if as_json:
        _emit_json(payload)
        return
    _print_plan(payload, result.near_optimal.sentences())


def _probability(value: float | None) -> str:
    """A probability as a percentage, or an em dash where it compares a plan with itself."""
    return "—" if value is None else f"{value:.0%}"


def _print_plan(payload: dict[str, Any], sentences: list[str]) -> None:
    table = Table(title=f"Recommended allocation (maximising {payload['objective']})")
    for column in ("channel", "current", "recommended", "change", "near-optimal share", "mROI after"):
        table.add_column(column, justify="left" if column == "channel" else "right")
    for name, spend in payload["allocation"].items():
        current = payload["current"][name]
        ranges = payload["near_optimal_ranges"][name]
        relative = 0.0 if current == 0 else spend / current - 1
        change = "n/a" if current == 0 else ("0%" if abs(relative) < 0.005 else f"{relative:+.0%}")
        table.add_row(
            name, f"{current:,.0f}", f"{spend:,.0f}", change,
            f"{ranges['share_min']:.0%}–{ranges['share_max']:.0%}",
            f"{payload['marginal_roi'][name]['mean']:.2f}",
        )
    out.print(table)
    out.print(
        f"Total {payload['total_budget']:,.0f} (current {payload['current_total']:,.0f}). "
        f"Expected outcome {_interval(payload['expected_outcome'])} vs current "
        f"{_interval(payload['current_outcome'])}.\n"
        f"Uplift {_interval(payload['uplift'], '+,.0f')} ({_number(payload['uplift_relative'], '+.2%')}); "
        f"probability of beating the current plan: {_probability(payload['prob_beats_current'])}.\n"
        f"Decision: {payload['decision']}."
    )
    for name, reason in payload["binding_constraints"].items():
        out.print(f"  {name}: {reason}")
    move = payload.get("next_dollar_at_current")
    if move:
        out.print(
            f"At current spend the next dollar earns most in {move['to']} and least in {move['from']} "
            f"(+{move['gain_per_dollar']:.2f} per dollar moved; "
            f"probability it pays: {move['prob_to_beats_from']:.0%})."
        )
    for line in [*sentences, *payload["notes"]]:
        out.print(f"- {line}")


@app.command()
@_friendly_errors
def frontier(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory with a surface."),
    levels: str = typer.Option(None, help="LOW:HIGH:STEP budget multiples (default: the surface's levels)."),
    max_change: str = _MaxChangeOption,
    minimum: list[str] = _MinOption,
    maximum: list[str] = _MaxOption,
    lock: list[str] = _LockOption,
    trust_region: bool = _TrustOption,
    target_mroi: float = typer.Option(1.0, help="Mark where the marginal return falls below this."),
    save: Path = typer.Option(None, "--out", "-o", help="Also write the table to CSV."),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON records."),
) -> None:
    """Best achievable outcome per total budget, with its interval, mROI and allocation."""
    import numpy as np

    from mixscope.plan import frontier as efficient_frontier
    from mixscope.surface import Surface

    stored = Surface.load(run_dir)
    constraints = _constraints(stored, None, max_change, minimum, maximum, lock, trust_region)
    grid = None
    if levels:
        try:
            low, high, step = (float(part) for part in levels.split(":"))
        except ValueError:
            raise MixscopeError(f"--levels must be LOW:HIGH:STEP, e.g. 0.5:2:0.1; got '{levels}'.") from None
        if not 0 < low <= high or step <= 0:
            raise MixscopeError(f"--levels needs 0 < LOW <= HIGH and STEP > 0; got '{levels}'.")
        grid = np.round(np.arange(low, high + step / 2, step), 10)
    table = efficient_frontier(stored, constraints, grid, target_mroi=target_mroi)
    if save is not None:
        table.to_csv(save, index=False)
    if as_json:
        _emit_json(json.loads(table.to_json(orient="records")))
        return
    view = Table(title="Efficient frontier (best expected outcome per budget)")
    for column in ("budget", "total spend", "outcome (90% interval)", "ROI", "marginal ROI", ""):
        view.add_column(column, justify="right")
    for row in table.itertuples(index=False):
        if not row.feasible:
            view.add_row(
                f"{row.budget_level:.2f}x", f"{row.total_spend:,.0f}", "infeasible under constraints",
                "", "", "",
            )
            continue
        marginal = "" if np.isnan(row.marginal_roi_mean) else f"{row.marginal_roi_mean:.2f}"
        view.add_row(
            f"{row.budget_level:.2f}x", f"{row.total_spend:,.0f}",
            f"{row.outcome_mean:,.0f} [{row.outcome_q05:,.0f}, {row.outcome_q95:,.0f}]",
            f"{row.roi_mean:.2f}", marginal, f"← mROI < {target_mroi:g}" if row.crosses_target else "",
        )
    out.print(view)
    if save is not None:
        out.print(f"Saved to {save}.")


# --------------------------------------------------------------------------- report and web planner


@app.command()
@_friendly_errors
def report(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory (surface: curves, plan)."),
    output: Path = typer.Option(Path("report.html"), "-o", "--output", help="HTML file to write."),
    narrative: bool = typer.Option(True, "--narrative/--no-narrative", help="Include the narrative."),
    as_json: bool = typer.Option(False, "--json", help="Print {path, bytes, sections} as JSON."),
) -> None:
    """Write a self-contained HTML report (charts, diagnostics, plan) that opens offline."""
    from mixscope.report import build_report, check_output

    check_output(output)
    built = build_report(run_dir, narrative=narrative)
    built.save(output)
    missing = {s.key: s.unavailable for s in built.sections if s.unavailable}
    if as_json:
        _emit_json({"path": str(output), "bytes": output.stat().st_size,
                    "sections": [s.key for s in built.sections], "unavailable": missing})
        return
    out.print(f"Wrote {output} ({output.stat().st_size / 1e6:.1f} MB, {len(built.sections)} sections).")
    for key, reason in missing.items():
        err.print(_tagged("note:", "yellow", f"section {key}: {reason}"), highlight=False)


@app.command()
@_friendly_errors
def serve(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory with a surface."),
    host: str = typer.Option("127.0.0.1", help="Address to bind; anything but loopback needs a token."),
    port: int = typer.Option(8000, help="Port to listen on."),
    token: str = typer.Option(None, help="Shared secret API clients must send (Authorization: Bearer)."),
    generate_token: bool = typer.Option(False, "--generate-token", help="Make up a token and print it."),
    live_draws: str = typer.Option(
        str(DEFAULT_LIVE_DRAWS),
        help="Answer what-if queries from this many posterior draws when the surface has more (a fixed, "
             "seeded subset; each answer says how many), or 'all'. Planning always uses every draw."),
    workers: int = typer.Option(
        1, help="Server processes sharing the port, each with its own copy of the surface: more queries "
                "per second with spare cores; on 2 cores shared with the clients the p99 gets worse."),
) -> None:
    """Web planner: sliders, live outcome with intervals, mROI, frontier, optimiser (from the surface)."""
    from mixscope.serve import check_bind, check_workers, run_server
    from mixscope.serve import generate_token as new_token
    from mixscope.serve.whatif import parse_live_draws

    if generate_token and token:
        raise MixscopeError("Pass either --token or --generate-token, not both.")
    token = new_token() if generate_token else token
    check_bind(host, token)
    draws = parse_live_draws(live_draws)
    check_workers(workers)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    shown_token = f"\nToken: {token}" if token else ""
    err.print(f"Planner for {run_dir} at {url}{shown_token}\nCtrl+C to stop.", highlight=False)
    run_server(run_dir, host=host, port=port, token=token, live_draws=draws, workers=workers)


# --------------------------------------------------------------------------- explain


@app.command()
@_friendly_errors
def explain(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory (a surface adds the plan)."),
    model: str = typer.Option(
        None, help="Local GGUF model file (default: $MIXSCOPE_LLM_MODEL); with --endpoint, the model name."
    ),
    endpoint: str = typer.Option(
        None, help="OpenAI-compatible API on your own server, e.g. http://127.0.0.1:8080/v1."
    ),
    audience: str = typer.Option("executive", help="executive or analyst."),
    max_retries: int = typer.Option(2, help="Retries with the verifier's objections before the template."),
    as_json: bool = typer.Option(False, "--json", help="Print the explanation as JSON."),
) -> None:
    """Explain a run in business language; every number stated is checked against the run's facts."""
    from mixscope.insights import explain_run
    from mixscope.run_files import verify_run

    verify_run(run_dir)  # explain reads summary.json and the surface: both only from an intact run
    explanation = explain_run(run_dir, model=model, endpoint=endpoint, audience=audience,
                              max_retries=max_retries)
    if as_json:
        _emit_json(explanation.to_dict())
        return
    out.print(explanation.markdown(), markup=False, highlight=False)


# --------------------------------------------------------------------------- ask


@app.command()
@_friendly_errors
def ask(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory with a surface."),
    question: str = typer.Argument(..., metavar="QUESTION",
                                   help="A planner's question, e.g. \"what if we cut tv by 20% and move it "
                                        "to search?\""),
    model: str = typer.Option(
        None, help="Local GGUF model that reads the question (default: $MIXSCOPE_LLM_MODEL; none: the "
                   "rule-based reader); with --endpoint, the model name."
    ),
    endpoint: str = typer.Option(None, help="OpenAI-compatible API on your own server."),
    as_json: bool = typer.Option(False, "--json", help="Print {request, answer, verified, ...} as JSON."),
) -> None:
    """Answer a question in plain language from the stored surface, with 90% intervals, verified."""
    from mixscope.insights.ask import ask_run
    from mixscope.run_files import verify_run

    verify_run(run_dir)  # the answer comes from the surface: only from an intact run
    answer = ask_run(run_dir, question, model=model, endpoint=endpoint)
    if as_json:
        _emit_json(answer.to_dict())
        return
    status = {True: "verified against the surface's figures", False: "NOT verified",
              None: "nothing to verify"}[answer.verified]
    out.print(Text(answer.answer))
    out.print(Text(f"(request: {answer.request.to_dict()}; read by the {answer.backend} reader; {status})",
                   style="dim"))
