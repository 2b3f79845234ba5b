"""``serve``: the web planner."""

from __future__ import annotations

from pathlib import Path

import typer

from mixscope.cli._app import app
from mixscope.cli._output import err, friendly_errors
from mixscope.errors import MixscopeError
from mixscope.serve import DEFAULT_LIVE_DRAWS


@app.command()
@friendly_errors
def serve(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory with a surface."),
    host: str = typer.Option("127.0.0.1", help="Address to bind; anything but loopback needs a token."),
    port: int = typer.Option(8000, help="Port to listen on."),
    token: str = typer.Option(None, help="Shared secret API clients must send (Authorization: Bearer)."),
    generate_token: bool = typer.Option(False, "--generate-token", help="Make up a token and print it."),
    live_draws: str = typer.Option(
        str(DEFAULT_LIVE_DRAWS),
        help="Answer what-if queries from this many posterior draws when the surface has more (a fixed, "
             "seeded subset; each answer says how many), or 'all'. Planning always uses every draw."),
    workers: int = typer.Option(
        1, help="Server processes sharing the port, each with its own copy of the surface: more queries "
                "per second with spare cores; on 2 cores shared with the clients the p99 gets worse."),
) -> None:
    """Web planner: sliders, live outcome with intervals, mROI, frontier, optimiser (from the surface)."""
    from mixscope.serve import check_bind, check_workers, run_server
    from mixscope.serve import generate_token as new_token
    from mixscope.serve.whatif import parse_live_draws

    if generate_token and token:
        raise MixscopeError("Pass either --token or --generate-token, not both.")
    token = new_token() if generate_token else token
    check_bind(host, token)
    draws = parse_live_draws(live_draws)
    check_workers(workers)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    shown_token = f"\nToken: {token}" if token else ""
    err.print(f"Planner for {run_dir} at {url}{shown_token}\nCtrl+C to stop.", highlight=False)
    run_server(run_dir, host=host, port=port, token=token, live_draws=draws, workers=workers)
