"""The web planner: a FastAPI app answering every question from a run's stored surface.

No refit and no JAX: the process imports only the surface runtime and the
planner (NumPy/SciPy/pandas). The narrative, whose dependencies are not ours to
police, is produced in a child process and cached.
"""

from __future__ import annotations

import functools
import hmac
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson
import plotly
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from mixscope import metrics, spec
from mixscope.errors import MAX_AMOUNT, MixscopeError
from mixscope.plan import Constraints, Objective, PlanError, frontier, marginal_returns, optimize
from mixscope.plan.optimize import EXTRAPOLATION_NOTE
from mixscope.serve import models
from mixscope.serve.curves import channel_curves
from mixscope.serve.gate import RequestGate
from mixscope.serve.page import page_headers, render_page
from mixscope.serve.remedies import PAGE_REMEDIES
from mixscope.serve.responses import json_response, send_json
from mixscope.serve.scenario_api import add_scenario_routes
from mixscope.serve.scenarios import ScenarioStore
from mixscope.serve.startup import DEFAULT_LIVE_DRAWS, LOOPBACK, freeze_startup_heap
from mixscope.serve.whatif import WhatIf, parse_live_draws
from mixscope.surface import Surface

# Paths a browser must fetch before it can know a token: the page shell (no data) and Plotly's bundle.
_PUBLIC_PATHS = frozenset({"/", "/static/plotly.min.js", "/favicon.ico"})
_NARRATIVE_TIMEOUT_S = 180
_ENV_RUN_DIR = "MIXSCOPE_SERVE_RUN_DIR"
_ENV_TOKEN = "MIXSCOPE_SERVE_TOKEN"
_ENV_LIVE_DRAWS = "MIXSCOPE_SERVE_LIVE_DRAWS"
_ENV_HOST = "MIXSCOPE_SERVE_HOST"
_log = logging.getLogger("mixscope.serve")
_ERRORS = {400: {"model": models.ErrorResponse, "description": "A request the surface or planner refuses."}}


