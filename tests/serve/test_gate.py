"""Who may drive the planner: Host and Origin checks, no CDN-loaded docs, the page's CSP, and bugs
answered as 500s instead of escaping to uvicorn."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from mixscope.serve import create_app
from mixscope.serve.gate import host_name, is_allowed_host, is_same_origin
from tests.serve.clients import local_client


@pytest.fixture(scope="module")
def client(national_surface_dir):
    with local_client(create_app(national_surface_dir)) as test_client:
        yield test_client


@pytest.mark.parametrize(("authority", "name"), [
    ("localhost:8000", "localhost"), ("LocalHost", "localhost"), ("[::1]:8000", "::1"), ("[::1]", "::1"),
    ("127.0.0.1:80", "127.0.0.1"), ("evil.example:8000", "evil.example"), ("", ""),
])
def test_host_name(authority, name):
    assert host_name(authority) == name


@pytest.mark.parametrize(("authority", "allowed"), [
    ("localhost:8000", True), ("127.0.0.1:8000", True), ("127.0.0.7", True), ("[::1]:8000", True),
    ("evil.example:8000", False), ("localhost.evil.example", False), ("127.0.0.1.nip.io", False),
    ("", False), ("0.0.0.0:8000", False),
])
def test_only_loopback_names_are_this_machine(authority, allowed):
    assert is_allowed_host(authority, "127.0.0.1") is allowed


def test_the_bound_name_is_allowed_too():
    assert is_allowed_host("planner.lan:8000", "planner.lan")
    assert not is_allowed_host("other.lan:8000", "planner.lan")


@pytest.mark.parametrize(("origin", "authority", "same"), [
    ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
    ("http://LOCALHOST:8000", "localhost:8000", True),
    ("http://localhost", "localhost:80", True),
    ("https://planner.lan", "planner.lan:443", True),
    ("http://localhost:3000", "localhost:8000", False),
    ("http://evil.example", "127.0.0.1:8000", False),
    ("null", "127.0.0.1:8000", False),
    ("file://", "127.0.0.1:8000", False),
])
def test_same_origin(origin, authority, same):
    assert is_same_origin(origin, authority) is same


def test_requests_addressed_to_another_name_are_refused_without_a_token(client):
    # DNS rebinding: the attacker's page talks to 127.0.0.1 but under its own name.
    for path in ("/", "/api/meta", "/static/plotly.min.js"):
        refused = client.get(path, headers={"Host": "evil.example:8000"})
        assert refused.status_code == 421, path
        assert "evil.example" in refused.json()["detail"]
    plain_plan = client.post("/api/evaluate", json={"spend": {}}, headers={"Host": "evil.example"})
    assert plain_plan.status_code == 421  # the what-if fast path is behind the gate too
    for host in ("localhost:8000", "[::1]:8000", "127.0.0.2:9000"):
        assert client.get("/api/meta", headers={"Host": host}).status_code == 200, host


def test_a_token_replaces_the_host_rule(national_surface_dir):
    app = create_app(national_surface_dir, token="s3cret", host="0.0.0.0")
    with TestClient(app, base_url="http://planner.example") as gated:
        headers = {"Authorization": "Bearer s3cret"}
        assert gated.get("/api/meta", headers=headers).status_code == 200
        assert gated.get("/api/meta").status_code == 401


def test_the_bound_address_is_answered(national_surface_dir):
    with TestClient(create_app(national_surface_dir, host="planner.lan"), base_url="http://planner.lan") as c:
        assert c.get("/api/meta").status_code == 200


def test_other_sites_cannot_post(client):
    body = {"spend": {}}
    assert client.post("/api/evaluate", json=body, headers={"Origin": "http://127.0.0.1"}).status_code == 200
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"}, {"Origin": "http://localhost:3000"},
                    {"Sec-Fetch-Site": "cross-site"}):
        refused = client.post("/api/optimize", json={"max_change": 0.3}, headers=headers)
        assert refused.status_code == 403, headers
        assert "only the planner's own page" in refused.json()["detail"]
    # Reads are not state-changing, and a browser does not let another origin read the answer anyway.
    assert client.get("/api/meta", headers={"Origin": "http://evil.example"}).status_code == 200


def test_no_docs_pages_that_load_a_cdn(client):
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    schema = client.get("/openapi.json")
    assert schema.status_code == 200 and "/api/evaluate" in schema.json()["paths"]


def test_page_runs_only_its_own_script(client):
    first, second = client.get("/"), client.get("/")
    policy = first.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'<script nonce="{nonce}">' in first.text
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    assert second.headers["content-security-policy"] != policy  # a fresh nonce per response
    assert first.headers["referrer-policy"] == "no-referrer"  # ?token= never leaves in a Referer


def test_a_bug_is_a_500_answer_not_an_escaped_exception(national_surface_dir, monkeypatch):
    from mixscope.serve import app as planner

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(planner, "marginal_returns", broken)
    # TestClient re-raises any exception that reaches the server: this one must be answered instead.
    with local_client(create_app(national_surface_dir)) as c:
        answer = c.post("/api/marginal", json={"spend": {}})
        assert answer.status_code == 500
        assert "Internal error" in answer.json()["detail"]
        assert c.get("/api/health").status_code == 200
