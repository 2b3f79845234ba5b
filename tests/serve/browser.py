"""Shared by the browser tests: Debian's chromium under Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

# Screenshots go to $MIXSCOPE_TEST_ARTIFACTS when set, else ./test-artifacts (git-ignored).
ARTIFACTS = Path(os.environ.get("MIXSCOPE_TEST_ARTIFACTS")
                 or Path(__file__).resolve().parents[2] / "test-artifacts")


def amount(text: str) -> float:
    """A money input's number: its text without separators or currency ("€2,699,185" → 2699185)."""
    return float(re.sub(r"[^\d.]", "", text))


def chromium_path() -> str | None:
    """``$MIXSCOPE_CHROMIUM`` (set by .ci/run), else chromium on PATH."""
    given = os.environ.get("MIXSCOPE_CHROMIUM")
    if given and Path(given).is_file():
        return given
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def browser_page(
    viewport: tuple[int, int] = (1400, 1000), bypass_csp: bool = False, console: list[str] | None = None,
) -> Iterator[tuple[object, list[str]]]:
    """A fresh page and the list its console errors and page errors are collected into.

    ``bypass_csp`` ignores the pages' Content-Security-Policy (to test what the page's own code does
    without that safety net); ``console``, when given, collects every console message.
    """
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = chromium_path()
    if executable is None:
        pytest.skip("no chromium: install it with `apt-get install -y chromium` or set MIXSCOPE_CHROMIUM")
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            size = {"width": viewport[0], "height": viewport[1]}
            page = browser.new_page(viewport=size, bypass_csp=bypass_csp)
            errors: list[str] = []
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            if console is not None:
                page.on("console", lambda msg: console.append(msg.text))
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page, errors
        finally:
            browser.close()


def wait_until(page, condition: Callable[[], bool], what: str, timeout_ms: int = 10_000) -> None:
    """Poll ``condition`` (Python, over Playwright reads) until true: the planner's Content-Security-Policy
    forbids the string evaluation ``page.wait_for_function`` would use."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_ms} ms waiting for {what}")
        page.wait_for_timeout(50)


def evaluations(page) -> int:
    """How many what-if answers the planner page has shown."""
    return int(page.get_attribute("body", "data-evaluations"))


def screenshot(page, name: str) -> Path:
    """A full-page screenshot saved as a test artifact; its path is printed (``pytest -s`` shows it)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate a server a test started; kill it if it has not gone within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(run_dir: Path, *extra: str) -> Iterator[str]:
    """``mixscope serve RUN_DIR`` in a child process on a free loopback port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "MIXSCOPE_NO_PROGRESS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "mixscope", "serve", str(run_dir), "--port", str(port), *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {process.stdout.read()}")
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code < 500:  # 401 when gated: up
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        stop_process(process)
