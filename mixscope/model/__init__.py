"""The Bayesian MMM: inputs, NumPyro model (lift-test likelihood included), NUTS sampling, diagnostics."""

import os

import numpyro

# Vectorised NUTS chains advance in lockstep, so each iteration costs the largest
# tree among them; one host device per chain lets them run independently
# (bench/fit.py: 46 s → 26 s for 4 chains on 2 cores). This only takes effect if
# JAX's CPU backend has not started yet, and respects a user's own setting.
if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    numpyro.set_host_device_count(max(4, os.cpu_count() or 1))
# LLVM's level-1 pipeline compiles the sampler ~1.5x faster than the default
# level 2 with no measurable change in gradient time on this model (bench/fit.py):
# compile time is most of a national fit on 2 cores. A user's own setting wins.
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=1"
    ).strip()


from mixscope.model.diagnostics import Diagnostics
from mixscope.model.fit import Posterior, prepare, sample
from mixscope.model.inputs import ModelInputs, Scaling, build_inputs, compute_scaling
from mixscope.model.mmm import ModelConfig, build_config, expected_kpi, mmm_model

__all__ = [
    "Diagnostics",
    "ModelConfig",
    "ModelInputs",
    "Posterior",
    "Scaling",
    "build_config",
    "build_inputs",
    "compute_scaling",
    "expected_kpi",
    "mmm_model",
    "prepare",
    "sample",
]
