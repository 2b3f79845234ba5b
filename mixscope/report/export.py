"""A run's numbers as tables for a deck or a finance team: one Excel workbook or a folder of CSV files.

``export_run(run_dir, "results.xlsx")`` (CLI: ``mixscope export RUN_DIR -o results.xlsx`` or
``-o results/``). The tables hold the numbers the run already states: channel metrics straight from
``summary.json``, the decomposition from the report's own function, curves and the frontier from the
stored surface. Nothing is refitted. A README table says what each table is, the run, the KPI and
the units, and which tables were left out and why.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixscope import __version__
from mixscope.errors import MixscopeError
from mixscope.report.baseline import baseline_components
from mixscope.report.figures import curve_band, decomposition
from mixscope.serve.scenarios import SCENARIOS_FILE  # the planner's saved scenarios, where a run has them
from mixscope.storage import atomic_directory, write_bytes_atomically

README = "README"
# A spreadsheet reads a cell starting with one of these as a formula: user data must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    """One exported table: its name (sheet / file stem), what it is, its units and its rows."""

    name: str
    description: str
    units: str
    frame: pd.DataFrame


@dataclass(frozen=True)
class Export:
    """What an export writes: the tables in order, the run's facts, and what was left out and why."""

    tables: tuple[Table, ...]
    facts: tuple[tuple[str, str], ...]
    skipped: dict[str, str]

    def readme(self) -> pd.DataFrame:
        """The README table: the run's facts, then one row per table (written or skipped)."""
        rows = [(item, value, "") for item, value in self.facts]
        rows += [(f"table {t.name}", t.description, t.units) for t in self.tables]
        rows += [(f"table {name} (not exported)", reason, "") for name, reason in self.skipped.items()]
        return pd.DataFrame(rows, columns=["item", "description", "units"])


