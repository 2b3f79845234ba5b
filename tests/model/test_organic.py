"""Organic media (``[organic.NAME]``): spec, data gate, init, the model without it unchanged, recovery.

One small fit (104 weeks, national, 2 chains x 150 + 150) on simulated data with a
known organic channel: its contribution share is recovered, and the surface and the
planner, which work on spend, never see it.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpyro import handlers
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.data import load_dataset, load_table, validate_frame
from mixscope.errors import DataError, SpecError
from mixscope.model.fit import prepare
from mixscope.model.mmm import mmm_model
from mixscope.model.organic import BETA_SITE, SHARE_SITE, organic_contribution, saturated_organic
from mixscope.simulate import write_simulated_project
from mixscope.simulate.organic import OrganicTruth, add_organic
from mixscope.spec import parse_spec

SAMPLER = {"chains": 2, "warmup": 150, "draws": 150, "seed": 3}
TRUE_SHARE = 0.06
# The public datasets sit beside the repository (../shared/data); or MIXSCOPE_SHARED_DATA names them.
SHARED_DATA = Path(os.environ.get("MIXSCOPE_SHARED_DATA", Path(__file__).parents[3] / "shared" / "data"))
MERIDIAN_ALL = SHARED_DATA / "meridian" / "national_all_channels.csv"


def organic_project(folder: Path, seed: int = 5, weeks: int = 104) -> tuple[dict, float]:
    """The simulated project plus a ``newsletter`` column driving :data:`TRUE_SHARE` of revenue.

    The truth uses the simulator's reference maths (not the model's): geometric
    carryover 0.4 over 8 weeks, Hill with K = 1 typical week and slope 1.5. The
    newsletter goes out in about half the weeks: the level of an always-on organic
    channel is barely identified (it trades with the intercept through the curve's
    shape), so there the prior sets its share; with a quarter of the weeks off,
    seed 5's 90% interval ended at 5.9% against the true 6%.
    Returns the spec as a dict (with ``[organic.newsletter]``) and the true share.
    """
    _, spec, _ = write_simulated_project(folder, 1, weeks, seed)
    frame, share = add_organic(pd.read_csv(folder / "data.csv"), seed, OrganicTruth(share=TRUE_SHARE))
    frame.to_csv(folder / "data.csv", index=False)
    raw = spec.to_dict()
    raw["data"]["path"] = "data.csv"
    raw["sampler"] = dict(SAMPLER)
    raw["organic"] = {"newsletter": {"column": "newsletter"}}
    return raw, share


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("organic")
    raw, share = organic_project(folder)
    return folder, raw, share


# --------------------------------------------------------------------------- spec and gate


def test_spend_on_an_organic_channel_is_refused_naming_it(project):
    folder, raw, _ = project
    bad = {**raw, "organic": {"newsletter": {"column": "newsletter", "spend": "tv_spend"}}}
    with pytest.raises(SpecError, match=r"\] \(column 'newsletter'\) sets spend.*no spend on organic"):
        parse_spec(bad, base_dir=folder)
    paid = {**raw, "organic": {"newsletter": {"column": "tv_spend"}}}
    with pytest.raises(SpecError, match=r"column 'tv_spend' is also paid channel 'tv': no spend on organic"):
        parse_spec(paid, base_dir=folder)


def test_organic_spec_round_trips_and_is_absent_without_organic(project):
    folder, raw, _ = project
    spec = parse_spec({**raw, "organic": {"newsletter": {
        "column": "newsletter", "adstock": "delayed", "max_lag": 6,
        "contribution_prior": {"mean": 0.1, "sd": 0.05}}}}, base_dir=folder)
    assert parse_spec(spec.to_dict(), base_dir=folder) == spec
    assert spec.organic_names == ("newsletter",)
    plain = parse_spec({key: value for key, value in raw.items() if key != "organic"}, base_dir=folder)
    assert "organic" not in plain.to_dict()  # so the hashes of specs without organic media are unchanged
    with pytest.raises(SpecError, match="share of the KPI"):
        parse_spec({**raw, "organic": {"newsletter": {
            "column": "newsletter", "contribution_prior": {"mean": 5.0, "sd": 1.0}}}}, base_dir=folder)


def test_negative_organic_volume_is_an_error_naming_column_and_row(project):
    folder, raw, _ = project
    frame = pd.read_csv(folder / "data.csv")
    frame.loc[7, "newsletter"] = -3.0
    spec = parse_spec(raw, base_dir=folder)
    report = validate_frame(frame, spec)
    [finding] = [f for f in report.findings if f.code == "negative_organic"]
    assert finding.level == "error" and finding.column == "newsletter"
    assert "newsletter" in finding.message and frame.loc[7, "date"] in finding.message
    assert load_table(spec.data) is not None
    frame.to_csv(folder / "bad.csv", index=False)
    with pytest.raises(DataError, match="newsletter"):
        load_dataset(parse_spec({**raw, "data": {**raw["data"], "path": "bad.csv"}}, base_dir=folder))


def test_a_constant_organic_column_is_an_error_naming_it(project):
    folder, raw, _ = project
    frame = pd.read_csv(folder / "data.csv").assign(newsletter=0.0)
    [finding] = [f for f in validate_frame(frame, parse_spec(raw, base_dir=folder)).findings
                 if f.code == "constant_organic"]
    assert finding.level == "error" and finding.column == "newsletter"
    assert "'newsletter'" in finding.message and "[organic.NAME]" in finding.message


# --------------------------------------------------------------------------- the model


def _sites(spec, dataset) -> dict:
    _, inputs, config = prepare(spec, dataset)
    return handlers.trace(handlers.seed(mmm_model, 0)).get_trace(inputs, config), inputs


def test_without_organic_the_model_has_exactly_todays_sites(project):
    folder, raw, _ = project
    plain = parse_spec({key: value for key, value in raw.items() if key != "organic"}, base_dir=folder)
    dataset, _ = load_dataset(plain)
    trace, inputs = _sites(plain, dataset)
    assert inputs.organic is None and dataset.organic is None
    assert not [name for name in trace if name.startswith("organic")]
    organic = parse_spec(raw, base_dir=folder)
    with_organic, _ = _sites(organic, load_dataset(organic)[0])
    assert set(with_organic) - set(trace) >= {SHARE_SITE, BETA_SITE, "organic_adstock_decay"}
    # The data's identity too: the organic column only counts when the spec models it.
    assert load_dataset(organic)[0].content_hash() != dataset.content_hash()


def test_the_coefficient_makes_the_share_draw_the_contribution_share(project):
    """``organic_beta`` is derived so the channel drives exactly ``organic_share`` of the KPI."""
    folder, raw, _ = project
    spec = parse_spec(raw, base_dir=folder)
    dataset, _ = load_dataset(spec)
    trace, inputs = _sites(spec, dataset)
    params = {name: site["value"] for name, site in trace.items()}
    scaling, _, _ = prepare(spec, dataset)
    contribution = np.asarray(saturated_organic(params, inputs.organic) * params[BETA_SITE])
    kpi = (contribution[0] * scaling.kpi_scale[:, None]).sum()
    np.testing.assert_allclose(kpi / dataset.kpi.sum(), np.asarray(params[SHARE_SITE])[0], rtol=1e-4)


def test_geo_data_share_one_national_organic_effect(tmp_path):
    """On geo data the share identity holds over all geos, and the baseline keeps its (geo, time) shape."""
    from mixscope.model.mmm import baseline

    _, spec, _ = write_simulated_project(tmp_path, 3, 60, 2)
    frame = pd.read_csv(tmp_path / "data.csv")
    frame["newsletter"] = np.random.default_rng(0).gamma(2.0, 10.0, len(frame)).round(1)
    frame.to_csv(tmp_path / "data.csv", index=False)
    raw = spec.to_dict() | {"organic": {"newsletter": {"column": "newsletter"}}}
    geo_spec = parse_spec(raw, base_dir=tmp_path)
    dataset, _ = load_dataset(geo_spec)
    trace, inputs = _sites(geo_spec, dataset)
    params = {name: site["value"] for name, site in trace.items()}
    scaling, _, _ = prepare(geo_spec, dataset)
    contribution = np.asarray(organic_contribution(params, inputs.organic))[0]  # (geo, time)
    kpi = (contribution * scaling.kpi_scale[:, None]).sum()
    np.testing.assert_allclose(kpi / dataset.kpi.sum(), np.asarray(params[SHARE_SITE])[0], rtol=1e-4)
    assert np.asarray(baseline(params, inputs)).shape == (3, 60)


# --------------------------------------------------------------------------- init


@pytest.mark.skipif(not MERIDIAN_ALL.is_file(), reason="Meridian's public datasets are not checked out")
def test_init_names_meridian_organic_media(tmp_path):
    result = CliRunner().invoke(app, ["init", str(MERIDIAN_ALL), "-o", str(tmp_path / "s.toml")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    spec = tomllib.loads((tmp_path / "s.toml").read_text())
    assert spec["organic"] == {"Organic_channel0": {"column": "Organic_channel0_impression"}}
    assert "Organic_channel0_impression" not in spec["data"]["controls"]
    assert "organic media (no spend, never in the budget): Organic_channel0" in result.stdout


@pytest.mark.skipif(not MERIDIAN_ALL.is_file(), reason="Meridian's public datasets are not checked out")
def test_meridian_all_channels_inits_and_fits_with_every_column(tmp_path):
    """Every column of Meridian's national_all_channels gets a role, and the spec fits (~35 s)."""
    spec_path = tmp_path / "s.toml"
    result = CliRunner().invoke(app, ["init", str(MERIDIAN_ALL), "-o", str(spec_path)],
                                catch_exceptions=False)
    assert result.exit_code == 0 and "0 columns not used" in result.stdout, result.output
    fitted = CliRunner().invoke(app, [
        "fit", str(spec_path), "--out", str(tmp_path / "run"), "--json",
        "--chains", "1", "--warmup", "30", "--draws", "20",
    ], catch_exceptions=False)
    assert fitted.exit_code == 0, fitted.output
    summary = json.loads(fitted.stdout)
    assert summary["organic"] == ["Organic_channel0"] and len(summary["channels"]) == 5
    assert np.isfinite(summary["organic_contribution_share"]["Organic_channel0"]["mean"])


