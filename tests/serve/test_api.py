"""The planner's JSON API in-process (TestClient): answers, refusals with clear 4xx, the token gate."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mixscope.cli import app as cli
from mixscope.errors import MixscopeError
from mixscope.plan import Constraints, PlanError, optimize
from mixscope.serve import check_bind, create_app, is_loopback
from mixscope.serve.whatif import WhatIf
from mixscope.surface import Surface
from tests.serve.clients import local_client


@pytest.fixture(scope="module")
def client(national_surface_dir):
    with local_client(create_app(national_surface_dir)) as test_client:
        yield test_client


def _close(a, b, path="") -> None:
    """Nested dicts/lists equal, floats to 1e-9 relative."""
    if isinstance(b, dict):
        for key in b:
            _close(a[key], b[key], f"{path}.{key}")
    elif isinstance(b, list):
        assert len(a) == len(b), path
        for x, y in zip(a, b, strict=True):
            _close(x, y, path)
    elif isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9), path
    else:
        assert a == b, path


def test_whatif_matches_surface_evaluate_and_marginal(national_surface_dir):
    surface = Surface.load(national_surface_dir)
    whatif = WhatIf(surface)
    channels = surface.channels
    for plan in ({}, {channels[0]: 0.0}, {channels[1]: 2.5 * surface.reference_spend[channels[1]]},
                 {channels[2]: float(surface.curves.max_spend[2])}):  # the mROI step backs off the grid's end
        fast = whatif.evaluate(plan)
        assert (fast["draws_used"], fast["draws_total"]) == (surface.n_draws, surface.n_draws)
        _close(fast, surface.evaluate(plan))
        _close(fast["marginal_roi"], surface.marginal(plan))


def test_meta_and_evaluate(client, national_surface_dir):
    meta = client.get("/api/meta").json()
    names = [channel["name"] for channel in meta["channels"]]
    assert names == list(Surface.load(national_surface_dir).channels)
    assert meta["current_total"] == pytest.approx(sum(c["current"] for c in meta["channels"]))
    first = names[0]
    response = client.post("/api/evaluate", json={"spend": {first: meta["channels"][0]["current"] * 1.5}})
    assert response.status_code == 200
    body = response.json()
    low, high = body["outcome"]["ci_90"]
    assert low < body["outcome"]["mean"] < high
    assert set(body["marginal_roi"]) == set(names)
    # meta describes every draw; what-if answers come from the live subset, which meta names.
    assert body["draws_used"] == meta["live_draws"] < meta["n_draws"] == body["draws_total"]
    assert body["baseline_plan_outcome"]["mean"] == pytest.approx(meta["current_outcome"]["mean"], rel=1e-2)
    same = client.post("/api/evaluate", json={"spend": {}}).json()
    assert same["difference"]["mean"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"spend": {"tvv": 1.0}}, 400, "unknown channel 'tvv'. Did you mean 'tv'?"),
        ({"spend": {"tv": -5.0}}, 400, "negative"),
        ({"spend": {"tv": 1e15}}, 400, "beyond the surface's range"),
        ({"spend": {"tv": "lots"}}, 422, "valid number"),
        ({"spend": {"tv": 1.0}, "extra": 1}, 422, "Extra inputs"),
    ],
)
def test_evaluate_refuses_bad_plans(client, payload, status, message):
    response = client.post("/api/evaluate", json=payload)
    assert response.status_code == status
    assert message in json.dumps(response.json())


def test_nan_spend_is_a_clear_400(client):
    # JSON has no NaN, but Python's parser (and some clients) accept the literal: refuse it plainly.
    response = client.post("/api/evaluate", content=b'{"spend": {"tv": NaN}}',
                           headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert "tv" in json.dumps(response.json())


def test_marginal(client):
    body = client.post("/api/marginal", json={"spend": {}}).json()
    assert set(body["marginal_roi"]) == {"tv", "search", "social", "display", "radio"}
    assert body["next_dollar"]["to"] != body["next_dollar"]["from"]


def test_optimize_near_optimal_and_refusals(client):
    meta = client.get("/api/meta").json()
    budget = meta["current_total"]
    plan = client.post("/api/optimize", json={"budget": budget, "max_change": 0.3, "locked": ["radio"]})
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert sum(body["allocation"].values()) == pytest.approx(budget, rel=1e-6)
    radio = next(c["current"] for c in meta["channels"] if c["name"] == "radio")
    assert body["allocation"]["radio"] == pytest.approx(radio)
    assert body["prob_beats_current"] >= 0.5
    near = client.post("/api/near-optimal", json={"max_change": 0.3, "tolerance": 0.02}).json()
    assert near["tolerance"] == 0.02 and near["alternatives"]
    for name, bounds in near["ranges"].items():
        assert bounds["spend_min"] <= near["allocation"][name] + 1e-6 <= bounds["spend_max"] + 2e-6

    infeasible = client.post("/api/optimize", json={"budget": 10 * budget, "max_change": 0.1})
    assert infeasible.status_code == 400 and "Infeasible" in infeasible.json()["detail"]
    unknown = client.post("/api/optimize", json={"locked": ["teevee"]})
    assert unknown.status_code == 400 and "Unknown channel 'teevee'" in unknown.json()["detail"]
    objective = client.post("/api/optimize", json={"objective": "luck"})
    assert objective.status_code == 400 and "Unknown objective" in objective.json()["detail"]
    negative = client.post("/api/optimize", json={"budget": -1})
    assert negative.status_code == 422


def test_infeasible_remedies_name_the_pages_controls_and_the_clis_flags(client, national_surface_dir):
    budget = client.get("/api/meta").json()["current_total"]
    refused = client.post("/api/optimize", json={"budget": 10 * budget, "max_change": 0.1})
    assert refused.status_code == 400
    page_words = refused.json()["detail"]
    problem, remedy = page_words.split(". ", 1)
    assert problem.startswith("Infeasible") and "--" not in remedy
    for label in ("Budget", "Max change ±", "stay within spend levels seen in the data"):
        assert label in remedy
        assert label in client.get("/").text  # a control the page really has

    with pytest.raises(PlanError) as cli_refusal:
        optimize(Surface.load(national_surface_dir), Constraints(budget=10 * budget, max_change=0.1))
    cli_words = str(cli_refusal.value)
    assert cli_words.endswith("Lower --budget, widen --max-change or pass --no-trust-region.")
    assert cli_words.split(". ")[0] == problem  # one problem, two wordings


def test_frontier_and_openapi(client):
    body = client.get("/api/frontier").json()
    feasible = [point for point in body["points"] if point["feasible"]]
    assert len(feasible) >= 5
    outcomes = [point["outcome_mean"] for point in feasible]
    assert outcomes == sorted(outcomes)  # more budget, spent best, never does worse
    assert body["current"]["total_spend"] > 0
    schema = client.get("/openapi.json").json()
    assert {"/api/meta", "/api/evaluate", "/api/marginal", "/api/optimize", "/api/frontier",
            "/api/near-optimal"} <= set(schema["paths"])
    assert "SpendRequest" in schema["components"]["schemas"]
    assert "EvaluateResponse" in schema["components"]["schemas"]


def test_page_and_plotly_are_served_locally(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="frontier-chart"' in page.text
    assert "cdn" not in page.text.lower()
    script = client.get("/static/plotly.min.js")
    assert script.status_code == 200 and len(script.content) > 1_000_000


def test_token_gate(national_surface_dir):
    with TestClient(create_app(national_surface_dir, token="s3cret")) as gated:
        refused = gated.get("/api/meta")
        assert refused.status_code == 401 and "token" in refused.json()["detail"]
        assert gated.get("/api/meta", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert gated.get("/api/meta", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert gated.get("/api/meta?token=s3cret").status_code == 200
        assert gated.get("/openapi.json").status_code == 401
        assert gated.get("/").status_code == 200  # the page shell holds no data; it asks for the token


def test_non_loopback_needs_a_token(national_surface_dir):
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert is_loopback(host)
        check_bind(host, None)
    for host in ("0.0.0.0", "192.168.1.5", "example.com", "::"):
        assert not is_loopback(host)
        with pytest.raises(MixscopeError, match="needs a token"):
            check_bind(host, None)
        check_bind(host, "tok")
    result = CliRunner().invoke(cli, ["serve", str(national_surface_dir), "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "needs a token" in result.output


def test_server_process_never_imports_jax(national_surface_dir):
    code = (
        "import sys, json\n"
        "from fastapi.testclient import TestClient\n"
        "import mixscope.cli\n"
        "from mixscope.serve import create_app\n"
        "c = TestClient(create_app(sys.argv[1]), base_url='http://127.0.0.1')\n"
        "assert c.get('/api/meta').status_code == 200\n"
        "assert c.post('/api/evaluate', json={'spend': {}}).status_code == 200\n"
        "assert c.post('/api/marginal', json={'spend': {}}).status_code == 200\n"
        "assert c.post('/api/optimize', json={'max_change': 0.3}).status_code == 200\n"
        "assert c.get('/api/frontier').status_code == 200\n"
        "heavy = ('jax', 'jaxlib', 'numpyro')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(national_surface_dir)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_fast_path_and_route_give_the_same_answers(client):
    """Plain JSON plans skip FastAPI's per-request work; anything else takes the route, same contract."""
    plain = client.post("/api/evaluate", json={"spend": {"tv": 150000, "search": 90000.5}})
    # A body past the fast path's size limit takes the route: same answer.
    padded = json.dumps({"spend": {"tv": 150000, "search": 90000.5}}) + " " * 70_000
    routed = client.post("/api/evaluate", content=padded, headers={"Content-Type": "application/json"})
    assert plain.status_code == routed.status_code == 200
    assert plain.json() == routed.json()
    assert plain.headers["content-type"] == "application/json"
    # A number written as a string is not plain, and the route refuses it too: numbers are JSON numbers.
    string = client.post("/api/evaluate", json={"spend": {"tv": "150000"}})
    assert string.status_code == 422 and string.json()["detail"][0]["field"] == "spend.tv"
    empty = client.post("/api/evaluate", json={})  # spend defaults to the current plan, as in the model
    assert empty.status_code == 200
    assert empty.json() == client.post("/api/evaluate", json={"spend": {}}).json()
    for body in (b"[1, 2]", b'{"spend": [1]}', b'{"spend": {"tv": null}}', b"{", b'{"spend": {"tv": 1e999}}'):
        response = client.post("/api/evaluate", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code in (400, 422), body
        assert response.json()["detail"], body
    # Not declared as JSON: the route's strict content-type check decides, not the fast path.
    text = client.post("/api/evaluate", content=b'{"spend": {}}', headers={"Content-Type": "text/plain"})
    assert text.status_code == 422


def test_token_gate_guards_the_fast_path(national_surface_dir):
    with TestClient(create_app(national_surface_dir, token="s3cret")) as gated:
        assert gated.post("/api/evaluate", json={"spend": {}}).status_code == 401
        allowed = gated.post("/api/evaluate", json={"spend": {}}, headers={"Authorization": "Bearer s3cret"})
        assert allowed.status_code == 200
        assert allowed.json()["difference"]["mean"] == pytest.approx(0, abs=1e-6)


def test_factory_app_from_environment_serves_the_same_answers(national_surface_dir, monkeypatch):
    from mixscope.serve.app import app_environment, create_app_from_env

    for name in app_environment(national_surface_dir, None, None):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(MixscopeError, match="MIXSCOPE_SERVE_RUN_DIR"):
        create_app_from_env()
    for name, value in app_environment(national_surface_dir, "tok", 300).items():
        monkeypatch.setenv(name, value)
    plan = {"spend": {"tv": 1.2e6}}
    with TestClient(create_app_from_env()) as from_env, \
            TestClient(create_app(national_surface_dir, token="tok", live_draws=300)) as direct:
        assert from_env.post("/api/evaluate", json=plan).status_code == 401  # the token came along
        headers = {"Authorization": "Bearer tok"}
        answer = from_env.post("/api/evaluate", json=plan, headers=headers).json()
        assert answer["draws_used"] == 300
        assert answer == direct.post("/api/evaluate", json=plan, headers=headers).json()


def test_two_worker_processes_answer_like_one(national_surface_dir):
    """``mixscope serve --workers 2``: uvicorn's workers load the app through the import-string factory."""
    import httpx

    from tests.serve.browser import running_server

    plan = {"spend": {"tv": 1.1e6, "radio": 2.0e5}}
    with local_client(create_app(national_surface_dir)) as in_process:
        expected = in_process.post("/api/evaluate", json=plan).json()
    with running_server(national_surface_dir, "--workers", "2") as url:
        answers = [httpx.post(f"{url}/api/evaluate", json=plan, timeout=30).json() for _ in range(8)]
    assert all(answer == expected for answer in answers)