def build_export(run_dir: str | Path) -> Export:
    """Read ``run_dir`` (and its surface and saved scenarios, where it has them) into tables."""
    from mixscope.run import load_run

    run_dir = Path(run_dir)
    run = load_run(run_dir)
    summary = run.summary
    money = run.spec.data.currency or "the data's currency"
    outcome = "revenue" if str(summary.get("roi_units", "")).startswith("revenue") else f"{summary['kpi']}"
    tables = [
        Table("channels", "Per channel (and the baseline): spend, ROI, marginal ROI, incremental outcome "
              "and share of the KPI, each as mean, median and 90% interval (q05, q95), as in summary.json. "
              "incremental_* is ROI × spend.",
              f"spend: {money} over the fitted periods; ROI and mROI: {summary['roi_units']}; "
              f"incremental_*: {outcome}; share: fraction of the predicted KPI (0-1)",
              channel_metrics(summary)),
        Table("decomposition", "Per period, summed over geos: the baseline and each channel's contribution "
              "(posterior means); these columns add up to the predicted KPI. The baseline: * columns split "
              "the baseline into trend, seasonality and each control, and add up to it.",
              f"{summary['kpi']} per period",
              decomposition(run.predictions, summary["channels"], baseline_components(run))),
    ]
    skipped: dict[str, str] = {}
    surface, reason = _surface(run_dir)
    if surface is None:
        skipped |= {"response_curves": reason, "frontier": reason}
    else:
        units = surface.units
        tables += [
            Table("response_curves", "Per channel and spend level: incremental outcome over the surface's "
                  "reference window, mean and 90% band (q05, q95).",
                  f"spend: {units['spend']}; outcome: {units['outcome']}", response_curve_table(surface)),
            Table("frontier", "Best expected outcome per total budget (mean, 90% interval), with the "
                  "allocation per channel (spend_*) and the marginal ROI between budget levels.",
                  f"spend: {units['spend']}; outcome: {units['outcome']}; ROI: {units['roi']}",
                  frontier_table(surface)),
        ]
    scenarios = saved_scenarios(run_dir)
    if scenarios is None:
        skipped["scenarios"] = f"no saved scenarios ({SCENARIOS_FILE}) in the run folder."
    else:
        tables.append(Table("scenarios", "Scenarios saved in the planner, one row per scenario.",
                            f"spend: {money} over the reference window", scenarios))
    facts = (
        ("run", str(run_dir)),
        ("KPI", f"{summary['kpi']} ({summary.get('kpi_type', 'unknown')})"),
        ("periods", "{start} … {end} ({count} periods)".format(**summary["periods"])),
        ("geos", ", ".join(summary.get("geos", ["national"]))),
        ("engine", str(summary.get("engine", "bayes"))),
        ("ROI units", str(summary["roi_units"])),
        ("money", f"amounts are in {money}"),
        ("intervals", "90% equal-tailed intervals: q05 and q95 are the 5% and 95% quantiles"),
        ("exported", f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC by mixscope {__version__}"),
    )
    return Export(tuple(tables), facts, skipped)


def export_run(run_dir: str | Path, output: str | Path) -> tuple[Path, Export]:
    """Build the export of ``run_dir`` and write it to ``output``: an ``.xlsx`` file or a folder of CSV."""
    output = check_export_output(output)
    built = build_export(run_dir)
    return write_export(built, output), built


def write_export(built: Export, output: str | Path) -> Path:
    """Write ``built`` atomically: one workbook for an ``.xlsx`` path, else a folder of CSV files."""
    output = check_export_output(output)
    if output.suffix.lower() == ".xlsx":
        write_bytes_atomically(output, workbook_bytes(built))
    else:
        _write_csv_folder(built, output)
    return output


def check_export_output(output: str | Path) -> Path:
    """``output`` as a workbook or a folder an export may fill; refused before any work otherwise."""
    output = Path(output)
    if output.suffix.lower() == ".xlsx":
        if output.is_dir():
            raise MixscopeError(f"-o {output} is a folder; name the workbook differently, e.g. "
                                f"-o {output.with_suffix('')}.xlsx, or drop .xlsx for CSV files.")
        output.parent.mkdir(parents=True, exist_ok=True)
        return output
    if output.exists() and not output.is_dir():
        raise MixscopeError(f"-o {output} is a file; give a .xlsx file for one workbook, or a folder for "
                            "CSV files.")
    if output.suffix and not output.is_dir():
        raise MixscopeError(f"-o {output}: give a .xlsx file for one workbook, or a folder for CSV files "
                            f"(e.g. -o {output.with_suffix('')}/).")
    if output.is_dir() and any(not _is_export_file(path) for path in output.iterdir()):
        raise MixscopeError(f"-o {output} is a folder holding other files; an export replaces the whole "
                            "folder, so give a new or empty one.")
    output.parent.mkdir(parents=True, exist_ok=True)
    return output


def _is_export_file(path: Path) -> bool:
    return path.is_file() and path.suffix == ".csv"


# --------------------------------------------------------------------------- tables


def channel_metrics(summary: Mapping[str, Any]) -> pd.DataFrame:
    """One row per channel (with their frequencies for reach & frequency channels), then each organic
    medium's and the baseline's share, as summary.json has them."""
    metrics = {key: summary[key] for key in ("roi", "mroi", "cpa") if key in summary}
    rows = []
    for name in summary["channels"]:
        spend = float(summary["spend"][name])
        row: dict[str, Any] = {"source": name, "kind": "channel", "spend": spend}
        for key, values in metrics.items():
            row |= _interval_columns(key, values[name])
        # ROI is incremental outcome / spend draw by draw, so × spend gives its mean and quantiles exactly.
        row |= _interval_columns("incremental", summary["roi"][name], scale=spend)
        if "contribution_share" in summary:
            row |= _interval_columns("contribution_share", summary["contribution_share"][name])
        if name in summary.get("reach_frequency", {}):  # planned at its historical frequency
            entry = summary["reach_frequency"][name]
            row |= {"kind": "reach & frequency", "historical_frequency": entry["historical_frequency"],
                    **_interval_columns("optimal_frequency", entry["optimal_frequency"])}
        rows.append(row)
    for name, share in summary.get("organic_contribution_share", {}).items():  # no spend, so no ROI
        rows.append({"source": name, "kind": "organic", **_interval_columns("contribution_share", share)})
    if summary.get("baseline_share"):
        rows.append({"source": "baseline", "kind": "baseline",
                     **_interval_columns("contribution_share", summary["baseline_share"])})
    return pd.DataFrame(rows)


def _interval_columns(prefix: str, values: Mapping[str, Any], scale: float = 1.0) -> dict[str, float]:
    low, high = values["ci_90"]
    median = values.get("median", np.nan)
    return {f"{prefix}_mean": values["mean"] * scale, f"{prefix}_median": median * scale,
            f"{prefix}_q05": low * scale, f"{prefix}_q95": high * scale}


def response_curve_table(surface: Any) -> pd.DataFrame:
    """Long table: channel, spend, incremental KPI (and revenue, when the KPI is not revenue) with bands."""
    curves = surface.curves
    responses = {"kpi": curves.kpi}
    if surface.units.get("kpi_type") != "revenue":
        responses["revenue"] = curves.revenue
    parts = []
    for c, name in enumerate(curves.channels):
        part: dict[str, Any] = {"channel": name, "spend": curves.spend_grid[c],
                                "reference_spend": curves.reference_spend[c]}
        for label, response in responses.items():
            mean, low, high = curve_band(response[:, c, :])
            part |= {f"incremental_{label}_mean": mean, f"incremental_{label}_q05": low,
                     f"incremental_{label}_q95": high}
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)


