"""The planner's response curves (/api/curves and the page's chart), extrapolation figures on what-if
answers, all-draw answers and the constraints of the narrative's plan."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mixscope.plan import Constraints, optimize
from mixscope.plan.optimize import EXTRAPOLATION_NOTE, plan_extrapolation
from mixscope.serve import create_app
from mixscope.surface.support import extrapolation, observed_max_spend
from tests.serve.browser import browser_page, evaluations, running_server, wait_until
from tests.serve.clients import local_client


@pytest.fixture(scope="module")
def client(national_surface_dir):
    return local_client(create_app(national_surface_dir))


def test_observed_max_spend_is_where_the_peak_week_reaches_the_data():
    grid = np.array([0.0, 10.0, 20.0, 30.0])
    assert observed_max_spend({"peak_ratio": [0.5, 0.8, 1.2, 1.6]}, grid) == pytest.approx(15.0)
    assert observed_max_spend({"peak_ratio": [0.5, 1.0, 1.2, 1.6]}, grid) == pytest.approx(10.0)
    assert observed_max_spend({"peak_ratio": [0.2, 0.2, 0.4, 0.9]}, grid) is None  # past the grid's end


def test_curves_api_returns_the_band_and_the_marked_points(client, surface):
    answer = client.get("/api/curves").json()
    curves = surface.curves
    assert [channel["name"] for channel in answer["channels"]] == list(surface.channels)
    assert answer["draws"] == surface.n_draws
    low, high = np.quantile(curves.kpi, [0.05, 0.95], axis=0)
    marked = 0
    for c, channel in enumerate(answer["channels"]):
        np.testing.assert_allclose(channel["spend"], curves.spend_grid[c])
        np.testing.assert_allclose(channel["mean"], curves.kpi[:, c].mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(channel["q05"], low[c], rtol=1e-12)
        np.testing.assert_allclose(channel["q95"], high[c], rtol=1e-12)
        # The current point is the surface's own answer for the current plan.
        current = surface.outcome(surface.historical_plan())
        assert channel["current"]["spend"] == pytest.approx(curves.reference_spend[c])
        assert channel["current"]["outcome"] == pytest.approx(current.contribution[:, c].mean(), rel=1e-9)
        seen = channel["observed_max"]
        if seen is None:
            continue
        marked += 1
        # The largest spend seen: the plan's strongest week there is the data's highest level.
        spend = surface.historical_plan()
        for factor, check in ((1.0, lambda r: r == pytest.approx(1.0, abs=1e-6)), (1.05, lambda r: r > 1.0)):
            spend[c] = seen["spend"] * factor
            ratio = extrapolation(surface.manifest["support"], surface.channels, curves.spend_grid, spend)
            assert check(ratio[channel["name"]]["peak_ratio"])
        spend[c] = seen["spend"]
        assert seen["outcome"] == pytest.approx(surface.outcome(spend).contribution[:, c].mean(), rel=1e-9)
    assert marked >= 1


def test_evaluate_says_how_far_past_the_data_a_plan_goes(client, surface):
    name = surface.channels[0]
    top = float(surface.curves.max_spend[0])
    answer = client.post("/api/evaluate", json={"spend": {name: top}}).json()
    spend = surface.plan_vector({name: top})
    assert answer["extrapolation"] == plan_extrapolation(surface, spend)  # JSON keeps floats exact
    assert answer["extrapolation"][name]["peak_ratio"] > EXTRAPOLATION_NOTE
    assert answer["extrapolation"][name]["share_beyond"] > 0
    # The route (a request the fast path passes on) answers the same field.
    routed = client.post("/api/evaluate", json={"spend": {name: top}, "all_draws": False}).json()
    assert routed["extrapolation"] == answer["extrapolation"]


def test_all_draws_answers_are_the_optimisers_numbers(client, surface):
    plan = client.post("/api/optimize", json={"max_change": 0.3}).json()
    live = client.post("/api/evaluate", json={"spend": plan["allocation"]}).json()
    every = client.post("/api/evaluate", json={"spend": plan["allocation"], "all_draws": True}).json()
    assert live["draws_used"] < live["draws_total"] == surface.n_draws  # the fixture has a live subset
    assert every["draws_used"] == every["draws_total"] == surface.n_draws
    assert every["outcome"]["mean"] == pytest.approx(plan["expected_outcome"]["mean"], rel=1e-12)
    assert every["difference"]["mean"] == pytest.approx(plan["uplift"]["mean"], rel=1e-9)
    assert live["outcome"]["mean"] != pytest.approx(plan["expected_outcome"]["mean"], rel=1e-9)
    refused = client.post("/api/evaluate", json={"spend": {}, "all_draws": "yes"})
    assert refused.status_code == 422


def test_meta_carries_the_currency_and_the_narrative_its_constraints(national_surface_dir, surface,
                                                                     monkeypatch):
    monkeypatch.setattr("mixscope.spec.run_currency", lambda run_dir: "EUR")
    app = create_app(national_surface_dir)
    client = local_client(app)
    meta = client.get("/api/meta").json()
    assert meta["currency"] == "EUR" and meta["extrapolation_note"] == EXTRAPOLATION_NOTE
    app.state.planner._narrative = {"available": False, "reason": "not computed in this test"}
    constraints = client.get("/api/narrative").json()["plan_constraints"]
    assert constraints == {"budget": pytest.approx(meta["current_total"]), "max_change": None,
                           "trust_region": True, "locked": []}
    # Those constraints are the insights layer's: its plan is the optimiser's default one.
    default = optimize(surface).to_dict()
    named = optimize(surface, Constraints(budget=constraints["budget"], max_change=None,
                                          trust_region=True)).to_dict()
    assert named["allocation"] == pytest.approx(default["allocation"], rel=1e-6)


def test_page_draws_the_curve_and_its_planned_point_follows_the_plan(national_surface_dir):
    with running_server(national_surface_dir) as url, browser_page() as (page, errors):
        page.goto(f"{url}/")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        page.wait_for_selector("#curve-chart[data-ready='1'] .main-svg", timeout=60_000)
        traces = page.evaluate("() => document.getElementById('curve-chart').data"
                               ".map(t => ({name: t.name, x: t.x, y: t.y}))")
        named = {trace["name"]: trace for trace in traces}
        curves = json.loads(page.evaluate("() => JSON.stringify([...state.curves.values()])"))
        first = curves[0]
        assert named["expected"]["x"] == first["spend"] and named["expected"]["y"] == first["mean"]
        assert named["current spend"]["x"] == [first["current"]["spend"]]
        assert named["largest spend seen"]["x"] == ([first["observed_max"]["spend"]]
                                                    if first["observed_max"] else [])
        assert named["planned"]["x"] == [pytest.approx(first["current"]["spend"])]

        # A typed amount past the largest spend seen: the planned point moves there, on the mean curve,
        # and the channel's input is marked with how far past the data it goes.
        target = 1.5 * (first["observed_max"] or first["current"])["spend"]
        answered = evaluations(page)
        page.fill("#spend-0", f"{target:,.0f}")
        page.press("#spend-0", "Enter")
        wait_until(page, lambda: evaluations(page) > answered, "the what-if answer to the typed amount")
        planned = page.evaluate("() => document.getElementById('curve-chart').data[5]")
        assert planned["x"] == [pytest.approx(round(target))]
        assert planned["y"][0] == pytest.approx(np.interp(round(target), first["spend"], first["mean"]))
        assert "past-data" in page.get_attribute("#row-0", "class")
        assert page.inner_text("#extrap-0").startswith("past the data: peak week ")

        # Another channel: the chart redraws for it.
        page.select_option("#curve-channel", "1")
        wait_until(page, lambda: page.get_attribute("#curve-chart", "data-channel") == "1"
                   and page.get_attribute("#curve-chart", "data-ready") == "1", "the second channel's curve")
        assert page.evaluate("() => document.getElementById('curve-chart').data[2].y") == curves[1]["mean"]
        assert errors == [], json.dumps(errors)
