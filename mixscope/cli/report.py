"""``report``: the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

import typer

from mixscope.cli._app import app
from mixscope.cli._output import emit_json, err, friendly_errors, out, tagged


@app.command()
@friendly_errors
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
        emit_json({"path": str(output), "bytes": output.stat().st_size,
                    "sections": [s.key for s in built.sections], "unavailable": missing})
        return
    out.print(f"Wrote {output} ({output.stat().st_size / 1e6:.1f} MB, {len(built.sections)} sections).")
    for key, reason in missing.items():
        err.print(tagged("note:", "yellow", f"section {key}: {reason}"), highlight=False)
