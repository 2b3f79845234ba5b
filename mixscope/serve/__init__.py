"""The web planner: ``mixscope serve RUN_DIR`` (FastAPI + uvicorn), answered from the stored surface.

Bound to 127.0.0.1 by default. Any other address exposes the run's numbers to
the network, so it needs a token (:func:`check_bind`).

Named scenarios a user saves on the page are kept in the run folder
(``scenarios.json``): :mod:`mixscope.serve.scenarios` (store, comparison),
:mod:`mixscope.serve.scenario_api` (routes), :mod:`mixscope.serve.page_scenarios` (the page's card).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from mixscope.errors import MixscopeError
from mixscope.serve.startup import DEFAULT_LIVE_DRAWS, LOOPBACK, freeze_startup_heap, is_loopback


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without a token."""
    if not is_loopback(host) and not token:
        raise MixscopeError(
            f"--host {host} makes the planner reachable from other machines; it then needs a token. "
            "Pass --token YOUR_TOKEN or --generate-token (clients send 'Authorization: Bearer TOKEN'; "
            "the page opens as http://HOST:PORT/?token=TOKEN)."
        )


def check_workers(workers: int) -> None:
    if workers < 1:
        raise MixscopeError(f"--workers must be 1 or more, got {workers}.")


def generate_token() -> str:
    return secrets.token_urlsafe(24)


def create_app(  # noqa: ANN201 - FastAPI is imported lazily
    run_dir: str | Path, token: str | None = None, live_draws: int | None = DEFAULT_LIVE_DRAWS,
    host: str = LOOPBACK,
):
    """See :func:`mixscope.serve.app.create_app` (imported on use: the CLI stays light)."""
    from mixscope.serve.app import create_app as factory

    return factory(run_dir, token, live_draws, host)


def run_server(
    run_dir: str | Path, host: str = LOOPBACK, port: int = 8000, token: str | None = None,
    live_draws: int | None = DEFAULT_LIVE_DRAWS, workers: int = 1,
) -> None:
    """Serve the planner with uvicorn until interrupted.

    ``workers`` > 1 runs that many server processes on one socket (uvicorn's
    workers), each loading the surface itself through the import-string factory
    :func:`mixscope.serve.app.create_app_from_env`.
    """
    import uvicorn

    check_bind(host, token)
    check_workers(workers)
    settings = {"host": host, "port": port, "log_level": "warning", "access_log": False}
    if workers == 1:
        app = create_app(run_dir, token, live_draws, host)
        app.state.planner.warm()
        freeze_startup_heap()
        uvicorn.run(app, **settings)
        return
    from mixscope.serve.app import app_environment

    create_app(run_dir, token, live_draws, host)  # fail here, with the CLI's message, not in every worker
    os.environ.update(app_environment(run_dir, token, live_draws, host))
    uvicorn.run("mixscope.serve.app:create_app_from_env", factory=True, workers=workers, **settings)


__all__ = [
    "DEFAULT_LIVE_DRAWS", "LOOPBACK", "check_bind", "check_workers", "create_app", "freeze_startup_heap",
    "generate_token", "is_loopback", "run_server",
]
