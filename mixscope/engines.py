"""How a run's stored draws are evaluated, whichever engine made it: the one engine hook.

``summary["engine"]`` names the engine (:func:`mixscope.run.run_engine`).
``"bayes"`` (mixscope's NUTS fit) and ``"ridge"`` (:mod:`mixscope.ridge`) store
draws of mixscope's own model, evaluated on arrays built from the run's spec
and data (:func:`mixscope.model.fit.prepare`). ``"meridian"`` (an imported
Google Meridian fit, :mod:`mixscope.meridian`) stores Meridian's draws under
mixscope's parameter names; they are evaluated by the same model functions on
arrays scaled as Meridian scales them
(:func:`mixscope.meridian.equations.evaluation_inputs`).

Code that evaluates a stored posterior (the surface build) asks
:func:`evaluation_inputs`; code that needs mixscope's own priors and likelihood
(``evidence``, ``next-test``) calls :func:`mixscope.run.require_native`, which
refuses other engines by name instead of answering wrongly.
"""

from __future__ import annotations

from mixscope.meridian.equations import evaluation_inputs as meridian_inputs
from mixscope.model.fit import prepare
from mixscope.model.inputs import ModelInputs, Scaling
from mixscope.model.mmm import ModelConfig
from mixscope.run import Run, run_engine


def evaluation_inputs(run: Run) -> tuple[Scaling, ModelInputs, ModelConfig]:
    """The arrays mixscope's model functions evaluate the run's draws on."""
    if run_engine(run) == "meridian":
        return meridian_inputs(run)
    return prepare(run.spec, run.dataset)
