"""mixscope: Bayesian marketing mix modelling as a persistent, queryable decision tool.

Stages, each a subpackage: ``data`` (load + validation gate), ``transforms``
(adstock, saturation), ``model`` (NumPyro MMM, fit, run directories).
"""

import warnings

# ArviZ 0.2x announces its 1.0 refactor on import; users cannot act on it.
warnings.filterwarnings("ignore", message="ArviZ is undergoing", category=FutureWarning)

__version__ = "0.1.0"

from mixscope.data import load_dataset, validate_frame  # noqa: E402
from mixscope.model.fit import FitResult, fit  # noqa: E402
from mixscope.model.run import Run, load_run, save_run  # noqa: E402
from mixscope.spec import RunSpec, load_spec, parse_spec  # noqa: E402

__all__ = [
    "FitResult",
    "Run",
    "RunSpec",
    "fit",
    "load_dataset",
    "load_run",
    "load_spec",
    "parse_spec",
    "save_run",
    "validate_frame",
]
