"""Every API route driven with random and hostile input (hypothesis) against a real ``mixscope serve``.

Whatever arrives, the answer is a 2xx or a 4xx with a JSON reason: never a 5xx,
never a dropped connection, and the server still answers correctly afterwards.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.conftest import HOSTILE_CHANNELS
from tests.serve.browser import running_server

POST_ROUTES = ("/api/evaluate", "/api/marginal", "/api/optimize", "/api/near-optimal")
GET_ROUTES = ("/api/meta", "/api/frontier", "/api/narrative", "/api/health", "/", "/openapi.json")
HOSTILE_TEXT = (
    *HOSTILE_CHANNELS.values(), "tv", "constructor", "", " ", "\x00", "\ud800", "𝔱𝔳", "'; DROP TABLE x; --",
    "../../etc/passwd", "%s%s%n", "{{7*7}}", "a" * 5000,
)
EXAMPLES = 120
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

texts = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=30))
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**70), 2**70),
    st.sampled_from([0, -0.0, 1e-300, 5e-324, 1e15, 1e16, 1e308, 150000]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
channel_maps = st.dictionaries(st.one_of(st.sampled_from(list(HOSTILE_CHANNELS.values())), texts),
                               st.one_of(numbers, scalars), max_size=6)
spend_bodies = st.fixed_dictionaries({}, optional={"spend": st.one_of(channel_maps, json_values)})
constraint_bodies = st.fixed_dictionaries({}, optional={
    "budget": st.one_of(numbers, scalars), "max_change": st.one_of(numbers, scalars),
    "minimum": channel_maps, "maximum": channel_maps,
    "locked": st.lists(st.one_of(st.sampled_from(list(HOSTILE_CHANNELS.values())), texts), max_size=3),
    "trust_region": scalars,
    "objective": st.one_of(texts, st.sampled_from(["mean", "quantile:0.1", "quantile:nan", "mean-sd:inf",
                                                   "mean-sd:-1", "prob-beats-current", "net-revenue"])),
    "tolerance": st.one_of(numbers, scalars), "extra": json_values,
})
# A body is JSON as Python writes it (NaN and Infinity literals included), or raw bytes.
bodies = st.one_of(spend_bodies, constraint_bodies, json_values).map(
    lambda value: json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass"))
raw_bodies = st.one_of(bodies, st.binary(max_size=200))
content_types = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain",
                                 "application/x-www-form-urlencoded", "APPLICATION/JSON", ""])
queries = st.dictionaries(st.sampled_from(["max_change", "trust_region", "token", "x", "max_change[]"]),
                          st.one_of(st.sampled_from(["nan", "inf", "-1", "0.3", "1e308", "true", "maybe",
                                                     "", "0.1"]), st.text(max_size=10)), max_size=3)


@pytest.fixture(scope="module")
def server(hostile_run_dir):
    with running_server(hostile_run_dir) as url, httpx.Client(base_url=url, timeout=120) as client:
        yield url, client


def _check(response: httpx.Response, sent: object) -> None:
    assert response.status_code < 500, (response.status_code, sent, response.text[:500])
    if response.status_code >= 400:
        assert response.json()["detail"], sent  # a reason, in JSON


def _assert_alive(client: httpx.Client) -> None:
    assert client.get("/api/health").json()["ok"] is True
    meta = client.get("/api/meta").json()
    first = meta["channels"][0]
    answer = client.post("/api/evaluate", json={"spend": {first["name"]: first["current"]}})
    assert answer.status_code == 200
    assert answer.json()["difference"]["mean"] == pytest.approx(0.0, abs=1e-6)


def test_post_routes_answer_random_bodies_without_5xx(server):
    _, client = server
    sent: list[int] = []

    @FUZZ
    @given(route=st.sampled_from(POST_ROUTES), body=raw_bodies, content_type=content_types)
    def probe(route: str, body: bytes, content_type: str) -> None:
        headers = {"Content-Type": content_type} if content_type else {}
        _check(client.post(route, content=body, headers=headers), (route, body[:300]))
        sent.append(1)

    probe()
    assert len(sent) >= EXAMPLES
    _assert_alive(client)


def test_planning_routes_answer_random_constraints_without_5xx(server):
    _, client = server

    @FUZZ
    @given(route=st.sampled_from(["/api/optimize", "/api/near-optimal"]), body=constraint_bodies)
    def probe(route: str, body: dict) -> None:
        content = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")
        response = client.post(route, content=content, headers={"Content-Type": "application/json"})
        _check(response, (route, body))

    probe()
    _assert_alive(client)


def test_get_routes_answer_random_queries_without_5xx(server):
    _, client = server

    @FUZZ
    @given(route=st.sampled_from(GET_ROUTES), query=queries)
    def probe(route: str, query: dict[str, str]) -> None:
        target = route + ("?" + urlencode(query) if query else "")
        _check(client.get(target), target)

    probe()
    _assert_alive(client)
