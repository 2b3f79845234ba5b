"""Process-wide XLA settings for the sampler, set only when asked (:func:`configure_xla`).

Importing mixscope changes no environment variable; the CLI's entry point, the test
suite and the bench scripts call :func:`configure_xla` before JAX starts, as
NumPyro's ``set_host_device_count`` is meant to be used. This module imports
neither JAX nor NumPyro, so calling it costs nothing on the JAX-free paths.
"""

from __future__ import annotations

import os
import re

_DEVICE_COUNT = "xla_force_host_platform_device_count"
_OPTIMIZATION_LEVEL = "xla_backend_optimization_level"


def set_host_device_count(n: int) -> None:
    """Ask XLA for ``n`` CPU devices (replacing any count already in ``XLA_FLAGS``).

    The same as ``numpyro.set_host_device_count``; like it, this only takes effect
    before JAX's CPU backend starts (the first computation).
    """
    if n < 1:
        raise ValueError(f"host device count must be at least 1, got {n}")
    others = re.sub(rf"--{_DEVICE_COUNT}=\S+", "", os.environ.get("XLA_FLAGS", "")).split()
    os.environ["XLA_FLAGS"] = " ".join([f"--{_DEVICE_COUNT}={n}", *others])


def configure_xla(host_devices: int | None = None) -> None:
    """The XLA flags mixscope's fits are tuned for; a setting already in ``XLA_FLAGS`` wins.

    - One CPU device per chain (``host_devices``, default ``max(4, cpu count)``):
      vectorised NUTS chains advance in lockstep, so each iteration costs the largest
      tree among them; with a device each, chains run independently
      (:func:`mixscope.model.fit.chain_method` picks ``parallel`` when there are enough).
    - LLVM optimisation level 1: it compiles the sampler faster than the default level 2
      with no measurable change in gradient time on this model, and compile time is most
      of a national fit on a small machine (bench/results/HISTORY.md has the figures).

    Call it before JAX's CPU backend starts; afterwards it has no effect on this process.
    """
    os.environ["XLA_FLAGS"] = xla_flags(os.environ.get("XLA_FLAGS", ""), host_devices)


def xla_flags(flags: str = "", host_devices: int | None = None) -> str:
    """``flags`` completed with :func:`configure_xla`'s settings (a setting already in ``flags`` wins).

    Pure: the value a process (or a Dask worker, :mod:`mixscope.batch.cluster`) should start with.
    """
    parts = flags.split()
    if not any(_DEVICE_COUNT in part for part in parts):
        parts.insert(0, f"--{_DEVICE_COUNT}={host_devices or max(4, os.cpu_count() or 1)}")
    if not any(_OPTIMIZATION_LEVEL in part for part in parts):
        parts.append(f"--{_OPTIMIZATION_LEVEL}=1")
    return " ".join(parts)
