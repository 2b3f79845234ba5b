"""The top-level Python API (``import mixscope``) as the README shows it, against the CLI's answers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import mixscope
from mixscope.cli import app
from mixscope.errors import RunError


def test_fit_save_load_round_trip_through_the_top_level_names(national_fit, tmp_path):
    result, _ = national_fit
    path = mixscope.save_run(result, tmp_path / "run")
    run = mixscope.load_run(path)
    assert isinstance(run, mixscope.Run) and run.spec == mixscope.load_spec(path / "spec.toml")
    assert run.summary == json.loads(json.dumps(result.summary))
    decay = run.idata.posterior["adstock_decay"]  # labelled by channel, as the README says
    assert list(decay.coords["channel"].values) == list(result.spec.channel_names)
    np.testing.assert_array_equal(decay.values, result.idata.posterior["adstock_decay"].values)
    tv = run.summary["roi"]["tv"]
    assert set(tv) == {"mean", "median", "ci_90"} and tv["ci_90"][0] < tv["mean"] < tv["ci_90"][1]
    # The summary's ROI is the posterior's ROI site summarised (the ROI parametrisation).
    draws = run.idata.posterior["channel_roi"].sel(channel="tv").values
    assert tv["mean"] == pytest.approx(draws.mean(), rel=2e-3)
    # load_run checks every file against its manifest.
    summary = json.loads((path / "summary.json").read_text())
    summary["roi"]["tv"]["mean"] *= 2
    (path / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(RunError, match="checksum"):
        mixscope.load_run(path)


def test_surface_answers_what_the_cli_answers(national_surface_dir):
    surface = mixscope.Surface.load(national_surface_dir)
    plan = {"tv": 150_000}
    cli = CliRunner().invoke(app, ["whatif", str(national_surface_dir), "--spend", "tv=150000", "--json"],
                             catch_exceptions=False)
    assert cli.exit_code == 0, cli.output
    answer = surface.evaluate(plan) | {"marginal_roi": surface.marginal(plan)}
    assert json.loads(cli.stdout) == json.loads(json.dumps(answer, default=str))
    # README: P(plan beats the historical one) from the same draws.
    compared = surface.compare(plan, surface.historical_plan())
    planned, historical = surface.outcome(plan).outcome, surface.outcome(surface.historical_plan()).outcome
    assert compared["prob_a_beats_b"] == pytest.approx(np.mean(planned > historical))
    assert compared["prob_a_beats_b"] == answer["prob_beats_baseline_plan"]
    # The outcome is the calibrated baseline plus each channel's stored curve at its spend.
    spend, grid, kpi = surface.plan_vector(plan), surface.curves.spend_grid, surface.curves.kpi
    by_curve = sum(np.array([np.interp(spend[c], grid[c], draw) for draw in kpi[:, c]])
                   for c in range(len(surface.channels)))
    np.testing.assert_allclose(planned, surface.baseline_kpi + by_curve, rtol=1e-9)


def test_unknown_public_name_is_an_attribute_error():
    assert {"load_run", "Surface", "fit", "save_run", "build_surface"} <= set(dir(mixscope))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = mixscope.nope
