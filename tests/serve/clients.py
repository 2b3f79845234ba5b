"""In-process clients for the planner, addressed to loopback as a browser on this machine would be.

Without a token the planner answers only requests whose Host is a loopback name
(mixscope.serve.gate), and TestClient's default host, ``testserver``, is not one.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

LOCAL_URL = "http://127.0.0.1"


def local_client(app: Any, **options: Any) -> TestClient:
    return TestClient(app, base_url=LOCAL_URL, **options)
