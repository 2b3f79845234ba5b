"""The web planner: ``mixscope serve RUN_DIR`` (FastAPI + uvicorn), answered from the stored surface.

Bound to 127.0.0.1 by default. Any other address exposes the run's numbers to
the network, so it needs a token (:func:`check_bind`).
"""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path

from mixscope.errors import MixscopeError

LOOPBACK = "127.0.0.1"


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname resolving who knows where: treat as exposed


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without a token."""
    if not is_loopback(host) and not token:
        raise MixscopeError(
            f"--host {host} makes the planner reachable from other machines; it then needs a token. "
            "Pass --token YOUR_TOKEN or --generate-token (clients send 'Authorization: Bearer TOKEN'; "
            "the page opens as http://HOST:PORT/?token=TOKEN)."
        )


def generate_token() -> str:
    return secrets.token_urlsafe(24)


def create_app(run_dir: str | Path, token: str | None = None):  # noqa: ANN201 - FastAPI is imported lazily
    """See :func:`mixscope.serve.app.create_app` (imported on use: the CLI stays light)."""
    from mixscope.serve.app import create_app as factory

    return factory(run_dir, token)


def run_server(run_dir: str | Path, host: str = LOOPBACK, port: int = 8000, token: str | None = None) -> None:
    """Serve the planner with uvicorn until interrupted."""
    import uvicorn

    check_bind(host, token)
    app = create_app(run_dir, token)
    app.state.planner.warm()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


__all__ = ["LOOPBACK", "check_bind", "create_app", "generate_token", "is_loopback", "run_server"]
