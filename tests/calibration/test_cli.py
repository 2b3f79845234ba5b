"""CLI: fit --experiments / [calibration], evidence and next-test, and clean errors."""

from __future__ import annotations

import json
import tomllib

import tomli_w
from typer.testing import CliRunner

from mixscope.cli import app

runner = CliRunner()
TINY = ("--chains", "1", "--warmup", "30", "--draws", "20")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_evidence_and_next_test_commands(calibrated_run):
    _, run = calibrated_run
    result = invoke("evidence", run.path)
    assert result.exit_code == 0, result.output
    assert "prior vs posterior" in result.output and "radio" in result.output
    result = invoke("evidence", run.path, "--json")
    report = json.loads(result.stdout)
    assert report["mode"] == "likelihood" and set(report["channels"]) >= {"tv", "search"}
    result = invoke("next-test", run.path, "--weeks", "4", "--json")
    assert result.exit_code == 0, result.output
    ranking = json.loads(result.stdout)
    assert len(ranking["options"]) == 5 and ranking["recommendation"].startswith("Test ")
    result = invoke("next-test", run.path, "--weeks", "4")
    assert result.exit_code == 0 and "Test " in result.output and "4 weeks" in result.output


def test_next_test_bad_arguments(calibrated_run):
    _, run = calibrated_run
    result = invoke("next-test", run.path, "--change", "0")
    assert result.exit_code == 2 and "--change" in result.stderr
    result = invoke("next-test", run.path, "--weeks", "999")
    assert result.exit_code == 2 and "longer than the data" in result.stderr
    result = invoke("evidence", run.path.parent / "missing")
    assert result.exit_code == 2 and "not a run directory" in result.stderr


def test_fit_with_calibration_section_prior_mode(lift_project, tmp_path):
    folder, _, _ = lift_project
    raw = tomllib.loads((folder / "mixscope.toml").read_text())
    raw["data"]["path"] = str(folder / "data.csv")
    raw["calibration"] = {"experiments": str(folder / "lifts.csv"), "mode": "prior"}
    spec = tmp_path / "calibrated.toml"
    spec.write_text(tomli_w.dumps(raw))
    run_dir = tmp_path / "run"
    result = invoke("fit", spec, "--out", run_dir, *TINY, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    calibration = summary["calibration"]
    assert calibration["mode"] == "prior" and set(calibration["experiment_roi"]) == {"tv", "search"}
    # The model's tv prior is the experimental one, not the default.
    tv_prior = summary["roi_priors"]["tv"]
    assert tv_prior != calibration["uncalibrated_roi_priors"]["tv"]
    assert (run_dir / "experiments.csv").is_file()
    result = invoke("evidence", run_dir, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["mode"] == "prior"


def test_fit_rejects_bad_experiments_before_sampling(lift_project, tmp_path):
    folder, _, _ = lift_project
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "channel,start,end,spend_delta,incremental_kpi,standard_error\n"
        "tv,2022-05-23,2022-06-27,-300000,-450000,-1\n"
        "tv_,2022-05-23,2022-06-27,-300000,-450000,5\n"
    )
    result = invoke("fit", folder / "mixscope.toml", "--out", tmp_path / "run", *TINY, "--experiments", bad)
    assert result.exit_code == 2
    assert "row 1" in result.stderr and "must be positive" in result.stderr
    assert "row 2" in result.stderr and "Did you mean `tv`" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "run").exists()
    result = invoke("fit", folder / "mixscope.toml", "--out", tmp_path / "run", "--calibration-mode", "prio")
    assert result.exit_code == 2 and "Invalid value for '--calibration-mode'" in result.stderr


def test_spec_calibration_section_is_strict(tmp_path):
    import pytest

    from mixscope.errors import SpecError
    from mixscope.spec import parse_spec

    base = {"data": {"path": "d.csv"}, "channels": {"tv": {"spend": "tv_spend"}}}
    spec = parse_spec({**base, "calibration": {"experiments": "lifts.csv"}}, base_dir=tmp_path)
    assert spec.calibration.experiments == tmp_path / "lifts.csv" and spec.calibration.mode == "likelihood"
    assert parse_spec(spec.to_dict()).calibration == spec.calibration
    assert "calibration" not in parse_spec(base).to_dict()  # unchanged specs without it
    for bad, message in [
        ({"experiment": "lifts.csv"}, "Did you mean `experiments`"),
        ({"experiments": "lifts.csv", "mode": "likelyhood"}, "Did you mean 'likelihood'"),
        ({"experiments": 3}, "must be str"),
        ({"mode": "prior"}, "name the lift-test file"),
    ]:
        with pytest.raises(SpecError, match=message):
            parse_spec({**base, "calibration": bad})
