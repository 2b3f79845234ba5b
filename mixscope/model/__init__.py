"""The Bayesian MMM: inputs, NumPyro model (lift-test likelihood included), NUTS sampling, diagnostics.

Holidays, events and treatments are their own baseline terms (``terms``).
Organic media (no spend) is modelled in ``organic`` and summarised in ``organic_summary``.

Importing it leaves ``XLA_FLAGS`` alone: call :func:`configure_xla` (or
:func:`set_host_device_count`) before JAX starts to run chains in parallel.
"""

from mixscope.model.diagnostics import Diagnostics
from mixscope.model.fit import Posterior, prepare, sample
from mixscope.model.inputs import ModelInputs, Scaling, build_inputs, compute_scaling
from mixscope.model.mmm import ModelConfig, build_config, expected_kpi, mmm_model
from mixscope.xla import configure_xla, set_host_device_count

__all__ = [
    "Diagnostics",
    "ModelConfig",
    "ModelInputs",
    "Posterior",
    "Scaling",
    "build_config",
    "build_inputs",
    "compute_scaling",
    "configure_xla",
    "expected_kpi",
    "mmm_model",
    "prepare",
    "sample",
    "set_host_device_count",
]
