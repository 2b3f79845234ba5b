"""``init`` and ``validate``: a starter spec from a data file, and the data gate before a fit."""

from __future__ import annotations

import os
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w
import typer

from mixscope.cli._app import app
from mixscope.cli._output import EXIT_INVALID, emit_json, err, friendly_errors, out
from mixscope.errors import SpecError


@app.command()
@friendly_errors
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


def _starter_spec_for_file(data: Path, path_in_spec: str, kpi: str | None) -> dict[str, Any]:
    """Read a data file and guess a starter spec (as a dict) from its columns."""
    from mixscope.data import load_table
    from mixscope.spec import DataSpec
    from mixscope.starter import starter_spec

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
@friendly_errors
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
        emit_json(report.to_dict())
    else:
        (out if report.ok else err).print(report.format(), highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(EXIT_INVALID)
