"""``mixscope fit --engine ridge`` and its argument errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.run import load_run

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_fit_engine_ridge_writes_a_run(national_case, tmp_path):
    spec_path, _, _ = national_case
    run_dir = tmp_path / "run"
    result = invoke(
        "fit", spec_path, "--out", run_dir, "--engine", "ridge", "--iterations", "40", "--trials", "1",
        "--json",
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["engine"] == "ridge" and summary["ridge"]["search"]["evaluations"] == 40
    assert load_run(run_dir).summary["ridge"]["candidates"] == summary["ridge"]["candidates"]
    # --pick 2 keeps the second candidate of the same search (same seed, same candidates).
    candidates = summary["ridge"]["candidates"]
    assert len(candidates) >= 2, candidates
    picked = invoke(
        "fit", spec_path, "--out", tmp_path / "run-pick-2", "--engine", "ridge", "--iterations", "40",
        "--trials", "1", "--pick", "2", "--json",
    )
    assert picked.exit_code == 0, picked.output
    second = json.loads(picked.stdout)
    assert second["ridge"]["candidates"] == candidates and second["ridge"]["picked"] == 2
    assert second["ridge"]["point_roi"] == pytest.approx(candidates[1]["roi"], rel=1e-4)
    assert second["ridge"]["point_roi"] != pytest.approx(summary["ridge"]["point_roi"], rel=1e-3)
    stored = load_run(tmp_path / "run-pick-2").summary["ridge"]  # the run directory records the choice
    assert stored["picked"] == 2 and stored["point_roi"] == pytest.approx(candidates[1]["roi"], rel=1e-4)
    human = invoke(
        "fit", spec_path, "--out", run_dir, "--overwrite", "--engine", "ridge", "--iterations", "0",
        "--method", "ols",
    )
    assert human.exit_code == 0, human.output
    assert "Candidates (ols, baseline)" in human.stdout and "R-hat" not in human.stdout


def test_bad_ridge_arguments_are_clear(national_case, tmp_path):
    spec_path, _, _ = national_case
    cases = [
        (["--engine", "nuts"], "Invalid value for '--engine'"),
        (["--pick", "2"], "only apply to the ridge engine"),
        (["--engine", "ridge", "--pick", "9"], "--pick 9"),
        (["--engine", "ridge", "--method", "elastic"], "Invalid value for '--method'"),
        (["--engine", "ridge", "--trials", "0"], "trials must be at least 1"),
    ]
    for extra, message in cases:
        result = invoke("fit", spec_path, "--out", tmp_path / "never", *extra)
        assert result.exit_code == 2, (extra, result.output)
        assert message in result.stderr and "Traceback" not in result.output
        assert not (tmp_path / "never").exists()
