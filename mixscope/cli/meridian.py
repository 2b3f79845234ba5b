"""``import-meridian``: a fitted Google Meridian model as a mixscope run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from mixscope.cli._app import app
from mixscope.cli._output import emit_json, err, friendly_errors, out, print_table, tagged


@app.command("import-meridian")
@friendly_errors
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
        emit_json(summary)
    else:
        _print_import(summary, run_dir)
    for warning in summary["warnings"]:
        err.print(tagged("WARNING:", "bold red", warning), highlight=False)


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
    print_table(table)
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
