"""Reach & frequency (R&F) channels: spec, data gate, the model's form, planning by spend, recovery.

One small fit (104 weeks, national, 2 chains x 150 + 150) on simulated data with a known
R&F channel (mixscope.simulate.reach_frequency): its ROI and its optimal frequency land in
their 90% intervals, and the surface and the planner plan it by spend at the historical frequency.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpyro import handlers

from mixscope.data import load_dataset, validate_frame
from mixscope.errors import SpecError
from mixscope.model.fit import prepare
from mixscope.model.mmm import expected_kpi, mmm_model
from mixscope.model.reach_frequency import EC_SITE, SLOPE_SITE, optimal_frequency
from mixscope.simulate import write_simulated_project
from mixscope.simulate.reach_frequency import write_reach_frequency_project
from mixscope.simulate.reference import carry_over, lag_weights, saturation
from mixscope.spec import load_spec, parse_spec

SAMPLER = {"chains": 2, "warmup": 150, "draws": 150, "seed": 3}
RF = {"spend": "video_spend", "reach": "video_reach", "frequency": "video_frequency"}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rf")
    spec_path, truth = write_reach_frequency_project(folder, seed=0, n_weeks=104, sampler=SAMPLER)
    return folder, load_spec(spec_path).to_dict(), truth


def _with(raw: dict, **video) -> dict:
    return {**raw, "channels": {**raw["channels"], "video": video}}


# --------------------------------------------------------------------------- spec


def test_rf_spec_round_trips_and_plain_channels_write_no_rf_keys(project):
    folder, raw, _ = project
    spec = parse_spec(raw, base_dir=folder)
    assert parse_spec(spec.to_dict(), base_dir=folder) == spec
    assert [channel.name for channel in spec.rf_channels] == ["video"]
    assert "saturation" not in spec.to_dict()["channels"]["video"]
    plain = parse_spec(_with(raw, spend="video_spend"), base_dir=folder)
    assert not plain.rf_channels
    # Specs without R&F channels write no new keys, so their hashes are unchanged.
    assert not {"reach", "frequency"} & set(plain.to_dict()["channels"]["video"])


@pytest.mark.parametrize(("video", "message"), [
    ({**RF, "exposure": "video_reach"},
     r"\[channels.video\] sets both `exposure` and `reach`/`frequency`: exposure and reach & frequency are "
     "exclusive"),
    ({"spend": "video_spend", "reach": "video_reach"},
     r"\[channels.video\] sets `reach` but not `frequency`: a reach & frequency channel needs both columns"),
    ({"spend": "video_spend", "frequency": "video_frequency"},
     r"\[channels.video\] sets `frequency` but not `reach`"),
    ({**RF, "saturation": "logistic"}, r"sets `saturation` on a reach & frequency channel"),
    ({**RF, "reach": 3}, r"\[channels.video\] `reach` must be str"),
])
def test_bad_rf_specs_are_refused_naming_the_channel(project, video, message):
    folder, raw, _ = project
    with pytest.raises(SpecError, match=message):
        parse_spec(_with(raw, **video), base_dir=folder)


# --------------------------------------------------------------------------- data gate


def _findings(folder, raw, frame) -> dict:
    report = validate_frame(frame, parse_spec(raw, base_dir=folder))
    return {finding.code: finding for finding in report.findings}


def test_negative_reach_is_an_error_naming_column_row_and_date(project):
    folder, raw, _ = project
    frame = pd.read_csv(folder / "data.csv")
    frame.loc[4, "video_reach"] = -10.0
    finding = _findings(folder, raw, frame)["negative_reach"]
    assert finding.level == "error" and finding.column == "video_reach" and finding.rows == (5,)
    assert finding.message.startswith(
        "Column 'video_reach' (reach of channel 'video') has negative values in row 5")
    assert frame.loc[4, "date"] in finding.message and "zero or positive" in finding.message


def test_frequency_below_one_is_an_error_and_rounding_just_below_a_warning(project):
    folder, raw, _ = project
    frame = pd.read_csv(folder / "data.csv")
    live = np.flatnonzero(frame["video_reach"] > 0)
    frame.loc[live[0], "video_frequency"] = 0.5
    frame.loc[live[1], "video_frequency"] = 0.98
    dark = np.flatnonzero(frame["video_reach"] == 0)
    frame.loc[dark, "video_frequency"] = 0.0  # no one reached: any frequency is fine
    findings = _findings(folder, raw, frame)
    error = findings["frequency_below_one"]
    assert error.level == "error" and error.column == "video_frequency" and error.rows == (live[0] + 1,)
    assert "is below 1 where reach ('video_reach') is positive" in error.message
    assert frame.loc[live[0], "date"] in error.message and "at least 1" in error.message
    warning = findings["frequency_just_below_one"]
    assert warning.level == "warning" and warning.rows == (live[1] + 1,)


def test_missing_reach_or_frequency_is_an_error_naming_the_column(project):
    folder, raw, _ = project
    frame = pd.read_csv(folder / "data.csv")
    frame.loc[2, "video_frequency"] = np.nan
    finding = _findings(folder, raw, frame)["missing_values"]
    assert finding.column == "video_frequency" and finding.rows == (3,)
    assert "Column 'video_frequency' (frequency of channel 'video') is empty in row 3" in finding.message


def test_reach_above_population_is_an_error(tmp_path):
    _, spec, _ = write_simulated_project(tmp_path, 2, 60, 1)
    frame = pd.read_csv(tmp_path / "data.csv")
    frame["tv_reach"] = frame["population"] * 0.3
    frame["tv_frequency"] = 2.0
    frame.loc[3, "tv_reach"] = frame.loc[3, "population"] * 1.5
    raw = spec.to_dict()
    raw["channels"]["tv"] = {"spend": "tv_spend", "reach": "tv_reach", "frequency": "tv_frequency"}
    report = validate_frame(frame, parse_spec(raw, base_dir=tmp_path))
    [finding] = [f for f in report.findings if f.code == "reach_above_population"]
    assert finding.level == "error" and finding.column == "tv_reach" and finding.rows == (4,)
    assert "is above the population ('population') in row 4 (geo_00" in finding.message
    assert "cannot exceed the population" in finding.message


# --------------------------------------------------------------------------- the model


def _trace(spec, dataset):
    _, inputs, config = prepare(spec, dataset)
    return handlers.trace(handlers.seed(mmm_model, 0)).get_trace(inputs, config), inputs, config


def test_without_rf_channels_the_model_has_no_rf_sites_or_arrays(project):
    folder, raw, _ = project
    plain = parse_spec(_with(raw, spend="video_spend"), base_dir=folder)
    dataset, _ = load_dataset(plain)
    trace, inputs, config = _trace(plain, dataset)
    assert inputs.frequency is None and dataset.frequency is None and config.rf_channels == ()
    assert not [name for name in trace if name.startswith("rf_")]
    rf = parse_spec(raw, base_dir=folder)
    rf_dataset, _ = load_dataset(rf)
    rf_trace, _, _ = _trace(rf, rf_dataset)
    assert set(rf_trace) - set(trace) == {EC_SITE, SLOPE_SITE}
    assert rf_dataset.content_hash() != dataset.content_hash()


def test_media_effect_is_beta_times_adstocked_reach_times_hill_of_frequency(project):
    """The model's R&F contribution equals the plain-NumPy reference form, and its ROI site is its ROI."""
    folder, raw, _ = project
    spec = parse_spec(raw, base_dir=folder)
    dataset, _ = load_dataset(spec)
    scaling, inputs, config = prepare(spec, dataset)
    trace = handlers.trace(handlers.seed(mmm_model, 1)).get_trace(inputs, config)
    params = {name: np.asarray(site["value"]) for name, site in trace.items()}
    c = spec.channel_names.index("video")
    model = np.asarray(expected_kpi(params, inputs, config)["media"])[0, :, c]
    reach = np.concatenate([dataset.media[0, :, c] / scaling.media_scale[0, c], np.zeros(inputs.tail)])
    frequency = np.concatenate([dataset.frequency[0, :, 0], np.zeros(inputs.tail)])
    hill = saturation("hill", frequency, float(params[EC_SITE][0]), float(params[SLOPE_SITE][0]))
    weights = lag_weights("geometric", float(params["adstock_decay"][c]), spec.channels[c].max_lag)
    reference = params["beta_media"][0, c] * carry_over(reach * hill, weights)
    np.testing.assert_allclose(model, reference, rtol=2e-4, atol=1e-7)
    roi_index = config.roi_channels.index(c)
    np.testing.assert_allclose(params["channel_roi"][c], params["roi"][roi_index], rtol=1e-4)


