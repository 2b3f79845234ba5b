"""``init`` and ``validate``: a starter spec from a data file, and the data gate before a fit."""

from __future__ import annotations

import os
import shutil
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import tomli_w
import typer

from mixscope.cli._app import app
from mixscope.cli._output import EXIT_INVALID, emit_json, err, friendly_errors, out
from mixscope.data.findings import plural
from mixscope.errors import SpecError

if TYPE_CHECKING:
    from mixscope.starter import ColumnMapping, Starter


@app.command()
@friendly_errors
def init(
    data: Path = typer.Argument(None, help="CSV/Parquet data file to describe."),
    output: Path = typer.Option(Path("mixscope.toml"), "-o", "--output", help="Spec file to write."),
    kpi: str = typer.Option(None, help="KPI column, when it is not revenue/sales/conversions."),
    spend_suffix: list[str] = typer.Option(
        None, "--spend-suffix", metavar="SUFFIX",
        help="Spend columns end with this (repeatable), instead of _spend/_S.",
    ),
    channel: list[str] = typer.Option(
        None, "--channel", metavar="NAME=COLUMN",
        help="Channel NAME's spend is COLUMN (repeatable).",
    ),
    exposure: list[str] = typer.Option(
        None, "--exposure", metavar="NAME=COLUMN",
        help="Channel NAME's exposure is COLUMN (repeatable).",
    ),
    control: list[str] = typer.Option(
        None, "--control", metavar="COLUMN",
        help="A control column (repeatable); when given, the only controls.",
    ),
    mapping: Path = typer.Option(
        None, "--mapping", metavar="FILE",
        help="TOML file with the same keys: spend_suffix, channels, exposure, controls.",
    ),
    example: bool = typer.Option(False, help="Use the bundled simulated example data."),
    force: bool = typer.Option(False, help="Overwrite an existing spec file."),
) -> None:
    """Write a starter spec by convention (date, spend channels and exposure, KPI, controls).

    Recognises mixscope's naming (tv_spend, tv_impressions), Robyn's (tv_S, facebook_I,
    search_clicks_P) and Meridian's (Channel0_spend, Channel0_impression); the options map
    what the names do not say.
    """
    from mixscope.starter import ColumnMapping, load_mapping, mapping_from_options

    if output.exists() and not force:
        raise SpecError(f"{output} already exists; pass --force to overwrite it.")
    said = load_mapping(mapping) if mapping is not None else ColumnMapping()
    said = said.then(mapping_from_options(spend_suffix or (), channel or (), exposure or (),
                                          control or ()))
    if example:
        source = resources.files("mixscope.examples") / "simulated_national.csv"
        data = output.parent / "simulated_national.csv"
    elif data is None:
        raise SpecError("Name a data file (`mixscope init DATA.csv`) or pass --example.")
    output.parent.mkdir(parents=True, exist_ok=True)
    if example:
        with resources.as_file(source) as path:
            shutil.copyfile(path, data)
    relative = os.path.relpath(data.resolve(), output.resolve().parent)
    starter = _starter_for_file(data, relative, kpi, said)
    spec = starter.spec
    output.write_text(tomli_w.dumps(spec), encoding="utf-8")
    out.print(
        f"Wrote {output}: {len(spec['channels'])} channels, KPI {spec['data']['kpi']!r}, "
        f"{len(spec['data']['controls'])} controls, {plural(len(starter.ignored), 'column')} "
        "not used.",
        highlight=False,
    )
    for line in starter.describe():
        out.print(f"  {line}", highlight=False)
    out.print("Review it, then run `mixscope validate` and `mixscope fit`.", highlight=False)


def _starter_for_file(
    data: Path, path_in_spec: str, kpi: str | None, mapping: ColumnMapping | None = None
) -> Starter:
    """Read a data file and guess a starter spec from its columns (a :class:`Starter`)."""
    from mixscope.data import load_table
    from mixscope.spec import DataSpec
    from mixscope.starter import guess_starter

    frame = load_table(DataSpec(path=data.resolve()))
    columns = {name: pd.api.types.is_numeric_dtype(frame[name]) for name in frame.columns}
    categorical = categorical_columns(frame)
    return guess_starter(columns, path_in_spec, kpi=kpi, mapping=mapping, categorical=categorical)


def categorical_columns(frame: pd.DataFrame) -> list[str]:
    """Text columns with a few levels besides "no event": what ``init`` proposes as events."""
    from mixscope.data.events import MAX_EVENT_LEVELS, event_levels

    return [
        str(name) for name in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[name])
        and 0 < len(event_levels(frame[name].tolist())) <= MAX_EVENT_LEVELS
    ]


def _spec_for(target: Path, kpi: str | None):
    """A spec from a TOML file, or a starter spec guessed from a data file."""
    from mixscope.spec import load_spec, parse_spec

    if target.suffix.lower() == ".toml":
        return load_spec(target)
    return parse_spec(_starter_for_file(target, str(target.resolve()), kpi).spec, source=target)


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
