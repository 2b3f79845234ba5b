"""Which engine made a run, and how its stored draws are evaluated: the one engine hook.

``summary["engine"]`` names it. ``"bayes"`` (mixscope's NUTS fit) and ``"ridge"``
(:mod:`mixscope.ridge`) store draws of mixscope's own model, evaluated on
arrays built from the run's spec and data (:func:`mixscope.model.fit.prepare`).
``"meridian"`` (an imported Google Meridian fit, :mod:`mixscope.meridian`)
stores Meridian's draws under mixscope's parameter names; they are evaluated by
the same model functions on arrays scaled as Meridian scales them
(:func:`mixscope.meridian.equations.evaluation_inputs`).

Code that evaluates a stored posterior (the surface build) asks
:func:`evaluation_inputs`; code that needs mixscope's own priors and likelihood
(``evidence``, ``next-test``) calls :func:`require_native`, which refuses other
engines by name instead of answering wrongly.
"""

from __future__ import annotations

from typing import Any

NATIVE_ENGINES = ("bayes", "ridge")  # draws of mixscope's own model


def run_engine(run: Any) -> str:
    """The engine that produced a loaded run (runs from before the marker are ``"bayes"``)."""
    return str(run.summary.get("engine", "bayes"))


def evaluation_inputs(run: Any) -> tuple[Any, Any, Any]:
    """``(Scaling, ModelInputs, ModelConfig)``: the arrays mixscope's model functions evaluate draws on."""
    if run_engine(run) == "meridian":
        from mixscope.meridian.equations import evaluation_inputs as meridian_inputs

        return meridian_inputs(run)
    from mixscope.model.fit import prepare

    return prepare(run.spec, run.dataset)


def require_native(run: Any, command: str) -> None:
    """Refuse ``command`` on a run whose draws are not of mixscope's own model, naming why."""
    engine = run_engine(run)
    if engine not in NATIVE_ENGINES:
        from mixscope.errors import RunError

        raise RunError(
            f"`mixscope {command}` needs mixscope's own priors and likelihood, and {run.path} was imported "
            f"from {engine.capitalize()} (engine {engine!r}). Fit the same data with mixscope "
            f"(`mixscope fit {run.path}/spec.toml --out RUN`) to use it."
        )
