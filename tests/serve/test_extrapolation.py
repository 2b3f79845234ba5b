"""``/api/evaluate`` carries, per channel, how far the plan goes past the media levels the data showed."""

from __future__ import annotations

import pytest

from mixscope.plan.optimize import plan_extrapolation
from mixscope.serve import create_app
from mixscope.serve.whatif import WhatIf
from tests.serve.clients import local_client


@pytest.fixture(scope="module")
def client(national_surface_dir):
    with local_client(create_app(national_surface_dir)) as test_client:
        yield test_client


def test_evaluate_carries_the_extrapolation_figure(client, surface):
    tv = 4 * surface.reference_spend["tv"]
    body = client.post("/api/evaluate", json={"spend": {"tv": tv}}).json()
    report = body["extrapolation"]
    assert set(report) == set(surface.channels)
    assert all(set(figures) == {"peak_ratio", "share_beyond"} for figures in report.values())
    assert report["tv"]["peak_ratio"] > 1.5 and report["tv"]["share_beyond"] > 0
    expected = plan_extrapolation(surface, surface.plan_vector({"tv": tv}))
    for name, figures in expected.items():
        assert report[name] == pytest.approx(figures, rel=1e-12, abs=1e-12)
    current = client.post("/api/evaluate", json={"spend": {}}).json()["extrapolation"]
    assert max(figures["peak_ratio"] for figures in current.values()) <= 1 + 1e-9


def test_the_figure_reads_the_grid_as_the_planner_does(surface):
    """Between grid points, at them, at zero and at the grid's end: the hot path equals np.interp."""
    whatif = WhatIf(surface, 300)  # the draws used do not change the media levels
    grid = surface.curves.spend_grid
    for plan in ({"tv": 0.0}, {"tv": float(grid[0, 7])}, {"search": float(grid[1, 7] + grid[1, 8]) / 2},
                 {"radio": float(surface.curves.max_spend[4])}):
        expected = plan_extrapolation(surface, surface.plan_vector(plan))
        got = whatif.evaluate(plan)["extrapolation"]
        for name, figures in expected.items():
            assert got[name] == pytest.approx(figures, rel=1e-12, abs=1e-12), (plan, name)


def test_openapi_names_the_field(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert "extrapolation" in schema["EvaluateResponse"]["properties"]
    assert set(schema["Extrapolation"]["properties"]) == {"peak_ratio", "share_beyond"}
