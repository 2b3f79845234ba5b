"""The Bayesian MMM: inputs, NumPyro model, NUTS fitting, diagnostics and runs."""

from mixscope.model.diagnostics import Diagnostics
from mixscope.model.fit import FitResult, fit
from mixscope.model.inputs import ModelInputs, Scaling, build_inputs, compute_scaling
from mixscope.model.mmm import ModelConfig, build_config, expected_kpi, mmm_model

__all__ = [
    "Diagnostics",
    "FitResult",
    "ModelConfig",
    "ModelInputs",
    "Scaling",
    "build_config",
    "build_inputs",
    "compute_scaling",
    "expected_kpi",
    "fit",
    "mmm_model",
]
