"""The frequentist engine: OLS/ridge/lasso MMMs and a Robyn-style evolutionary search.

Same data gate, spec, scaling and transforms as the Bayesian model; the chosen
candidate and its bootstrap replicates are stored as a run directory like any
other fit (``summary["engine"] == "ridge"``). Entry point: :func:`fit_ridge`.
"""

from mixscope.ridge.engine import fit_ridge
from mixscope.ridge.lift import LiftTest
from mixscope.ridge.regression import METHODS

__all__ = ["METHODS", "LiftTest", "fit_ridge"]
