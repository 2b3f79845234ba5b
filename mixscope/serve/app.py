"""The web planner: a FastAPI app answering every question from a run's stored surface.

No refit and no JAX: the process imports only the surface runtime and the
planner (NumPy/SciPy/pandas). The narrative, whose dependencies are not ours to
police, is produced in a child process and cached.
"""

from __future__ import annotations

import functools
import hmac
import json
import math
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import plotly
from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from mixscope import metrics
from mixscope.errors import MixscopeError
from mixscope.plan import Constraints, Objective, frontier, marginal_returns, optimize
from mixscope.serve import models
from mixscope.serve.page import render_page
from mixscope.serve.whatif import WhatIf
from mixscope.surface import Surface

# Paths a browser must fetch before it can know a token: the page shell (no data) and Plotly's bundle.
_PUBLIC_PATHS = frozenset({"/", "/static/plotly.min.js", "/favicon.ico"})
_NARRATIVE_TIMEOUT_S = 180
_ERRORS = {400: {"model": models.ErrorResponse, "description": "A request the surface or planner refuses."}}


def plotly_js_path() -> Path:
    """Plotly's minified bundle shipped inside the installed ``plotly`` package."""
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def create_app(run_dir: str | Path, token: str | None = None) -> FastAPI:
    """The planner for ``run_dir`` (which needs a surface: ``mixscope surface RUN_DIR``).

    With ``token``, every API call must carry it (``Authorization: Bearer TOKEN``,
    ``X-Mixscope-Token`` or ``?token=``); the page passes on the token in its URL.
    """
    run_dir = Path(run_dir)
    surface = Surface.load(run_dir)
    state = _State(run_dir, surface, WhatIf(surface), _read_summary(run_dir))
    app = FastAPI(
        title="mixscope planner",
        version="1",
        description=(
            f"What-if planning over the stored prediction surface of run `{run_dir.name}`. Spend is currency "
            "over the reference window; outcomes are calibrated KPI units with 90% intervals."
        ),
    )
    app.state.planner = state
    if token:
        app.add_middleware(_TokenGate, token=token)

    @app.exception_handler(MixscopeError)
    async def _refused(request: Request, error: MixscopeError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=400)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(state.page)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    async def plotly_js() -> Response:
        return FileResponse(plotly_js_path(), media_type="application/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)  # no icon; answering keeps the browser console clean

    @app.get("/api/meta", response_model=models.MetaResponse, tags=["run"])
    async def meta() -> dict[str, Any]:
        """Channels with current spend and limits, units, the current plan's outcome, run health."""
        return state.meta

    @app.post("/api/evaluate", response_model=models.EvaluateResponse, responses=_ERRORS, tags=["what-if"])
    async def evaluate(request: models.SpendRequest) -> Response:
        """Outcome of a plan with its 90% interval vs the current plan, contributions, ROI and mROI."""
        # Already checked by the WhatIf contract (tests hold it to Surface.evaluate); skipping FastAPI's
        # response re-validation keeps the hot path to the NumPy work.
        return _json(state.whatif.evaluate(request.spend))

    @app.post("/api/marginal", response_model=models.MarginalResponse, responses=_ERRORS, tags=["what-if"])
    async def marginal(request: models.SpendRequest) -> Response:
        """mROI per channel at a plan, and where the next unit of spend earns most."""
        return _json(marginal_returns(surface, request.spend))

    @app.post("/api/optimize", responses=_ERRORS, tags=["planning"])
    def optimise(request: models.ConstraintsRequest) -> Response:
        """Recommended allocation under constraints, its uplift vs current, and near-optimal ranges."""
        result = optimize(surface, _constraints(request), Objective.parse(request.objective),
                          near_optimal_tolerance=request.tolerance)
        return _json(result.to_dict())

    @app.post("/api/near-optimal", response_model=models.NearOptimalResponse, responses=_ERRORS,
              tags=["planning"])
    def near_optimal(request: models.ConstraintsRequest) -> Response:
        """Plans within ``tolerance`` of the best: per-channel ranges and diverse alternatives."""
        result = optimize(surface, _constraints(request), Objective.parse(request.objective),
                          near_optimal_tolerance=request.tolerance)
        payload = result.to_dict()
        return _json({
            "allocation": payload["allocation"], "tolerance": request.tolerance,
            "ranges": payload["near_optimal_ranges"], "alternatives": payload["near_optimal_alternatives"],
            "sentences": result.near_optimal.sentences(),
        })

    @app.get("/api/frontier", response_model=models.FrontierResponse, responses=_ERRORS, tags=["planning"])
    def efficient_frontier(
        max_change: float | None = Query(None, ge=0, description="Keep channels within ± this fraction."),
        trust_region: bool = Query(True, description="Stay within the spend levels the data showed."),
    ) -> Response:
        """Best expected outcome per budget level (the surface's levels), with the current plan."""
        return _json(state.frontier(max_change, trust_region))

    @app.get("/api/narrative", response_model=models.NarrativeResponse, tags=["run"])
    def narrative() -> Response:
        """The insights layer's account of the run, when it is installed."""
        return _json(state.narrative())

    @app.get("/api/health", tags=["run"])
    async def health() -> dict[str, Any]:
        return {"ok": True, "run": run_dir.name, "draws": surface.n_draws}

    return app


# --------------------------------------------------------------------------- state


class _State:
    """Per-app data: the surface, the hot-path evaluator, cached frontier tables and narrative."""

    def __init__(self, run_dir: Path, surface: Surface, whatif: WhatIf, summary: dict[str, Any]) -> None:
        self.run_dir, self.surface, self.whatif, self.summary = run_dir, surface, whatif, summary
        self._lock = threading.Lock()
        self._narrative: dict[str, Any] | None = None
        self.meta = self._meta()
        self.page = render_page(run_dir.name)

    def _meta(self) -> dict[str, Any]:
        surface, summary = self.surface, self.summary
        current = surface.historical_plan()
        trust = surface.manifest["trust_multiple"]
        outcome = surface.outcome(current, "historical plan").outcome
        return {
            "kpi": summary.get("kpi", "KPI"),
            "kpi_type": surface.units.get("kpi_type", summary.get("kpi_type", "")),
            "channels": [
                {"name": name, "current": float(current[c]), "max": float(surface.curves.max_spend[c]),
                 "trust_limit": float(min(trust[name] * current[c], surface.curves.max_spend[c]))}
                for c, name in enumerate(surface.channels)
            ],
            "current_total": float(current.sum()),
            "current_outcome": metrics.interval_summary(outcome),
            "reference": surface.manifest["reference"],
            "units": surface.units,
            "n_draws": surface.n_draws,
            "diagnostics_ok": bool(summary.get("diagnostics_ok", True)),
            "warnings": list(summary.get("warnings", [])),
            "budget_levels": list(surface.manifest["scenarios"]["budget_levels"]),
        }

    @functools.lru_cache(maxsize=32)  # noqa: B019 - one state per app, kept for the app's lifetime
    def frontier(self, max_change: float | None, trust_region: bool) -> dict[str, Any]:
        table = frontier(self.surface, Constraints(max_change=max_change, trust_region=trust_region))
        spend_columns = [f"spend_{name}" for name in self.surface.channels]
        points = []
        for row in table.to_dict(orient="records"):
            point = {key: _finite(value) for key, value in row.items() if not key.startswith("spend_")}
            if row["feasible"]:
                point["allocation"] = {column[6:]: float(row[column]) for column in spend_columns}
            points.append(point)
        current = self.meta
        return {"points": points, "current": {"total_spend": current["current_total"],
                                              "outcome_mean": current["current_outcome"]["mean"]}}

    def warm(self) -> None:
        """Compute the default frontier in the background so the page's first view is quick."""
        threading.Thread(target=self.frontier, args=(None, True), daemon=True, name="frontier").start()

    def narrative(self) -> dict[str, Any]:
        with self._lock:
            if self._narrative is None:
                self._narrative = _narrative_in_child(self.run_dir)
            return self._narrative


def _narrative_in_child(run_dir: Path) -> dict[str, Any]:
    """Run the insights layer in a child process: whatever it imports stays out of the server."""
    code = (
        "import json, sys\n"
        "from mixscope.insights import explain_run\n"
        "print(json.dumps(explain_run(sys.argv[1]).to_dict(), default=str))\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", code, str(run_dir)], capture_output=True, text=True,
                              timeout=_NARRATIVE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return {"available": False, "reason": f"The narrative took longer than {_NARRATIVE_TIMEOUT_S} s."}
    if done.returncode != 0:
        if "No module named 'mixscope.insights'" in done.stderr:
            return {"available": False, "reason": "The insights layer (mixscope.insights) is not installed."}
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"available": False, "reason": f"The narrative failed: {last}"}
    try:
        return {"available": True, "story": json.loads(done.stdout.strip().splitlines()[-1])}
    except (ValueError, IndexError):
        return {"available": False, "reason": "The insights layer returned no readable narrative."}