def plotly_js_path() -> Path:
    """Plotly's minified bundle shipped inside the installed ``plotly`` package."""
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def create_app(
    run_dir: str | Path, token: str | None = None, live_draws: int | None = DEFAULT_LIVE_DRAWS,
    host: str = LOOPBACK,
) -> FastAPI:
    """The planner for ``run_dir`` (which needs a surface: ``mixscope surface RUN_DIR``).

    With ``token``, every API call must carry it (``Authorization: Bearer TOKEN``,
    ``X-Mixscope-Token`` or ``?token=``); the page passes on the token in its URL.
    Without one, only requests addressed to this machine by a loopback name (or
    ``host``, the address the server binds) are answered. Either way a browser
    page from another origin cannot post to it (:class:`RequestGate`).
    What-if answers (``/api/evaluate``) come from ``live_draws`` posterior draws
    when the surface has more (a fixed, seeded subset; each answer says how many
    it used; None: every draw); planning always uses every draw.
    """
    run_dir = Path(run_dir)
    surface = Surface.load(run_dir)
    state = _State(run_dir, surface, WhatIf(surface, live_draws), _read_summary(run_dir))
    app = FastAPI(
        title="mixscope planner",
        version="1",
        description=(
            f"What-if planning over the stored prediction surface of run `{run_dir.name}`. Spend is currency "
            "over the reference window; outcomes are calibrated KPI units with 90% intervals."
        ),
        # FastAPI's /docs and /redoc pages load their scripts from a public CDN: a page that runs code from
        # elsewhere has no place on a server holding a run. The schema stays at /openapi.json.
        docs_url=None, redoc_url=None,
    )
    app.state.planner = state
    # Middleware added later wraps what was added before: the gates run first, then the fast path.
    app.add_middleware(_WhatIfFastPath, whatif=state.whatif)
    if token:
        app.add_middleware(_TokenGate, token=token)
    app.add_middleware(RequestGate, bind_host=None if token else host)
    app.add_middleware(_AnswerUnexpectedErrors)

    @app.exception_handler(MixscopeError)
    async def _refused(request: Request, error: MixscopeError) -> Response:
        return _json(_refusal(error), status=400)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        return _json({"detail": [_field_problem(problem) for problem in error.errors()]}, status=422)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        return HTMLResponse(render_page(run_dir.name, nonce), headers=page_headers(nonce))

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
    async def evaluate(request: models.EvaluateRequest) -> Response:
        """Outcome of a plan with its 90% interval vs the current plan, contributions, ROI and mROI.

        Answered from ``draws_used`` of the run's ``draws_total`` posterior draws (``--live-draws``), or
        from all of them with ``all_draws`` (the optimiser's numbers for the same plan).
        """
        # Well-formed spend-only queries are answered by _WhatIfFastPath before they get here; this route
        # is the contract (schema, 422s) and answers the rest, scenario inputs included
        # (mixscope.surface.scenario_inputs). Its answer is already checked by the WhatIf contract
        # (tests hold it to Surface.evaluate), so FastAPI's response re-validation is skipped.
        whatif = state.whatif_all if request.all_draws else state.whatif
        return _json(whatif.evaluate(request.spend, request.organic, request.treatments))

    @app.post("/api/marginal", response_model=models.MarginalResponse, responses=_ERRORS, tags=["what-if"])
    async def marginal(request: models.SpendRequest) -> Response:
        """mROI per channel at a plan, and where the next unit of spend earns most."""
        return _json(marginal_returns(surface, request.spend))

    @app.post("/api/optimize", responses=_ERRORS, tags=["planning"])
    def optimise(request: models.ConstraintsRequest) -> Response:
        """Recommended allocation under constraints, its uplift vs current, and near-optimal ranges."""
        result = optimize(surface, _constraints(request), Objective.parse(request.objective),
                          near_optimal_tolerance=request.tolerance,
                          min_confidence=request.min_confidence or None)
        return _json(result.to_dict())

    @app.post("/api/near-optimal", response_model=models.NearOptimalResponse, responses=_ERRORS,
              tags=["planning"])
    def near_optimal(request: models.ConstraintsRequest) -> Response:
        """Plans within ``tolerance`` of the best: per-channel ranges and diverse alternatives."""
        result = optimize(surface, _constraints(request), Objective.parse(request.objective),
                          near_optimal_tolerance=request.tolerance,
                          min_confidence=request.min_confidence or None)
        payload = result.to_dict()
        return _json({
            "allocation": payload["allocation"], "tolerance": request.tolerance,
            "ranges": payload["near_optimal_ranges"], "alternatives": payload["near_optimal_alternatives"],
            "sentences": result.near_optimal.sentences(),
        })

    @app.get("/api/frontier", response_model=models.FrontierResponse, responses=_ERRORS, tags=["planning"])
    def efficient_frontier(
        max_change: float | None = Query(None, ge=0, allow_inf_nan=False,
                                         description="Keep channels within ± this fraction."),
        trust_region: bool = Query(True, description="Stay within the spend levels the data showed."),
    ) -> Response:
        """Best expected outcome per budget level (the surface's levels), with the current plan."""
        return _json(state.frontier(max_change, trust_region))

    @app.get("/api/curves", response_model=models.CurvesResponse, tags=["run"])
    def curves() -> Response:
        """Per-channel response curves (every draw): outcome vs spend with the 90% band, the current spend
        and the largest spend the data showed."""
        return _json(state.curves())

    @app.get("/api/narrative", response_model=models.NarrativeResponse, tags=["run"])
    def narrative() -> Response:
        """The insights layer's account of the run, when it is installed, and the constraints its
        recommended plan was optimised under."""
        return _json({**state.narrative(), "plan_constraints": _narrative_constraints(state.meta)})

    @app.post("/api/ask", response_model=models.AskResponse, responses=_ERRORS, tags=["what-if"])
    def ask(body: models.AskBody) -> Response:
        """A question in plain language, read as a request (whatif, compare, plan, frontier, marginal) and
        answered from the surface with 90% intervals. The rule-based reader answers unless
        ``$MIXSCOPE_LLM_MODEL`` names a model, which then reads the question in a child process."""
        from mixscope.insights.ask import ask_run

        return _json(ask_run(run_dir, body.question, surface=surface,
                             reading=_reading_in_child(body.question, surface.channels)).to_dict())

    add_scenario_routes(app, ScenarioStore(run_dir), state.whatif)

    @app.get("/api/health", tags=["run"])
    async def health() -> dict[str, Any]:
        return {"ok": True, "run": run_dir.name, "draws": surface.n_draws}

    return app


# --------------------------------------------------------------------------- state


