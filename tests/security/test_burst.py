"""A burst of bad requests on keep-alive connections against a real ``mixscope serve`` (uvicorn).

Each client holds one connection (``http.client``, which never reconnects
behind our back) and fires bad requests back to back, all clients at once.
Every request gets its 4xx on the same connection: none is reset or told to
close, and the server answers a good request correctly afterwards.
"""

from __future__ import annotations

import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest

from tests.serve.browser import running_server

CLIENTS = 32
REQUESTS_PER_CLIENT = 25
JSON = {"Content-Type": "application/json"}
# (method, path, body, extra headers, expected status)
BAD_REQUESTS = [
    ("POST", "/api/optimize", '{"budget": NaN}', JSON, 422),
    ("POST", "/api/optimize", '{"budget": 0}', JSON, 422),
    ("POST", "/api/optimize", '{"max_change": NaN}', JSON, 422),
    ("POST", "/api/near-optimal", '{"tolerance": NaN}', JSON, 422),
    ("POST", "/api/near-optimal", '{"budget": Infinity}', JSON, 422),
    ("POST", "/api/evaluate", '{"spend": {"tv": "150000"}}', JSON, 422),
    ("POST", "/api/evaluate", '{"spend": {"tv": true}}', JSON, 422),
    ("POST", "/api/evaluate", '{"spend": {"teevee": 1}}', JSON, 400),
    ("POST", "/api/evaluate", '{"spend": {"tv": -1}}', JSON, 400),
    ("POST", "/api/marginal", "\x80{not json", JSON, 400),
    ("POST", "/api/marginal", "{not json", JSON, 422),
    ("POST", "/api/optimize", '{"objective": "mean-sd:nan"}', JSON, 400),
    ("GET", "/api/frontier?max_change=nan", None, {}, 422),
    ("POST", "/api/evaluate", '{"spend": {}}', {**JSON, "Origin": "http://evil.example"}, 403),
    ("GET", "/api/meta", None, {"Host": "evil.example"}, 421),
]


def _fire(base: str, worker: int) -> list[tuple[int, bool]]:
    """One keep-alive connection, bad requests back to back: (status, server asked to close) each."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    answers = []
    try:
        for i in range(REQUESTS_PER_CLIENT):
            method, path, body, headers, expected = BAD_REQUESTS[(worker + i) % len(BAD_REQUESTS)]
            connection.request(method, path, body=None if body is None else body.encode("latin-1"),
                               headers=headers)
            response = connection.getresponse()
            response.read()
            assert response.status == expected, (method, path, body, response.status)
            answers.append((response.status, response.will_close))
            assert connection.sock is not None, "the server closed the connection"
    finally:
        connection.close()
    return answers


def test_a_burst_of_bad_requests_resets_no_connection(hostile_run_dir):
    with running_server(hostile_run_dir) as url:
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(lambda worker: _fire(url, worker), range(CLIENTS)))
        answers = [answer for result in results for answer in result]
        assert len(answers) == CLIENTS * REQUESTS_PER_CLIENT
        assert all(400 <= status < 500 for status, _ in answers)
        assert not [status for status, closing in answers if closing], "the server asked to close"
        good = httpx.post(f"{url}/api/evaluate", json={"spend": {}}, timeout=30)
        assert good.status_code == 200
        assert good.json()["difference"]["mean"] == pytest.approx(0.0, abs=1e-6)
        assert json.loads(good.text)["draws_used"] > 0
