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

from mixscope.errors import MixscopeError, SpecError

app = typer.Typer(
    help="Bayesian marketing mix modelling: validate data, fit, and query the results.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

EXIT_INVALID = 1  # validation errors or failed diagnostics under --strict
EXIT_USAGE = 2  # bad spec, unreadable data, bad arguments


def _friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into one clear stderr paragraph and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except MixscopeError as error:
            err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(error.exit_code) from None
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            err.print("interrupted: nothing was written.")
            raise typer.Exit(130) from None
        except Exception as error:  # noqa: BLE001 - last line of defence against tracebacks
            if os.environ.get("MIXSCOPE_DEBUG"):
                raise
            err.print(
                f"[bold red]internal error:[/] {type(error).__name__}: {error}\n"
                "This is a bug in mixscope. Re-run with MIXSCOPE_DEBUG=1 for the traceback "
                "and report it.",
                highlight=False, soft_wrap=True,
            )
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
) -> None:
    """Fit the Bayesian MMM and save a run directory (atomically)."""
    from mixscope.data import load_dataset
    from mixscope.model.fit import fit as fit_model
    from mixscope.model.run import check_target, save_run
    from mixscope.spec import load_spec

    spec = load_spec(spec_path).with_sampler(chains=chains, warmup=warmup, draws=draws, seed=seed)
    check_target(run_dir, overwrite)
    dataset, report = load_dataset(spec)
    for finding in report.warnings:
        err.print(f"[yellow]data warning:[/] {finding.message}", highlight=False, soft_wrap=True)
    if not as_json:
        err.print(
            f"Fitting {dataset.n_channels} channels × {dataset.n_times} periods × "
            f"{dataset.n_geos} geo(s): {spec.sampler.chains} chains × "
            f"({spec.sampler.warmup} warmup + {spec.sampler.draws} draws)…"
        )
    result = fit_model(spec, dataset, progress=not as_json)
    save_run(result, run_dir, overwrite=overwrite)
    summary = result.summary
    if as_json:
        _emit_json(summary)
    else:
        _print_fit(summary, run_dir)
    for warning in summary["warnings"]:
        err.print(f"[bold red]WARNING:[/] {warning}", highlight=False, soft_wrap=True)
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
    status = "[green]ok[/]" if summary["diagnostics_ok"] else "[bold red]FAILED[/]"
    out.print(
        f"Diagnostics {status}: max R-hat {d['max_rhat']:.3f}, min bulk ESS {d['min_ess_bulk']:.0f}, "
        f"divergences {d['divergences']}, R² {d['r2']:.3f}, MAPE {d['mape']:.1%}, "
        f"holdout MAPE {holdout}. Fit took {summary['fit_seconds']:.1f} s. Saved to {run_dir}."
    )
