"""The prediction space: per-draw response curves and scenarios, stored and queried.

``mixscope.surface.build`` evaluates the posterior (JAX) once, organic media and
treatment levels included (``input_curves``); everything imported here reads the stored
artifact with NumPy/pandas only (``scenario_inputs``: organic and treatment what-ifs).
"""

from mixscope.surface.design import AllocationDesign, allocation_design, budget_levels
from mixscope.surface.runtime import PlanOutcome, Surface
from mixscope.surface.scoring import ResponseCurves

__all__ = [
    "AllocationDesign",
    "PlanOutcome",
    "ResponseCurves",
    "Surface",
    "allocation_design",
    "budget_levels",
]
