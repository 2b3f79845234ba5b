"""mixscope: Bayesian marketing mix modelling as a persistent, queryable decision tool.

Stages, each a subpackage: ``data`` (load + validation gate), ``transforms``
(adstock, saturation), ``model`` (NumPyro MMM, fit, run directories),
``surface`` (the stored prediction space and its JAX-free runtime queries).

Public names are imported lazily so that the runtime path (surface queries,
planning, the web planner) never pays for, or depends on, JAX and NumPyro.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

# ArviZ 0.2x announces its 1.0 refactor on import; users cannot act on it.
warnings.filterwarnings("ignore", message="ArviZ is undergoing", category=FutureWarning)

__version__ = "0.1.0"

_PUBLIC = {
    "FitResult": "mixscope.run",
    "Run": "mixscope.run",
    "RunSpec": "mixscope.spec",
    "Surface": "mixscope.surface.runtime",
    "build_surface": "mixscope.surface.build",
    "fit": "mixscope.pipeline",
    "load_dataset": "mixscope.data",
    "load_run": "mixscope.run",
    "load_spec": "mixscope.spec",
    "parse_spec": "mixscope.spec",
    "save_run": "mixscope.run",
    "validate_frame": "mixscope.data",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'mixscope' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