# --------------------------------------------------------------------------- a fit


@pytest.fixture(scope="module")
def organic_run(project, tmp_path_factory):
    from mixscope.pipeline import fit
    from mixscope.run import save_run

    folder, raw, share = project
    spec = parse_spec(raw, base_dir=folder)
    dataset, _ = load_dataset(spec)
    result = fit(spec, dataset, progress=False)
    return save_run(result, tmp_path_factory.mktemp("organic_run") / "run"), result.summary, share


def test_organic_contribution_share_is_recovered(organic_run):
    _, summary, truth = organic_run
    low, high = summary["organic_contribution_share"]["newsletter"]["ci_90"]
    assert low <= truth <= high, (low, truth, high)
    assert summary["organic"] == ["newsletter"]
    assert "newsletter" not in summary["spend"] and "newsletter" not in summary["roi"]
    # Paid, organic and baseline shares add up to one.
    paid = sum(v["mean"] for v in summary["contribution_share"].values())
    organic = summary["organic_contribution_share"]["newsletter"]["mean"]
    assert paid + organic + summary["baseline_share"]["mean"] == pytest.approx(1.0, abs=1e-6)
    json.dumps(summary)


def test_surface_and_plan_never_allocate_to_organic_media(organic_run):
    from mixscope.plan.optimize import optimize
    from mixscope.surface import Surface
    from mixscope.surface.build import SurfaceOptions, build_surface

    run_dir, summary, _ = organic_run
    build_surface(run_dir, SurfaceOptions(n_sobol=8, n_neighbourhood=4, check_plans=6, check_draws=40))
    surface = Surface.load(run_dir)
    assert surface.channels == tuple(summary["channels"]) and "newsletter" not in surface.channels
    # Held at its historical level: the surface reproduces direct evaluation with organic media in.
    assert surface.manifest["interpolation_error"]["max_relative_error_media"] < 0.005
    plan = optimize(surface, starts=2, near_optimal_tolerance=None)
    assert plan.channels == surface.channels and plan.allocation.shape == (len(surface.channels),)
    with pytest.raises(Exception, match="newsletter"):
        surface.evaluate({"newsletter": 1.0})


