"""The Dask client a batch runs on: an embedded ``LocalCluster`` by default, or an existing scheduler.

Each fit runs its chains on as many XLA CPU devices as the CLI gives them
(:func:`mixscope.xla.xla_flags`), so a batch fit draws exactly what ``mixscope fit``
draws for the same spec and seed. What keeps workers from oversubscribing the
machine is their number: one per :data:`CORES_PER_FIT` cores by default. The workers'
environment is otherwise the caller's: a different BLAS thread count, for one, can move
the warm start's least squares in its last bits, and NUTS turns that into other draws.
So Dask's own settings for spawned workers (one BLAS thread, a malloc trim, a stack
profiler) are turned off for the embedded cluster.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mixscope.errors import MixscopeError
from mixscope.xla import xla_flags

CORES_PER_FIT = 2  # a national fit's 4 parallel chains keep about 2 cores busy (compile, then sampling)
CONNECT_TIMEOUT_S = 10


def default_workers(cpu_count: int | None = None) -> int:
    """Workers for an embedded cluster: one per :data:`CORES_PER_FIT` cores, at least one."""
    return max(1, (cpu_count or os.cpu_count() or 1) // CORES_PER_FIT)


def worker_environment() -> dict[str, str]:
    """Environment of each embedded worker process (set before it imports JAX)."""
    return {"XLA_FLAGS": xla_flags(os.environ.get("XLA_FLAGS", "")), "MIXSCOPE_NO_PROGRESS": "1"}


@contextmanager
def batch_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: on ``scheduler`` (``tcp://HOST:PORT``) or on an embedded cluster.

    An unreachable scheduler raises :class:`MixscopeError` within :data:`CONNECT_TIMEOUT_S`
    seconds, saying how to start one.
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError) as error:
            raise MixscopeError(
                f"Could not reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT_S} s "
                f"({type(error).__name__}). Start one with `dask scheduler` and workers with "
                f"`dask worker {scheduler}`, or leave out --scheduler to use this machine."
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    if workers is not None and workers < 1:
        raise MixscopeError(f"--workers must be 1 or more, got {workers}.")
    import dask

    # Dask's defaults for the workers it spawns would make a batch fit differ from `mixscope fit`:
    # one BLAS/OpenMP thread and an aggressive malloc trim (pre-spawn-environ), and a stack sampler
    # every 10 ms competing for the GIL with JAX's tracing (no dashboard here reads it).
    with dask.config.set({"distributed.nanny.pre-spawn-environ": {},
                          "distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(
            n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
            dashboard_address=None, env=worker_environment(), silence_logs=40,
        )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()
