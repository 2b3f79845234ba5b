"""mixscope: Bayesian marketing mix modelling as a persistent, queryable decision tool.

Stages, each a subpackage: ``data`` (load + validation gate), ``transforms``
(adstock, saturation), ``model`` (NumPyro MMM, fit, run directories).
"""

import os
import warnings

import numpyro

# Vectorised NUTS chains advance in lockstep, so each iteration costs the largest
# tree among them; one host device per chain lets them run independently
# (bench/fit.py: 46 s → 26 s for 4 chains on 2 cores). This only takes effect if
# JAX's CPU backend has not started yet, and respects a user's own setting.
if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    numpyro.set_host_device_count(max(4, os.cpu_count() or 1))

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