def test_report_and_export_show_organic_media_beside_the_channels(organic_run):
    from mixscope.report.export import channel_metrics
    from mixscope.report.html import build_report

    run_dir, summary, _ = organic_run
    report = build_report(run_dir, narrative=False)
    [section] = [s for s in report.sections if s.key == "contributions"]
    assert section.unavailable is None
    bars = section.figures[1].data[0]
    assert "newsletter (organic)" in list(bars.x) and "baseline" in list(bars.x)
    from mixscope.insights.facts import build_facts

    facts = build_facts(run_dir, plan=False)  # what explain and ask may cite
    share = summary["organic_contribution_share"]["newsletter"]["mean"]
    assert facts.value("organic_share.newsletter") == pytest.approx(share, rel=1e-3)
    rows = channel_metrics(summary).set_index("source")
    assert rows.loc["newsletter", "kind"] == "organic"
    assert rows.loc["newsletter", "contribution_share_mean"] == pytest.approx(
        summary["organic_contribution_share"]["newsletter"]["mean"])


def test_the_ridge_engine_refuses_organic_media_by_name(project):
    from mixscope.ridge.problem import build_problem

    folder, raw, _ = project
    spec = parse_spec(raw, base_dir=folder)
    with pytest.raises(SpecError, match=r"does not model organic media yet \(\[organic\.newsletter\]\)"):
        build_problem(spec, load_dataset(spec)[0], "search")


def test_organic_curves_rise_from_zero_through_the_contribution(organic_run):
    _, summary, _ = organic_run
    curve = summary["organic_curves"]["newsletter"]
    means = [point["mean"] for point in curve["contribution"]]
    assert means[0] == pytest.approx(0.0, abs=1e-6) and np.all(np.diff(means) > 0)
    at_history = means[curve["multiplier"].index(1.0)]
    assert at_history == pytest.approx(summary["organic_contribution"]["newsletter"]["mean"], rel=1e-4)
