"""A batch: skip the runs that are current, fit the rest on Dask, report each outcome, write the catalog."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixscope.batch.catalog import CATALOG, build_catalog
from mixscope.batch.cluster import batch_client
from mixscope.batch.jobs import BatchJob, plan_jobs, stored_state
from mixscope.batch.worker import ENGINES, fit_job
from mixscope.errors import MixscopeError


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch did: run folders fitted, skipped as current, and failed with their reasons."""

    out: Path
    fitted: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)
    records: tuple[dict[str, Any], ...] = ()

    @property
    def catalog(self) -> Path:
        return self.out / CATALOG


def run_batch(
    spec_paths: Sequence[Path], out: Path, *, engine: str = "bayes", surface: bool = False,
    scheduler: str | None = None, workers: int | None = None, client: Any = None,
    on_done: Callable[[dict[str, Any], int, int], None] | None = None,
) -> BatchOutcome:
    """Fit every spec into ``out / NAME`` as one Dask task each, then write ``out/catalog.parquet``.

    Specs whose run in ``out`` is intact and was fitted from the same spec and data
    are skipped (with ``surface``, only their missing surface is built). ``client``:
    an existing ``distributed.Client``; otherwise one on ``scheduler`` or an embedded
    ``LocalCluster`` of ``workers`` processes. ``on_done(record, done, total)`` is
    called as each task finishes (the CLI's progress).
    """
    if engine not in ENGINES:
        raise MixscopeError(f"Unknown engine {engine!r}; choose one of {', '.join(ENGINES)}.")
    if not spec_paths:
        raise MixscopeError("Give at least one spec file: mixscope batch SPEC... --out DIR.")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = plan_jobs(list(spec_paths), out)
    records: list[dict[str, Any]] = []
    skipped: list[str] = []
    tasks: list[tuple[BatchJob, bool]] = []
    for job in jobs:
        if job.error is not None:
            records.append({"name": job.name, "spec": str(job.spec_path), "status": "failed",
                            "reason": job.error, "seconds": 0.0})
            continue
        fit_current, has_surface = stored_state(job, out)
        if fit_current and (has_surface or not surface):
            skipped.append(job.name)
        else:
            tasks.append((job, not fit_current))
    total = len(records) + len(tasks)
    for done, record in enumerate(records, start=1):
        if on_done is not None:
            on_done(record, done, total)
    if tasks:
        if client is not None:
            records += _run_tasks(client, tasks, out, engine, surface, on_done, len(records), total)
        else:
            with batch_client(scheduler, workers) as own:
                records += _run_tasks(own, tasks, out, engine, surface, on_done, len(records), total)
    failed = {record["name"]: record["reason"] for record in records if record["status"] == "failed"}
    spec_of = {job.name: str(job.spec_path) for job in jobs}
    valid = {name: spec_of[name] for name in spec_of if name not in failed}
    reasons = {name: {"spec": spec_of[name], "reason": reason} for name, reason in failed.items()}
    build_catalog(out, valid, reasons)
    fitted = tuple(record["name"] for record in records if record["status"] != "failed")
    return BatchOutcome(out, fitted, tuple(skipped), failed, tuple(records))


def _run_tasks(
    client: Any, tasks: list[tuple[BatchJob, bool]], out: Path, engine: str, surface: bool,
    on_done: Callable[[dict[str, Any], int, int], None] | None, done: int, total: int,
) -> list[dict[str, Any]]:
    # Dask itself runs a task again when its worker dies; only after the scheduler's allowed-failures
    # does the future raise KilledWorker, so a spec that kills every worker it touches cannot loop.
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    futures = {}
    for job, fit_needed in tasks:
        # pure=False: a re-run must fit again, never reuse a result Dask still holds.
        future = client.submit(fit_job, job, str(out.resolve()), engine, surface, fit_needed, pure=False)
        futures[future] = job
    records = []
    for future in as_completed(futures):
        job = futures[future]
        try:
            record = future.result()
        except KilledWorker:
            record = {"name": job.name, "spec": str(job.spec_path), "status": "failed", "seconds": None,
                      "reason": "its worker died every time it ran it (Dask's allowed-failures, 3 by "
                                "default, reached): out of memory?"}
        except Exception as error:  # noqa: BLE001 - reported per spec; the others go on
            record = {"name": job.name, "spec": str(job.spec_path), "status": "failed", "seconds": None,
                      "reason": f"{type(error).__name__}: {error}"}
        records.append(record)
        done += 1
        if on_done is not None:
            on_done(record, done, total)
    return records