def frontier_table(surface: Any) -> pd.DataFrame:
    """The report's frontier (default constraints), one row per budget level."""
    from mixscope.plan import Constraints, frontier

    return frontier(surface, Constraints())


def saved_scenarios(run_dir: Path) -> pd.DataFrame | None:
    """The run folder's saved scenarios flattened one per row (nested keys joined by "."), or None."""
    path = run_dir / SCENARIOS_FILE
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise MixscopeError(f"{path} is not valid JSON ({error}); fix or remove it, then export again.") \
            from None
    if isinstance(document, Mapping):
        document = document.get("scenarios", document)
    if isinstance(document, Mapping):  # {name: scenario}
        document = [{"name": name, **(value if isinstance(value, Mapping) else {"value": value})}
                    for name, value in document.items()]
    if not isinstance(document, list):
        raise MixscopeError(f"{path} holds no list of scenarios; fix or remove it and export again.")
    return pd.json_normalize(document)


def _surface(run_dir: Path) -> tuple[Any, str]:
    from mixscope.surface import Surface

    try:
        return Surface.load(run_dir), ""
    except MixscopeError as error:
        return None, str(error)


# --------------------------------------------------------------------------- writing


def workbook_bytes(built: Export) -> bytes:
    """The workbook: README first, then one sheet per table; every text cell guarded as text."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, frame in ((README, built.readme()), *((t.name, t.frame) for t in built.tables)):
        sheet = book.create_sheet(name)
        sheet.append([_excel_value(column) for column in frame.columns])
        for row in frame.itertuples(index=False):
            sheet.append([_excel_value(value) for value in row])
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _excel_value(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None  # an empty cell; Excel has no NaN
    return value


def _write_csv_folder(built: Export, output: Path) -> None:
    with atomic_directory(output) as staging:
        for name, frame in ((README, built.readme()), *((t.name, t.frame) for t in built.tables)):
            guarded = frame.rename(columns=csv_text).map(lambda v: csv_text(v) if isinstance(v, str) else v)
            guarded.to_csv(staging / f"{name}.csv", index=False)


def csv_text(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet shows as text: a leading ' where it would start a formula."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