# --------------------------------------------------------------------------- helpers


def _read_summary(run_dir: Path) -> dict[str, Any]:
    """summary.json as stored (read directly: loading the full run would pull in ArviZ)."""
    try:
        return json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _constraints(request: models.ConstraintsRequest) -> Constraints:
    return Constraints(
        budget=request.budget, minimum=dict(request.minimum), maximum=dict(request.maximum),
        max_change=request.max_change, locked=tuple(request.locked), trust_region=request.trust_region,
    )


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: say "unknown" as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # NumPy scalars
        return _finite(value.item())
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _json(payload: Any) -> Response:
    return Response(json.dumps(_finite(payload), separators=(",", ":")), media_type="application/json")


class _TokenGate:
    """ASGI middleware: refuse requests without the shared token (constant-time comparison)."""

    def __init__(self, app: Any, token: str) -> None:
        self.app, self.token = app, token.encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in _PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"authorization", b"")
        if given.lower().startswith(b"bearer "):
            given = given[7:].strip()
        else:
            given = headers.get(b"x-mixscope-token", b"")
        if not given:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            given = (query.get("token") or [""])[0].encode()
        if not hmac.compare_digest(given, self.token):
            response = JSONResponse(
                {"detail": "This planner needs its token: send 'Authorization: Bearer TOKEN' "
                           "or open the page as /?token=TOKEN."},
                status_code=401, headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