def test_optimal_frequency_maximises_hill_over_frequency():
    grid = np.linspace(1.0, 30.0, 300_001)
    for ec, slope in ((3.0, 2.2), (1.5, 3.0), (6.0, 1.3)):
        powered = grid**slope
        best = grid[np.argmax(powered / (powered + ec**slope) / grid)]
        assert optimal_frequency(ec, slope) == pytest.approx(best, abs=1e-3)
    # Slope at most 1: ROI falls with frequency from the first exposure; never below 1.
    assert optimal_frequency(np.array([3.0, 0.2]), np.array([0.8, 2.0])).tolist() == [1.0, 1.0]


def test_the_ridge_engine_refuses_rf_channels_by_name(project):
    from mixscope.ridge.problem import build_problem

    folder, raw, _ = project
    spec = parse_spec(raw, base_dir=folder)
    with pytest.raises(SpecError, match=r"reach & frequency channels yet \(\[channels.video\]"):
        build_problem(spec, load_dataset(spec)[0], "search")


def test_a_lift_test_on_an_rf_channel_changes_reach_at_the_historical_frequency(project):
    """The model-implied lift equals the model's outcome with the test's reach minus without it."""
    from mixscope.calibration.experiments import Experiment
    from mixscope.calibration.lift import build_lift_inputs, media_per_spend, spend_delta_cells
    from mixscope.model.mmm import implied_lift

    folder, raw, _ = project
    spec = parse_spec(raw, base_dir=folder)
    dataset, _ = load_dataset(spec)
    scaling, inputs, config = prepare(spec, dataset)
    c = spec.channel_names.index("video")
    live = np.flatnonzero(dataset.spend[0, :, c] > 0)
    window = live[(live > 20) & (live < 80)][:4]
    cut = -0.5 * float(dataset.spend[0, window, c].sum())
    day = dataset.dates.astype("datetime64[D]")
    test = Experiment("video", day[window[0]], day[window[-1]], cut, -1000.0, 100.0)
    lift = build_lift_inputs([test], dataset, scaling, inputs)
    assert lift.frequency is not None and lift.frequency.shape[-1] == 1
    params = {name: np.asarray(site["value"]) for name, site in
              handlers.trace(handlers.seed(mmm_model, 2)).get_trace(inputs, config).items()}
    implied = float(np.asarray(implied_lift(params, lift, config))[0]) * lift.unit
    # Direct: the whole history as observed minus the same history without the cut (more reach there).
    cells = spend_delta_cells(test, dataset)
    delta = cells[0] * media_per_spend(dataset, c, cells != 0)
    without = inputs.media.copy()
    without[0, : dataset.n_times, c] -= delta / scaling.media_scale[0, c]
    observed = np.asarray(expected_kpi(params, inputs, config)["media"])[0, :, c].sum()
    uncut = np.asarray(expected_kpi(params, inputs, config, media=without)["media"])[0, :, c].sum()
    assert implied < 0
    np.testing.assert_allclose(implied, (observed - uncut) * scaling.kpi_scale[0], rtol=1e-3)


