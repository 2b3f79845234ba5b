"""The command line: init → validate → fit, JSON output, and clean errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
from typer.testing import CliRunner

import mixscope
from mixscope.cli import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_init_validate_fit_json(tmp_path):
    spec = tmp_path / "demo" / "mixscope.toml"
    result = invoke("init", "--example", "-o", spec)
    assert result.exit_code == 0, result.output
    assert "5 channels" in result.output
    result = invoke("validate", spec, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["findings"] == []
    run_dir = tmp_path / "run"
    result = invoke(
        "fit", spec, "--out", run_dir, "--chains", "1", "--warmup", "40", "--draws", "30", "--json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary["roi"]) == {"tv", "search", "social", "display", "radio"}
    assert {"mean", "median", "ci_90"} <= set(summary["roi"]["tv"])
    assert set(summary["diagnostics"]) >= {"max_rhat", "min_ess_bulk", "divergences", "r2", "mape"}
    assert json.loads((run_dir / "summary.json").read_text())["roi"] == summary["roi"]
    assert mixscope.load_run(run_dir).summary == summary  # the Python API reads what the CLI printed
    # 30 draws of one chain cannot reach ESS 400: loud warning, and --strict fails.
    assert summary["diagnostics_ok"] is False
    assert any("DIAGNOSTICS FAILED" in w for w in summary["warnings"])
    strict = invoke(
        "fit", spec, "--out", run_dir, "--overwrite", "--chains", "1", "--warmup", "40",
        "--draws", "30", "--strict",
    )
    assert strict.exit_code == 1
    assert "WARNING" in strict.stderr and "ESS" in strict.stderr
    again = invoke("fit", spec, "--out", run_dir)
    assert again.exit_code == 2 and "--overwrite" in again.stderr


def test_fit_records_data_warnings_in_the_run_summary(tmp_path):
    """The data gate's warnings are printed before the fit and kept in summary.json["warnings"]."""
    from mixscope.simulate import write_simulated_project

    sampler = {"chains": 1, "warmup": 30, "draws": 20}
    spec, _, _ = write_simulated_project(tmp_path / "short", 1, 80, 0, sampler)  # < 2 years: a warning
    run_dir = tmp_path / "run"
    result = invoke("fit", spec, "--out", run_dir, "--json")
    assert result.exit_code == 0, result.output
    assert "data warning:" in result.stderr and "less than two years" in result.stderr
    warnings = json.loads((run_dir / "summary.json").read_text())["warnings"]
    data = [w for w in warnings if w.startswith("DATA [limited_history]: ")]
    assert len(data) == 1 and "80 weekly periods" in data[0]
    assert any("DIAGNOSTICS FAILED" in w for w in warnings)  # the others are kept beside it


def test_validate_data_file_directly_reports_errors(tmp_path):
    from mixscope.simulate import simulate

    frame = simulate(n_weeks=120, seed=1).frame
    frame.loc[10, "tv_spend"] = -5.0
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert "tv_spend" in result.stderr and "row" in result.stderr and "11" in result.stderr
    assert "Traceback" not in result.output


def test_init_refuses_to_overwrite_and_guesses_kpi(tmp_path):
    frame = pd.DataFrame({"date": ["2024-01-01"], "y": [1.0], "tv_spend": [1.0]})
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    result = invoke("init", path, "-o", tmp_path / "s.toml")
    assert result.exit_code == 2 and "--kpi" in result.stderr
    assert invoke("init", path, "-o", tmp_path / "s.toml", "--kpi", "y").exit_code == 0
    result = invoke("init", path, "-o", tmp_path / "s.toml", "--kpi", "y")
    assert result.exit_code == 2 and "--force" in result.stderr


def test_bad_inputs_through_the_real_executable_have_no_traceback(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('[data]\npath = "missing.csv"\n[channels.tv]\nspend = "tv_spend"\n')
    cases = [
        ["validate", str(spec)],
        ["fit", str(tmp_path / "nope.toml")],
        ["validate", str(tmp_path / "data.xlsx")],
    ]
    for args in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "mixscope", *args], capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and "error:" in proc.stderr
