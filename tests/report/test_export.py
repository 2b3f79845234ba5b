"""``mixscope export``: the workbook and the CSV folder open with pandas and hold summary.json's numbers."""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from mixscope.cli import app as cli
from mixscope.report.baseline import baseline_components
from mixscope.report.export import (
    Export,
    Table,
    channel_metrics,
    check_export_output,
    saved_scenarios,
    write_export,
)
from mixscope.report.figures import decomposition
from mixscope.run import load_run

runner = CliRunner()
EXCEL_DIGITS = 1e-15  # openpyxl writes 16 significant digits (Excel itself shows 15)


def _export(run_dir, output):
    result = runner.invoke(cli, ["export", str(run_dir), "-o", str(output), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _assert_channels_match_summary(frame: pd.DataFrame, summary: dict, rel: float) -> None:
    rows = frame.set_index("source")
    assert list(rows.index) == [*summary["channels"], "baseline"]
    for name in summary["channels"]:
        assert rows.loc[name, "spend"] == pytest.approx(summary["spend"][name], rel=rel, abs=0)
        for metric in ("roi", "mroi", "contribution_share"):
            values = summary[metric][name]
            expected = [values["mean"], values["median"], *values["ci_90"]]
            got = [rows.loc[name, f"{metric}_{q}"] for q in ("mean", "median", "q05", "q95")]
            assert got == pytest.approx(expected, rel=rel, abs=0), (name, metric)
        roi = summary["roi"][name]
        incremental = [rows.loc[name, f"incremental_{q}"] for q in ("mean", "q05", "q95")]
        spend = summary["spend"][name]
        assert incremental == pytest.approx([roi["mean"] * spend, roi["ci_90"][0] * spend,
                                             roi["ci_90"][1] * spend], rel=1e-12)
    base = summary["baseline_share"]
    assert [rows.loc["baseline", f"contribution_share_{q}"] for q in ("mean", "q05", "q95")] == pytest.approx(
        [base["mean"], *base["ci_90"]], rel=rel, abs=0)
    assert np.isnan(rows.loc["baseline", "roi_mean"])


def test_workbook_opens_with_pandas_and_equals_summary(national_surface_dir, surface, tmp_path):
    path = tmp_path / "deck" / "results.xlsx"
    answer = _export(national_surface_dir, path)
    assert answer["tables"] == ["README", "channels", "decomposition", "response_curves", "frontier"]
    assert set(answer["skipped"]) == {"scenarios"}
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == answer["tables"]
    summary = json.loads((national_surface_dir / "summary.json").read_text())
    _assert_channels_match_summary(sheets["channels"], summary, EXCEL_DIGITS)

    run = load_run(national_surface_dir)
    expected = decomposition(run.predictions, summary["channels"], baseline_components(run))
    got = sheets["decomposition"]
    split = ["baseline: trend", "baseline: seasonality", *(f"baseline: control: {name}"
                                                          for name in run.dataset.control_names)]
    assert list(got.columns) == ["date", "baseline", *summary["channels"], *split]
    assert (pd.to_datetime(got["date"]) == pd.to_datetime(expected["date"])).all()
    np.testing.assert_allclose(got.iloc[:, 1:].to_numpy(), expected.iloc[:, 1:].to_numpy(), rtol=1e-14)
    np.testing.assert_allclose(got[split].sum(axis=1), got["baseline"], rtol=1e-5)  # the split adds up

    curves = sheets["response_curves"]
    grid = surface.curves.spend_grid
    assert len(curves) == grid.size
    tv = curves[curves["channel"] == surface.channels[0]]
    np.testing.assert_allclose(tv["spend"], grid[0], rtol=1e-14)
    mean = surface.curves.kpi[:, 0, :].mean(axis=0)
    np.testing.assert_allclose(tv["incremental_kpi_mean"], mean, rtol=1e-12)
    assert (tv["incremental_kpi_q05"] <= tv["incremental_kpi_mean"] + 1e-9).all()

    frontier = sheets["frontier"]
    assert {"total_spend", "outcome_mean", "outcome_q05", "outcome_q95"} <= set(frontier.columns)
    assert {f"spend_{name}" for name in surface.channels} <= set(frontier.columns)

    readme = sheets["README"]
    text = " ".join(readme.fillna("").astype(str).to_numpy().ravel())
    assert summary["kpi"] in text and summary["roi_units"] in text and "currency" in text
    for table in answer["tables"][1:]:
        assert f"table {table}" in text
    assert "table scenarios (not exported)" in text


def test_csv_folder_without_a_surface_exports_what_it_has_and_says_what_it_skipped(national_run_dir,
                                                                                     tmp_path):
    folder = tmp_path / "finance"
    result = runner.invoke(cli, ["export", str(national_run_dir), "-o", f"{folder}/"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["README.csv", "channels.csv", "decomposition.csv"]
    for skipped in ("response_curves", "frontier", "scenarios"):
        assert f"skipped: {skipped}" in result.stderr
    assert "mixscope surface" in result.stderr
    summary = json.loads((national_run_dir / "summary.json").read_text())
    _assert_channels_match_summary(pd.read_csv(folder / "channels.csv"), summary, rel=0)
    readme = pd.read_csv(folder / "README.csv")
    assert "table response_curves (not exported)" in set(readme["item"])
    assert "table frontier (not exported)" in set(readme["item"])
    # Again into the same folder: an earlier export is replaced, not refused.
    again = runner.invoke(cli, ["export", str(national_run_dir), "-o", str(folder)], catch_exceptions=False)
    assert again.exit_code == 0, again.output


def _injection_export() -> Export:
    summary = {
        "channels": ["=cmd", "tv"], "spend": {"=cmd": 100.0, "tv": 50.0},
        **{metric: {name: {"mean": -0.5, "median": -0.5, "ci_90": [-1.0, 0.25]} for name in ("=cmd", "tv")}
           for metric in ("roi", "mroi", "contribution_share")},
    }
    names = pd.DataFrame({"channel": ["=cmd", "+1", "-2", "@SUM(A1)", "tv"], "value": [-5.0, 1, 2, 3, 4]})
    return Export((Table("channels", "what", "units", channel_metrics(summary)),
                   Table("names", "what", "units", names.rename(columns={"value": "=value"}))),
                  (("run", "test"),), {})


def test_names_that_look_like_formulas_stay_text(tmp_path):
    built = _injection_export()
    path = write_export(built, tmp_path / "out.xlsx")
    book = openpyxl.load_workbook(path)
    cells = [cell for row in book["names"].iter_rows() for cell in row]
    texts = {cell.value: cell.data_type for cell in cells if isinstance(cell.value, str)}
    assert texts["=cmd"] == texts["@SUM(A1)"] == texts["=value"] == "s"  # not "f" (formula)
    assert all(cell.data_type == "n" for cell in cells if not isinstance(cell.value, str))
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets["names"]["channel"]) == ["=cmd", "+1", "-2", "@SUM(A1)", "tv"]
    assert sheets["names"]["=value"].tolist() == [-5.0, 1, 2, 3, 4]  # numbers stay numbers
    assert sheets["channels"]["source"].tolist() == ["=cmd", "tv"]

    folder = write_export(built, tmp_path / "csv")
    names = pd.read_csv(folder / "names.csv")
    assert names["channel"].tolist() == ["'=cmd", "'+1", "'-2", "'@SUM(A1)", "tv"]
    assert list(names.columns) == ["channel", "'=value"]
    assert names["'=value"].tolist() == [-5.0, 1, 2, 3, 4]


def test_saved_scenarios_are_flattened_one_per_row(tmp_path):
    assert saved_scenarios(tmp_path) is None
    (tmp_path / "scenarios.json").write_text(json.dumps({"scenarios": [
        {"name": "brand push", "spend": {"tv": 120.0, "search": 80.0}},
        {"name": "=cmd", "spend": {"tv": 100.0, "search": 100.0}},
    ]}))
    frame = saved_scenarios(tmp_path)
    assert frame["name"].tolist() == ["brand push", "=cmd"]
    assert frame["spend.tv"].tolist() == [120.0, 100.0]


def test_outputs_an_export_cannot_use_are_refused_before_any_work(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(Exception, match="holding other files"):
        check_export_output(tmp_path)
    with pytest.raises(Exception, match=".xlsx file for one workbook"):
        check_export_output(tmp_path / "results.csv")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_reach_and_frequency_channel_exports_its_frequencies():
    summary = {
        "channels": ["tv", "video"], "spend": {"tv": 100.0, "video": 50.0},
        **{metric: {name: {"mean": 1.5, "median": 1.4, "ci_90": [1.0, 2.0]} for name in ("tv", "video")}
           for metric in ("roi", "mroi", "contribution_share")},
        "reach_frequency": {"video": {
            "historical_frequency": 1.83, "planned_at": "historical frequency",
            "optimal_frequency": {"mean": 2.9, "median": 2.16, "ci_90": [1.0, 7.44]}}},
    }
    rows = channel_metrics(summary).set_index("source")
    assert rows.loc["video", "kind"] == "reach & frequency" and rows.loc["tv", "kind"] == "channel"
    assert rows.loc["video", ["historical_frequency", "optimal_frequency_median", "optimal_frequency_q05",
                              "optimal_frequency_q95"]].tolist() == [1.83, 2.16, 1.0, 7.44]
    assert np.isnan(rows.loc["tv", "optimal_frequency_median"])
