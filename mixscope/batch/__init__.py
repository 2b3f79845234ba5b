"""Many models at once: a portfolio of specs fitted on a Dask cluster (``mixscope batch``).

- ``jobs``: one job per spec, named and hashed, and whether its stored run is still current.
- ``worker``: what a Dask worker runs for one job (fit, save atomically, optional surface).
- ``cluster``: the Dask client, an embedded ``LocalCluster`` or an existing scheduler.
- ``catalog``: every run's ROI, mROI, contributions and diagnostics in ``catalog.parquet``.
- ``portfolio``: the batch itself: skip what is current, submit the rest, report each outcome.

Dask distributed does the scheduling, retries of tasks whose worker died, and the
cluster; mixscope adds only what a fit needs (naming, hashes, atomic run folders).
"""

from __future__ import annotations

from mixscope.batch.catalog import CATALOG, build_catalog
from mixscope.batch.cluster import batch_client
from mixscope.batch.jobs import BatchJob, plan_jobs
from mixscope.batch.portfolio import BatchOutcome, run_batch

__all__ = ["CATALOG", "BatchJob", "BatchOutcome", "batch_client", "build_catalog", "plan_jobs", "run_batch"]
