"""Planning as exploration over the stored surface: no refit, no JAX.

Constraints are data (:class:`Constraints`); :func:`optimize` recommends an
allocation with its uncertainty and the near-optimal ranges around it;
:func:`frontier` gives the best plan per budget level; :func:`marginal_returns`
says where the next dollar should go. :func:`parse_constraints` reads constraints
written as text ("1.2x", "30%", "tv=120000") the way the CLI does.
"""

from mixscope.plan.amounts import parse_constraints
from mixscope.plan.constraints import Bounds, Constraints, PlanError, resolve
from mixscope.plan.frontier import frontier
from mixscope.plan.marginal import marginal_returns
from mixscope.plan.near_optimal import NearOptimal, near_optimal
from mixscope.plan.objective import Objective
from mixscope.plan.optimize import DEFAULT_OBJECTIVE, MIN_CONFIDENCE, PlanResult, optimize, status_quo

__all__ = [
    "DEFAULT_OBJECTIVE",
    "MIN_CONFIDENCE",
    "Bounds",
    "Constraints",
    "NearOptimal",
    "Objective",
    "PlanError",
    "PlanResult",
    "frontier",
    "marginal_returns",
    "near_optimal",
    "optimize",
    "parse_constraints",
    "resolve",
    "status_quo",
]
