"""``explain`` and ``ask``: a run in business language, every number checked."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.text import Text

from mixscope.choices import AUDIENCES
from mixscope.cli._app import app
from mixscope.cli._output import emit_json, friendly_errors, out

# ``--audience``: from the list the insights package itself uses, without importing it.
Audience = StrEnum("Audience", [(audience, audience) for audience in AUDIENCES])


@app.command()
@friendly_errors
def explain(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory (a surface adds the plan)."),
    model: str = typer.Option(
        None, help="Local GGUF model file (default: $MIXSCOPE_LLM_MODEL); with --endpoint, the model name."
    ),
    endpoint: str = typer.Option(
        None, help="OpenAI-compatible API on your own server, e.g. http://127.0.0.1:8080/v1."
    ),
    audience: Audience = typer.Option(
        Audience.executive, help="executive (plain business language) or analyst (precise, with intervals)."
    ),
    max_retries: int = typer.Option(2, help="Retries with the verifier's objections before the template."),
    as_json: bool = typer.Option(False, "--json", help="Print the explanation as JSON."),
) -> None:
    """Explain a run in business language; every number stated is checked against the run's facts."""
    from mixscope.insights import explain_run
    from mixscope.run_files import verify_run

    verify_run(run_dir)  # explain reads summary.json and the surface: both only from an intact run
    explanation = explain_run(run_dir, model=model, endpoint=endpoint, audience=audience.value,
                              max_retries=max_retries)
    if as_json:
        emit_json(explanation.to_dict())
        return
    out.print(explanation.markdown(), markup=False, highlight=False)


@app.command()
@friendly_errors
def ask(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Run directory with a surface."),
    question: str = typer.Argument(..., metavar="QUESTION",
                                   help="A planner's question, e.g. \"what if we cut tv by 20% and move it "
                                        "to search?\""),
    model: str = typer.Option(
        None, help="Local GGUF model that reads the question (default: $MIXSCOPE_LLM_MODEL; none: the "
                   "rule-based reader); with --endpoint, the model name."
    ),
    endpoint: str = typer.Option(None, help="OpenAI-compatible API on your own server."),
    as_json: bool = typer.Option(False, "--json", help="Print {request, answer, verified, ...} as JSON."),
) -> None:
    """Answer a question in plain language from the stored surface, with 90% intervals, verified."""
    from mixscope.insights.ask import ask_run
    from mixscope.run_files import verify_run

    verify_run(run_dir)  # the answer comes from the surface: only from an intact run
    answer = ask_run(run_dir, question, model=model, endpoint=endpoint)
    if as_json:
        emit_json(answer.to_dict())
        return
    status = {True: "verified against the surface's figures", False: "NOT verified",
              None: "nothing to verify"}[answer.verified]
    out.print(Text(answer.answer))
    out.print(Text(f"(request: {answer.request.to_dict()}; read by the {answer.backend} reader; {status})",
                   style="dim"))