class _State:
    """Per-app data: the surface, the hot-path evaluator, cached frontier tables and narrative."""

    def __init__(self, run_dir: Path, surface: Surface, whatif: WhatIf, summary: dict[str, Any]) -> None:
        self.run_dir, self.surface, self.whatif, self.summary = run_dir, surface, whatif, summary
        # The same answers from every draw, for a plan whose numbers must match the optimiser's.
        self.whatif_all = whatif if whatif.draws_used == whatif.draws_total else type(whatif)(surface, None)
        self._curves: dict[str, Any] | None = None
        self._narrative_lock = threading.Lock()
        self._frontier_lock = threading.Lock()
        self._narrative: dict[str, Any] | None = None
        self.meta = self._meta()

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
            "live_draws": self.whatif.draws_used,
            "diagnostics_ok": bool(summary.get("diagnostics_ok", True)),
            "warnings": list(summary.get("warnings", [])),
            "budget_levels": list(surface.manifest["scenarios"]["budget_levels"]),
            "currency": spec.run_currency(self.run_dir),
            "extrapolation_note": EXTRAPOLATION_NOTE,
            # What /api/evaluate's organic and treatments fields accept (none: the run has neither).
            "scenario_inputs": surface.manifest.get("scenario_inputs", {}),
        }

    def curves(self) -> dict[str, Any]:
        """The response curves, computed on first use (a quantile pass over every stored draw)."""
        if self._curves is None:
            self._curves = channel_curves(self.surface)
        return self._curves

    def frontier(self, max_change: float | None, trust_region: bool) -> dict[str, Any]:
        """The frontier table for these constraints, computed once: a request arriving while the
        start-up warm-up computes the default one waits for it instead of computing it again."""
        with self._frontier_lock:
            return self._frontier(max_change, trust_region)

    @functools.lru_cache(maxsize=32)  # noqa: B019 - one state per app, kept for the app's lifetime
    def _frontier(self, max_change: float | None, trust_region: bool) -> dict[str, Any]:
        table = frontier(self.surface, Constraints(max_change=max_change, trust_region=trust_region))
        spend_columns = [f"spend_{name}" for name in self.surface.channels]
        points = []
        for row in table.to_dict(orient="records"):
            point = {key: value for key, value in row.items() if not key.startswith("spend_")}
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
        with self._narrative_lock:
            if self._narrative is None:
                self._narrative = _narrative_in_child(self.run_dir)
            return self._narrative


def _narrative_constraints(meta: dict[str, Any]) -> dict[str, Any]:
    """The constraints of the narrative's plan: the insights layer optimises with the planner's defaults
    (``optimize(surface)``), which keep the current total."""
    default = Constraints()
    return {"budget": meta["current_total"] if default.budget is None else default.budget,
            "max_change": default.max_change, "trust_region": default.trust_region,
            "locked": list(default.locked)}


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


def _reading_in_child(question: str, channels: tuple[str, ...]) -> Any:
    """How a model reads ``question`` (in a child process: the model runtime stays out of the server), or
    None without ``$MIXSCOPE_LLM_MODEL``: ``ask_run`` then uses the rule-based reader in process."""
    from mixscope.insights.ask import Reading
    from mixscope.insights.backends import MODEL_ENV
    from mixscope.insights.request import AskRequest

    if not os.environ.get(MODEL_ENV):
        return None
    code = (
        "import json, sys\n"
        "from mixscope.insights.ask import read\n"
        "from mixscope.insights.explain import choose_backend\n"
        "payload = json.load(sys.stdin)\n"
        "reading = read(payload['question'], payload['channels'], choose_backend(None, None))\n"
        "print(json.dumps({'request': reading.request.to_dict(), 'backend': reading.backend,\n"
        "                  'attempts': list(reading.attempts)}))\n"
    )
    # The question travels on stdin as JSON: never through a shell or an argument list.
    done = subprocess.run([sys.executable, "-c", code], input=json.dumps({"question": question,
                          "channels": list(channels)}), capture_output=True, text=True,
                          timeout=_NARRATIVE_TIMEOUT_S, check=False)
    if done.returncode != 0:
        return None  # the model failed: the rule-based reader answers
    payload = json.loads(done.stdout.strip().splitlines()[-1])
    return Reading(AskRequest.from_dict(payload["request"]), payload["backend"], tuple(payload["attempts"]))


def create_app_from_env() -> FastAPI:
    """:func:`create_app` configured by the environment, for uvicorn's import-string factory.

    Each of uvicorn's worker processes imports the app anew (``--workers N``), so
    the settings travel as ``MIXSCOPE_SERVE_RUN_DIR``, ``MIXSCOPE_SERVE_TOKEN`` and
    ``MIXSCOPE_SERVE_LIVE_DRAWS`` (a number or ``all``) and ``MIXSCOPE_SERVE_HOST``, which
    :func:`app_environment` writes.
    """
    run_dir = os.environ.get(_ENV_RUN_DIR)
    if not run_dir:
        raise MixscopeError(f"{_ENV_RUN_DIR} is not set: it names the run directory to serve.")
    app = create_app(run_dir, os.environ.get(_ENV_TOKEN) or None,
                     parse_live_draws(os.environ.get(_ENV_LIVE_DRAWS, str(DEFAULT_LIVE_DRAWS))),
                     os.environ.get(_ENV_HOST) or LOOPBACK)
    app.state.planner.warm()
    freeze_startup_heap()
    return app


