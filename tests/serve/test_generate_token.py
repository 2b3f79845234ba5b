"""``mixscope serve --generate-token``: the token it prints is the one the API then requires."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time

import httpx
from typer.testing import CliRunner

from mixscope.cli import app as cli
from tests.serve.browser import free_port, stop_process

START_TIMEOUT_S = 60


def _lines(process: subprocess.Popen) -> queue.Queue:
    """The server's output, line by line, read on a thread so a silent server cannot hang the test."""
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def test_generated_token_is_printed_and_required(national_surface_dir):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mixscope", "serve", str(national_surface_dir), "--port", str(port),
         "--generate-token"],
        env={**os.environ, "MIXSCOPE_NO_PROGRESS": "1"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        lines, printed, token = _lines(process), [], None
        deadline = time.monotonic() + START_TIMEOUT_S
        while token is None and time.monotonic() < deadline:
            try:
                printed.append(lines.get(timeout=1))
            except queue.Empty:
                assert process.poll() is None, "".join(printed)
                continue
            if printed[-1].startswith("Token: "):
                token = printed[-1].removeprefix("Token: ").strip()
        assert token, "".join(printed)
        assert len(token) >= 24  # secrets.token_urlsafe(24): 32 characters of 192 random bits
        assert f"?token={token}" in "".join(printed)  # the page's address carries it too
        while True:  # up when it answers at all (401 without a token)
            try:
                httpx.get(f"{url}/api/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "".join(printed)
                time.sleep(0.2)
        assert httpx.get(f"{url}/api/meta", timeout=10).status_code == 401
        wrong = httpx.get(f"{url}/api/meta", headers={"Authorization": "Bearer not-it"}, timeout=10)
        assert wrong.status_code == 401
        answer = httpx.get(f"{url}/api/meta", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert answer.status_code == 200 and answer.json()["channels"]
        plan = {"spend": {}}
        assert httpx.post(f"{url}/api/evaluate", json=plan, timeout=10).status_code == 401
        assert httpx.post(f"{url}/api/evaluate?token={token}", json=plan, timeout=10).status_code == 200
    finally:
        stop_process(process)


def test_generate_token_and_token_together_is_an_error(national_surface_dir):
    result = CliRunner().invoke(cli, ["serve", str(national_surface_dir), "--token", "t", "--generate-token"])
    assert result.exit_code == 2 and "either --token or --generate-token" in result.output
