"""A self-contained HTML report of a run: data, fit, contributions, ROI, curves, diagnostics, plan.

``write_report(run_dir, "report.html")`` (CLI: ``mixscope report RUN_DIR -o report.html``).
Plotly's JavaScript is embedded from the installed package: no CDN, no network.
``export_run(run_dir, "results.xlsx")`` (CLI: ``mixscope export``) writes the same numbers as tables.

Modules: :mod:`~mixscope.report.html` (the report), :mod:`~mixscope.report.figures` (one function per
chart), :mod:`~mixscope.report.export` (the tables), :mod:`~mixscope.report.baseline` (the baseline
split into trend, seasonality and controls) and :mod:`~mixscope.report.ticks` (round axis ticks).
"""

from mixscope.report.export import export_run
from mixscope.report.html import Report, Section, build_report, check_output, write_report

__all__ = ["Report", "Section", "build_report", "check_output", "export_run", "write_report"]