def app_environment(
    run_dir: str | Path, token: str | None, live_draws: int | None, host: str = LOOPBACK,
) -> dict[str, str]:
    """The variables :func:`create_app_from_env` reads, for these settings."""
    return {_ENV_RUN_DIR: str(Path(run_dir).resolve()), _ENV_TOKEN: token or "",
            _ENV_LIVE_DRAWS: "all" if live_draws is None else str(live_draws), _ENV_HOST: host}


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


def _json(payload: Any, status: int = 200) -> Response:
    """JSON via orjson: 30x faster than ``json.dumps`` on a what-if answer, and it writes NaN and
    infinity (JSON has neither) as null, "unknown"; NumPy scalars are written as numbers."""
    return json_response(payload, status)


def _refusal(error: MixscopeError) -> dict[str, str]:
    """The body of a 400: what the surface or planner refused, in its own words; a remedy names the
    page's controls, not the CLI's flags."""
    return {"detail": error.worded(PAGE_REMEDIES) if isinstance(error, PlanError) else str(error)}


def _field_problem(problem: dict[str, Any]) -> dict[str, Any]:
    """One 422 problem whose message starts with the field it is about (``budget: Input should be
    greater than 0``). The rejected input is not echoed: it may be NaN, which JSON cannot carry (FastAPI's
    own handler then fails with a 500), or a large hostile value."""
    location = [part for part in problem.get("loc", ()) if isinstance(part, int | str)]
    field = ".".join(str(part) for part in location[1:]) or "request body"
    return {"loc": location, "field": field, "type": str(problem.get("type", "")),
            "msg": f"{field}: {problem.get('msg', 'invalid value')}"}


class _AnswerUnexpectedErrors:
    """ASGI middleware: a bug answers 500 like any other response, and the connection lives on.

    Left to itself an exception reaches uvicorn after Starlette has already sent its 500, and uvicorn
    then closes the connection: a client's keep-alive connection, and every request queued on it,
    would be cut off by one bad request.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            _log.exception("error answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # half a response is out: closing the connection is the only honest end
            await send_json(send, 500, {"detail": "Internal error in the planner (logged by the server)."})


_FAST_PATH_MAX_BODY = 64 * 1024  # a plan is a few hundred bytes; anything larger takes the ordinary route


class _WhatIfFastPath:
    """ASGI middleware: answers well-formed ``POST /api/evaluate`` without FastAPI's per-request work.

    A slider drag is a stream of what-if queries, and FastAPI's routing, dependency
    solving, pydantic validation and response objects cost about 0.15 ms a query:
    0.58 ms through the route, 0.43 ms here (1,000 draws, in process, on the 2-core
    bench machine).
    A JSON body that is exactly ``{"spend": {NAME: NUMBER, ...}}`` is answered here
    by the same ``WhatIf.evaluate`` as the route, with the route's 400 for what the
    surface refuses. Anything else (malformed JSON, extra keys, a string for a number,
    another content type) goes on, body replayed, to the FastAPI route and gets its
    usual answer: the contract (OpenAPI schema, 422 messages) stays the route's.
    """

    def __init__(self, app: Any, whatif: WhatIf) -> None:
        self.app, self.whatif = app, whatif

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/api/evaluate" or scope["method"] != "POST" \
                or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive, _FAST_PATH_MAX_BODY)
        spend = _plain_spend(body) if complete else None
        if spend is None:
            await self.app(scope, _replay(body, complete, receive), send)
            return
        try:
            status, answer = 200, self.whatif.evaluate(spend)
        except MixscopeError as error:
            status, answer = 400, _refusal(error)
        await send_json(send, status, answer)


def _is_json(scope: dict[str, Any]) -> bool:
    """Content-Type is application/json (what FastAPI's strict content-type check parses as JSON)."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"application/json"
    return False


async def _read_body(receive: Any, limit: int) -> tuple[bytes, bool]:
    """The request body, stopping once it exceeds ``limit``; whether it was read to its end."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > limit:
            return b"".join(chunks), False


def _replay(body: bytes, complete: bool, receive: Any) -> Any:
    """A ``receive`` that hands over ``body`` first, then whatever is still to come."""
    pending = True

    async def replayed() -> dict[str, Any]:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return replayed


def _plain_spend(body: bytes) -> dict[str, float] | None:
    """``{"spend": {name: number}}`` as a dict of floats; None for anything else (the route judges it)."""
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(request, dict) or not request.keys() <= {"spend"}:
        return None
    spend = request.get("spend", {})
    if not isinstance(spend, dict):
        return None
    # bool is not a number here; an amount past MAX_AMOUNT gets the route's 422, as the schema says.
    if not all(type(amount) in (float, int) and abs(amount) <= MAX_AMOUNT for amount in spend.values()):
        return None
    return {name: float(amount) for name, amount in spend.items()}


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
