"""Organic media and treatments as what-if inputs of the surface (issue 19 items 1 and 2).

One small fit (104 weeks, national, 2 chains x 150 + 150) of the organic test project
with a shelf-price treatment added. The surface stores each input's per-draw change;
a what-if with the organic channel at 1x is the plain what-if exactly, and the stored
changes equal the posterior evaluated directly.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.errors import MixscopeError, SurfaceError
from mixscope.plan.amounts import parse_levels, parse_multiples
from tests.model.test_organic import organic_project

REFERENCE_PERIODS = 52
SURFACE = {"n_sobol": 8, "n_neighbourhood": 4, "check_plans": 6, "check_draws": 40}


def build_inputs_run(tmp_path_factory, organic: str = "newsletter", treatment: str = "shelf"):
    """The organic test project with a shelf-price treatment, fitted, saved and its surface built;
    ``organic`` and ``treatment`` name the two inputs (the planner's tests give them hostile names)."""
    from mixscope.data import load_dataset
    from mixscope.pipeline import fit
    from mixscope.run import save_run
    from mixscope.spec import parse_spec
    from mixscope.surface.build import SurfaceOptions, build_surface

    folder = tmp_path_factory.mktemp("inputs")
    raw, _ = organic_project(folder)
    frame = pd.read_csv(folder / "data.csv")
    rng = np.random.default_rng(11)
    frame["shelf_price"] = np.round(5.0 - 0.5 * (rng.uniform(size=len(frame)) < 0.3), 2)  # promotions at 4.50
    frame["revenue"] = frame["revenue"] - 20_000.0 * (frame["shelf_price"] - 5.0)
    frame.to_csv(folder / "data.csv", index=False)
    raw["organic"] = {organic: raw["organic"]["newsletter"]}
    raw["treatments"] = {treatment: {"column": "shelf_price", "baseline": 5.0}}
    spec = parse_spec(raw, base_dir=folder)
    dataset, _ = load_dataset(spec)
    run_dir = save_run(fit(spec, dataset, progress=False), tmp_path_factory.mktemp("inputs_run") / "run")
    build_surface(run_dir, SurfaceOptions(reference_periods=REFERENCE_PERIODS, **SURFACE))
    return run_dir


@pytest.fixture(scope="module")
def inputs_run(tmp_path_factory):
    """The fitted run (organic ``newsletter``, treatment ``shelf``) with its surface built."""
    return build_inputs_run(tmp_path_factory)


@pytest.fixture(scope="module")
def surface(inputs_run):
    from mixscope.surface import Surface

    return Surface.load(inputs_run)


def _posterior(run_dir):
    from mixscope.engines import evaluation_inputs
    from mixscope.model.evaluate import flatten_draws
    from mixscope.run import load_run

    run = load_run(run_dir)
    scaling, inputs, _ = evaluation_inputs(run)
    draws = flatten_draws({name: value.values for name, value in run.idata.posterior.items()})
    return run, scaling, inputs, draws


def test_organic_at_one_times_is_the_plain_whatif_exactly(surface):
    plan = {"tv": surface.reference_spend["tv"] * 1.3}
    plain = surface.evaluate(plan)
    same = surface.evaluate(plan, organic={"newsletter": 1.0})
    assert {key: value for key, value in same.items() if key != "scenario_inputs"} == plain
    assert same["scenario_inputs"]["organic"]["newsletter"]["change"]["mean"] == 0.0
    assert "scenario_inputs" not in plain


def test_organic_change_equals_the_posterior_at_the_scaled_volume(surface, inputs_run):
    """The stored change at 1.5x is organic_contribution with the window's volume times 1.5, carryover
    past the data included, less the same at the volume the window had (KPI units)."""
    from mixscope.model.organic import organic_contribution

    run, scaling, inputs, draws = _posterior(inputs_run)
    organic = inputs.organic
    n_times, lag = organic.volume.shape[-1], organic.max_lag[0]
    start = n_times - REFERENCE_PERIODS
    picked = np.arange(0, surface.n_draws, 37)

    def window_kpi(multiple):
        volume = np.concatenate([organic.volume, np.zeros((1, 1, lag), np.float32)], axis=-1)
        volume[..., start:n_times] *= multiple
        padded = replace(organic, volume=volume)
        out = []
        for d in picked:
            params = {name: value[d] for name, value in draws.items() if name.startswith("organic_")}
            contribution = np.asarray(organic_contribution(params, padded))[0]  # (geo, time + lag)
            out.append((contribution[:, start:] * scaling.kpi_scale[:, None]).sum())
        return np.array(out)

    expected = window_kpi(1.5) - window_kpi(1.0)
    answer = surface.evaluate({}, organic={"newsletter": 1.5})
    kpi, _, _ = surface.inputs.change(organic={"newsletter": 1.5})
    np.testing.assert_allclose(kpi[picked], expected, rtol=2e-3)
    assert np.all(expected > 0)  # more newsletter, more revenue, in every draw
    plain = surface.evaluate({})
    assert answer["outcome"]["mean"] == pytest.approx(plain["outcome"]["mean"] + kpi.mean(), rel=1e-9)
    assert answer["difference"]["mean"] == pytest.approx(kpi.mean(), rel=1e-6)
    # Between grid points the stored curve interpolates; zero volume takes the window's newsletter away.
    low, _, _ = surface.inputs.change(organic={"newsletter": 0.0})
    assert np.all(low < 0)


def test_treatment_change_is_the_level_held_in_every_window_period(surface, inputs_run):
    """Price held at 4.50 over the window: coefficient × (held − historical design), in KPI units."""
    run, scaling, inputs, draws = _posterior(inputs_run)
    [block] = [b for b in inputs.terms if b.kind == "treatment"]
    start = run.dataset.n_times - REFERENCE_PERIODS
    design = block.design[0, start:, 0].astype(np.float64)
    held = (4.5 - block.reference[0]) / block.unit[0]
    expected = draws["treatment_coef"][:, 0] * ((held - design) * scaling.kpi_scale[0]).sum()
    kpi, _, report = surface.inputs.change(treatments={"shelf": 4.5})
    np.testing.assert_allclose(kpi, expected, rtol=1e-6)
    entry = report["treatments"]["shelf"]
    assert entry["reference_level"] == 5.0 and entry["outside_data"] is False
    assert entry["change"]["mean"] > 0  # a lower price sold more in the simulation
    # Past the levels the data showed: scored on the (linear) effect, and flagged.
    answer = surface.evaluate({}, treatments={"shelf": 6.0})
    assert answer["scenario_inputs"]["treatments"]["shelf"]["outside_data"] is True
    assert "never part of the budget" in answer["scenario_inputs"]["note"]


@pytest.mark.parametrize(("organic", "treatments", "message"), [
    ({"newsleter": 1.2}, None, r"organic: unknown organic channel 'newsleter'\. Did you mean 'newsletter'"),
    ({"tv": 1.2}, None, "organic: unknown organic channel 'tv'"),
    (None, {"price": 4.0}, "treatments: unknown treatment 'price'.*Treatments: shelf"),
    ({"newsletter": 3.5}, None, "outside 0 to 3×"),
    ({"newsletter": -0.1}, None, "outside 0 to 3×"),
    (None, {"shelf": float("nan")}, "'shelf' must be a finite number"),
])
def test_unknown_inputs_and_bad_levels_are_refused_by_name(surface, organic, treatments, message):
    with pytest.raises(SurfaceError, match=message):
        surface.evaluate({}, organic=organic, treatments=treatments)


def test_a_surface_without_inputs_refuses_them(surface):
    from mixscope.surface import Surface

    plain = Surface(surface.curves, surface.baseline_kpi, surface.baseline_revenue,
                    {**surface.manifest, "calibration": {"anchor_kpi": 0.0, "anchor_revenue": 0.0}})
    with pytest.raises(SurfaceError, match=r"unknown organic channel 'newsletter': this run has none"):
        plain.evaluate({}, organic={"newsletter": 1.5})


def test_whatif_cli_takes_organic_and_treatment_inputs(surface, inputs_run):
    runner = CliRunner()
    args = ["whatif", str(inputs_run), "--spend", "tv=1", "--json"]
    result = runner.invoke(app, [*args, "--organic", "newsletter=+50%", "--treatment", "shelf=4.5"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    expected = surface.evaluate({"tv": 1.0}, organic={"newsletter": 1.5}, treatments={"shelf": 4.5})
    assert answer["outcome"]["mean"] == pytest.approx(expected["outcome"]["mean"])
    assert answer["outcome"]["ci_90"] == pytest.approx(expected["outcome"]["ci_90"])
    assert answer["scenario_inputs"]["organic"]["newsletter"]["multiple"] == 1.5
    table = runner.invoke(app, ["whatif", str(inputs_run), "--spend", "tv=1", "--organic", "newsletter=2x"])
    assert table.exit_code == 0 and "newsletter" in table.stdout and "2×" in table.stdout, table.output
    refused = runner.invoke(app, [*args, "--organic", "podcast=+10%"])
    assert refused.exit_code == 2 and "unknown organic channel 'podcast'" in refused.output


@pytest.mark.parametrize(("text", "value"), [
    ("newsletter=+50%", {"newsletter": 1.5}), ("newsletter=-20%", {"newsletter": 0.8}),
    ("newsletter=1.5x", {"newsletter": 1.5}), ("a=0x, b=+0%", {"a": 0.0, "b": 1.0}),
])
def test_organic_multiples_parse(text, value):
    assert parse_multiples(text, "--organic") == pytest.approx(value)


@pytest.mark.parametrize(("text", "message"), [
    ("newsletter=1.5", "--organic: 'newsletter=1.5' is ambiguous: write newsletter=1.5x"),
    ("newsletter=50%", "--organic: 'newsletter=50%' is ambiguous: write newsletter=\\+50%"),
    ("newsletter", "--organic: 'newsletter' is not NAME=CHANGE"),
    ("newsletter=lots", "--organic: the change for 'newsletter' is not"),
    ("a=1x,a=2x", "--organic: 'a' is given twice"),
])
def test_bad_organic_multiples_name_the_option(text, message):
    with pytest.raises(MixscopeError, match=message):
        parse_multiples(text, "--organic")


def test_treatment_levels_parse_strictly():
    assert parse_levels("price=9.99, promo=0", "--treatment") == {"price": 9.99, "promo": 0.0}
    with pytest.raises(MixscopeError, match="--treatment: the level for 'price' is not a number: 'cheap'"):
        parse_levels("price=cheap", "--treatment")


def test_planner_evaluate_takes_optional_inputs(surface, inputs_run):
    from mixscope.serve.app import create_app
    from tests.serve.clients import local_client

    client = local_client(create_app(inputs_run, token=None))
    plain = client.post("/api/evaluate", json={"spend": {}, "all_draws": True}).json()
    answer = client.post("/api/evaluate", json={
        "spend": {}, "all_draws": True, "organic": {"newsletter": 1.5}, "treatments": {"shelf": 4.5}})
    assert answer.status_code == 200, answer.text
    expected = surface.evaluate({}, organic={"newsletter": 1.5}, treatments={"shelf": 4.5})
    assert answer.json()["outcome"]["ci_90"] == pytest.approx(expected["outcome"]["ci_90"])
    assert answer.json()["scenario_inputs"]["treatments"]["shelf"]["level"] == 4.5
    assert "scenario_inputs" not in plain
    inputs = client.get("/api/meta").json()["scenario_inputs"]
    assert inputs["organic"]["newsletter"]["max_multiple"] == 3.0
    assert inputs["treatments"]["shelf"]["reference_level"] == 5.0
    refused = client.post("/api/evaluate", json={"spend": {}, "organic": {"podcast": 1.5}})
    assert refused.status_code == 400 and "podcast" in refused.text


def test_plans_hold_organic_and_treatments_and_say_so(surface):
    from mixscope.plan.optimize import optimize

    plan = optimize(surface, starts=2, near_optimal_tolerance=None)
    held = "newsletter, shelf: held as the reference window had them"
    assert any(note.startswith(held) for note in plan.notes)