# --------------------------------------------------------------------------- a fit


@pytest.fixture(scope="module")
def rf_run(project, tmp_path_factory):
    from mixscope.pipeline import fit
    from mixscope.run import save_run

    folder, raw, truth = project
    spec = parse_spec(raw, base_dir=folder)
    dataset, _ = load_dataset(spec)
    result = fit(spec, dataset, progress=False)
    return save_run(result, tmp_path_factory.mktemp("rf_run") / "run"), result.summary, truth


def test_roi_and_optimal_frequency_are_recovered(rf_run):
    _, summary, truth = rf_run
    true = truth["reach_frequency"]["video"]
    low, high = summary["roi"]["video"]["ci_90"]
    assert low <= true["roi"] <= high, (low, true["roi"], high)
    entry = summary["reach_frequency"]["video"]
    low, high = entry["optimal_frequency"]["ci_90"]
    assert low <= true["optimal_frequency"] <= high, (low, true["optimal_frequency"], high)
    assert entry["planned_at"] == "historical frequency" and 1 < entry["historical_frequency"] < 9
    assert "historical frequency" in summary["reach_frequency_note"]
    json.dumps(summary)


def test_surface_and_plan_move_rf_channels_by_spend_at_the_historical_frequency(rf_run):
    from mixscope.plan.optimize import optimize
    from mixscope.surface import Surface
    from mixscope.surface.build import SurfaceOptions, build_surface

    run_dir, summary, _ = rf_run
    build_surface(run_dir, SurfaceOptions(n_sobol=8, n_neighbourhood=4, check_plans=6, check_draws=40))
    surface = Surface.load(run_dir)
    assert surface.channels == tuple(summary["channels"]) and "video" in surface.channels
    # The curves reproduce direct evaluation of the model (reach scaled, frequency kept).
    assert surface.manifest["interpolation_error"]["max_relative_error_media"] < 0.005
    assert "planned by spend at the historical frequency" in surface.units["reach_frequency"]
    # The historical plan's ROI on the curves is the fit's ROI of the window spend.
    result = surface.evaluate({"video": surface.reference_spend["video"] * 1.2})
    assert "reach_frequency" in result["units"]
    plan = optimize(surface, starts=2, near_optimal_tolerance=None)
    assert any("Reach & frequency channels video" in note for note in plan.notes)
    from typer.testing import CliRunner

    from mixscope.cli import app

    spend = surface.reference_spend["video"] * 1.2
    shown = CliRunner().invoke(app, ["whatif", str(run_dir), "--spend", f"video={spend:.0f}"],
                               catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert "Reach & frequency channels video: reach & frequency, planned by spend at the historical" in (
        " ".join(shown.stdout.split()))


def test_cli_and_report_list_the_optimal_frequency(rf_run):
    from mixscope.cli._output import out
    from mixscope.cli.fit import _print_fit
    from mixscope.report.html import _frequency_table

    run_dir, summary, _ = rf_run
    with out.capture() as captured:
        _print_fit(summary, run_dir)
    text = captured.get()
    assert "Reach & frequency: planned by spend at the historical frequency" in text
    median = summary["reach_frequency"]["video"]["optimal_frequency"]["median"]
    assert f"{median:.2f}" in text
    hostile = {"reach_frequency": {"<b>v</b>": summary["reach_frequency"]["video"]}}
    table = _frequency_table(hostile)
    assert "&lt;b&gt;v&lt;/b&gt;" in table and "<b>v</b>" not in table
    assert _frequency_table({}) == ""


def test_the_public_meridian_rf_specs_name_channel3_as_reach_and_frequency():
    docs = Path(__file__).parents[2] / "docs" / "public"
    for name in ("meridian_national_media_rf", "meridian_geo_media_rf"):
        spec = load_spec(docs / f"{name}.toml")
        assert [channel.name for channel in spec.rf_channels] == ["Channel3"]
