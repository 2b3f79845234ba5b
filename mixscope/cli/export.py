"""``export``: a run's numbers as an Excel workbook or a folder of CSV files."""

from __future__ import annotations

from pathlib import Path

import typer

from mixscope.cli._app import app
from mixscope.cli._output import emit_json, err, friendly_errors, out, tagged


@app.command()
@friendly_errors
def export(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory (surface: curves, frontier)."),
    output: Path = typer.Option(
        ..., "-o", "--output", help="FILE.xlsx for one workbook, or a folder (DIR/) for one CSV per table."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print {path, tables, skipped} as JSON."),
) -> None:
    """Export ROI, mROI, contributions, the decomposition, curves, the frontier and saved scenarios."""
    from mixscope.report.export import export_run

    path, built = export_run(run_dir, output)  # refuses an unusable -o before reading the run
    tables = ["README", *(table.name for table in built.tables)]
    if as_json:
        emit_json({"path": str(path), "tables": tables, "skipped": built.skipped})
        return
    kind = "workbook" if path.suffix.lower() == ".xlsx" else "folder of CSV files"
    out.print(f"Wrote {path} ({kind}): {', '.join(tables)}.")
    for name, reason in built.skipped.items():
        err.print(tagged("skipped:", "yellow", f"{name}: {reason}"), highlight=False)
