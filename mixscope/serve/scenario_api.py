"""The planner's routes for named scenarios: list, save, delete and compare (logic: :mod:`.scenarios`)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from mixscope.serve import models
from mixscope.serve.responses import json_response as _json
from mixscope.serve.scenarios import (
    MAX_SCENARIOS,
    ScenarioNotFoundError,
    ScenarioStore,
    ScenarioStoreError,
    compare,
)
from mixscope.serve.whatif import WhatIf
from mixscope.surface.scenario_inputs import check_inputs

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": models.ErrorResponse, "description": "A plan the surface refuses, or the list is full."},
    404: {"model": models.ErrorResponse, "description": "No saved scenario of that name."},
    500: {"model": models.ErrorResponse, "description": "The run folder's scenarios file cannot be used."},
}


def add_scenario_routes(app: FastAPI, store: ScenarioStore, whatif: WhatIf) -> None:
    """Routes under ``/api/scenarios`` and ``/api/compare`` for the scenarios kept in ``store``."""

    @app.exception_handler(ScenarioNotFoundError)
    async def _not_found(request: Request, error: ScenarioNotFoundError) -> Response:
        return _json({"detail": str(error)}, status=404)

    @app.exception_handler(ScenarioStoreError)
    async def _store_failed(request: Request, error: ScenarioStoreError) -> Response:
        return _json({"detail": str(error)}, status=500)

    @app.get("/api/scenarios", response_model=models.ScenarioListResponse, responses=_ERRORS,
             tags=["scenarios"])
    def saved_scenarios() -> Response:
        """The scenarios saved in the run folder, in the order they were first saved."""
        return _json({"scenarios": [scenario.to_dict() for scenario in store.saved()],
                      "max_scenarios": MAX_SCENARIOS})

    @app.post("/api/scenarios", response_model=models.SaveScenarioResponse, responses=_ERRORS,
              tags=["scenarios"])
    def save_scenario(request: models.SaveScenarioRequest) -> Response:
        """Save a plan under a name in the run folder (every channel's spend: those left out keep current
        spend), with the organic and treatment inputs it sets, checked as /api/evaluate checks them. A name
        saved before is replaced, and the answer says so (``replaced``)."""
        spend = whatif.surface.plan_vector(request.spend)  # refuses unknown channels and off-grid amounts
        inputs = check_inputs(whatif.surface.inputs, request.organic, request.treatments)  # unknown names
        saved = store.save(request.name, dict(zip(whatif.channels, spend.tolist(), strict=True)),
                           inputs["organic"], inputs["treatments"])
        return _json(saved.to_dict())

    @app.delete("/api/scenarios/{name:path}", response_model=models.SavedScenario, responses=_ERRORS,
                tags=["scenarios"])
    def delete_scenario(name: str) -> Response:
        """Delete a saved scenario; the answer is the scenario deleted."""
        return _json(store.delete(name).to_dict())

    @app.post("/api/compare", response_model=models.CompareResponse, responses=_ERRORS, tags=["scenarios"])
    def compare_scenarios(request: models.CompareRequest) -> Response:
        """Two to four saved scenarios side by side: each one's outcome as /api/evaluate answers its spend
        and its own organic and treatment inputs (the same draws), and P(A beats B) for every ordered pair,
        pairing the plans draw by draw."""
        return _json(compare(whatif, [store.get(name) for name in request.names]))
