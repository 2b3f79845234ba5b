"""The OpenAI-compatible HTTP backend against a stub server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mixscope.insights import explain_run
from mixscope.insights.backends import BackendError, Decoding, HttpBackend, check_endpoint
from tests.insights.conftest import synthetic_summary, write_run


class _Stub(ThreadingHTTPServer):
    def __init__(self, answers, redirect=False):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers, self.redirect = list(answers), redirect
        self.requests: list[tuple[str, dict, dict]] = []

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server: _Stub = self.server
        server.requests.append((self.path, dict(self.headers), body))
        if server.redirect:
            self.send_response(307)
            self.send_header("Location", "http://example.com/v1/chat/completions")
            self.end_headers()
            return
        answer = server.answers[min(len(server.requests) - 1, len(server.answers) - 1)]
        self._send(200, {"choices": [{"message": {"role": "assistant", "content": answer},
                                      "finish_reason": "stop"}],
                         "usage": {"completion_tokens": 42}})

    def _send(self, code, payload):
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def stub():
    servers = []

    def start(answers, **kwargs):
        server = _Stub(answers, **kwargs)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def run_dir(tmp_path):
    return write_run(tmp_path / "run", synthetic_summary())


def _good_answer() -> str:
    return (
        "SUMMARY: search earns the most on the next unit of spend {mroi.search} and radio the least "
        "{mroi.radio}.\nFINDING: radio returns the least on the next unit of spend {mroi.radio}.\n"
        "ACTION: shift budget from radio to search {mroi.radio, mroi.search}."
    )


def test_http_backend_verified(stub, run_dir, monkeypatch):
    # A proxy in the environment must not be used: the request goes to the named host only.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("MIXSCOPE_LLM_API_KEY", "secret-key")
    server = stub([_good_answer()])
    explanation = explain_run(run_dir, endpoint=server.endpoint, model="mistral-7b-instruct")
    assert explanation.verified and explanation.backend == "http" and explanation.fallback_reason is None
    path, headers, body = server.requests[0]
    assert path == "/v1/chat/completions"
    assert headers["Authorization"] == "Bearer secret-key"
    assert body["model"] == "mistral-7b-instruct" and body["messages"][0]["role"] == "system"
    # Only what every OpenAI-compatible server takes; the answer's shape is checked afterwards.
    assert set(body) == {"model", "messages", "max_tokens", "temperature", "seed", "stream"}
    assert "{mroi.search}" in body["messages"][1]["content"]
    assert explanation.summary.startswith("search earns the most on the next unit of spend (1.57")


def test_http_wrong_answers_fall_back(stub, run_dir):
    wrong = "SUMMARY: Radio has the highest ROI, 9.9."
    server = stub([wrong])
    explanation = explain_run(run_dir, endpoint=server.endpoint, max_retries=1)
    assert len(server.requests) == 2
    assert explanation.backend == "template" and explanation.verified
    assert "http backend: 2 attempt(s) failed verification" in explanation.fallback_reason


def test_http_redirects_are_refused(stub, run_dir):
    server = stub([], redirect=True)
    backend = HttpBackend(server.endpoint)
    with pytest.raises(BackendError, match="307"):
        backend.generate([{"role": "user", "content": "hi"}], Decoding(), max_tokens=8, seed=0)
    explanation = explain_run(run_dir, endpoint=server.endpoint)
    assert explanation.backend == "template" and "refusing redirect" in explanation.fallback_reason


def test_unreachable_endpoint_falls_back(run_dir):
    explanation = explain_run(run_dir, endpoint="http://127.0.0.1:9/v1")
    assert explanation.backend == "template" and "Could not reach" in explanation.fallback_reason


@pytest.mark.parametrize("bad", ["ftp://host/v1", "127.0.0.1:8080", "http://user:pw@host/v1", "http:///v1"])
def test_endpoint_must_be_a_plain_http_url(bad):
    with pytest.raises(BackendError):
        check_endpoint(bad)
    assert check_endpoint("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080/v1"
