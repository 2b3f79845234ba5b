"""``fit``: the Bayesian or ridge engine on a spec, saved as a run directory."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from mixscope.choices import RIDGE_METHODS
from mixscope.cli._app import app
from mixscope.cli._output import EXIT_INVALID, emit_json, err, friendly_errors, out, print_table, tagged
from mixscope.errors import SpecError
from mixscope.spec import CALIBRATION_MODES


class Engine(StrEnum):
    """``--engine``; Typer lists the choices in ``--help`` and refuses any other."""

    bayes = "bayes"
    ridge = "ridge"


# ``--method``: from the JAX-free list the ridge package itself uses.
RidgeMethod = StrEnum("RidgeMethod", [(method, method) for method in RIDGE_METHODS])


# ``--calibration-mode``: the spec's own list, so a new mode needs no CLI edit.
CalibrationMode = StrEnum("CalibrationMode", [(mode, mode) for mode in CALIBRATION_MODES])


@app.command()
@friendly_errors
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
    calibration_mode: CalibrationMode = typer.Option(
        None, "--calibration-mode", help="likelihood (default) or prior; overrides [calibration] mode."
    ),
    engine: Engine = typer.Option(
        Engine.bayes, help="bayes (NUTS, default) or ridge (frequentist: evolutionary search + bootstrap)."
    ),
    method: RidgeMethod = typer.Option(None, help="With --engine ridge: ols, ridge (default) or lasso."),
    iterations: int = typer.Option(
        None, help="With --engine ridge: search evaluations per trial (default 2000; 0 = no search)."
    ),
    trials: int = typer.Option(None, help="With --engine ridge: independent search trials (default 5)."),
    pick: int = typer.Option(None, help="With --engine ridge: candidate to keep (default 1, the best)."),
) -> None:
    """Fit the MMM (Bayesian, or --engine ridge) and save a run directory (atomically)."""
    from mixscope.data import load_dataset
    from mixscope.pipeline import data_warning_lines
    from mixscope.pipeline import fit as fit_model
    from mixscope.run import check_target, save_run
    from mixscope.spec import load_spec

    spec = load_spec(spec_path).with_sampler(chains=chains, warmup=warmup, draws=draws, seed=seed)
    # Plain strings from here on: the choices are the library's own names.
    mode = None if calibration_mode is None else calibration_mode.value
    method_name = None if method is None else method.value
    if experiments is not None or mode is not None:
        spec = spec.with_calibration(experiments, mode)
        if spec.calibration.experiments is None:
            raise SpecError("--calibration-mode needs experiments: pass --experiments FILE.")
    ridge_options = {"--method": method_name, "--iterations": iterations, "--trials": trials, "--pick": pick}
    if engine is Engine.bayes and any(value is not None for value in ridge_options.values()):
        used = ", ".join(name for name, value in ridge_options.items() if value is not None)
        raise SpecError(f"{used} only apply to the ridge engine; add --engine ridge.")
    check_target(run_dir, overwrite)
    dataset, report = load_dataset(spec)
    for finding in report.warnings:
        err.print(tagged("data warning:", "yellow", finding.message), highlight=False)
    iterations = 2000 if iterations is None else iterations
    trials = 5 if trials is None else trials
    if not as_json:
        shape = f"{dataset.n_channels} channels × {dataset.n_times} periods × {dataset.n_geos} geo(s)"
        if engine is Engine.ridge:
            err.print(
                f"Fitting {method_name or 'ridge'} on {shape}: {trials} trials × {iterations} candidates…"
            )
        else:
            err.print(
                f"Fitting {shape}: {spec.sampler.chains} chains × "
                f"({spec.sampler.warmup} warmup + {spec.sampler.draws} draws)…"
            )
    if engine is Engine.ridge:
        from mixscope.ridge import fit_ridge

        result = fit_ridge(
            spec, dataset, method=method_name or "ridge", iterations=iterations, trials=trials,
            seed=spec.sampler.seed, pick=pick,
        )
        result.summary["warnings"][:0] = data_warning_lines(report.warnings)
    else:
        result = fit_model(spec, dataset, progress=not as_json, data_warnings=report.warnings)
    save_run(result, run_dir, overwrite=overwrite)
    summary = result.summary
    if as_json:
        emit_json(summary)
    else:
        _print_fit(summary, run_dir)
        if "calibration" in summary:
            _print_calibration(summary["calibration"])
    data_lines = set(data_warning_lines(report.warnings))  # already printed before the fit
    for warning in summary["warnings"]:
        if warning in data_lines:
            continue
        err.print(tagged("WARNING:", "bold red", warning), highlight=False)
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
            f"{channel} *" if channel in summary.get("prior_driven", ()) else channel,
            f"{roi['mean']:.2f}",
            f"[{roi['ci_90'][0]:.2f}, {roi['ci_90'][1]:.2f}]",
            f"{mroi['mean']:.2f}",
            f"{share['mean']:.1%}",
        )
    print_table(table)
    _print_frequency(summary)
    prior_driven = [name for name in summary["channels"] if name in summary.get("prior_driven", ())]
    if prior_driven:
        out.print(Text(
            f"* prior-driven: the ROI of {', '.join(prior_driven)} is mostly the prior's (the data barely "
            "narrowed or moved it); `mixscope evidence` shows how much, a lift test would measure it.",
            style="yellow",
        ))
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


def _print_frequency(summary: dict[str, Any]) -> None:
    """Reach & frequency channels: the historical frequency plans use, and the ROI-maximising one."""
    channels = summary.get("reach_frequency", {})
    if not channels:
        return
    table = Table(title="Reach & frequency: planned by spend at the historical frequency")
    for column in ("channel", "historical frequency", "optimal frequency", "90% interval"):
        table.add_column(column, justify="left" if column == "channel" else "right")
    for name, entry in channels.items():
        optimal = entry["optimal_frequency"]
        table.add_row(name, f"{entry['historical_frequency']:.2f}", f"{optimal['median']:.2f}",
                      f"[{optimal['ci_90'][0]:.2f}, {optimal['ci_90'][1]:.2f}]")
    print_table(table)


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
    print_table(table)
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
    print_table(table)
    for channel, known in calibration.get("identification", {}).items():
        out.print(Text(f"{channel}: the tests pin {known['pins']}; they leave open {known['leaves_open']}"))
