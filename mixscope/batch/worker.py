"""What a Dask worker runs for one job: fit the spec, save the run atomically, build its surface.

The function returns a small record rather than raising: a spec that fails (bad data,
a diagnostic exception, anything) is reported with its reason and never stops the
others. Only a worker that dies mid-task is left to Dask, which runs the task again
elsewhere; the run folder is written atomically, so the retry replaces nothing half-made.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import Any

from mixscope.batch.jobs import BatchJob
from mixscope.errors import MixscopeError

ENGINES = ("bayes", "ridge")


def fit_job(job: BatchJob, out: str, engine: str = "bayes", surface: bool = False,
            fit_needed: bool = True) -> dict[str, Any]:
    """Fit ``job`` into ``out / job.name`` (unless ``fit_needed`` is False) and report how it went.

    The record has ``name``, ``spec``, ``status`` ("fitted", "surface" or "failed"),
    ``seconds`` and, when it failed, ``reason``.
    """
    started = time.perf_counter()
    record: dict[str, Any] = {"name": job.name, "spec": str(job.spec_path)}
    try:
        if job.error is not None:
            raise MixscopeError(job.error)
        run_dir = job.run_dir(Path(out))
        if fit_needed:
            _fit(job, run_dir, engine)
        if surface:
            from mixscope.surface.build import build_surface

            build_surface(run_dir)
        record["status"] = "fitted" if fit_needed else "surface"
    except MixscopeError as error:
        record.update(status="failed", reason=str(error))
    except Exception as error:  # noqa: BLE001 - one spec's failure must not stop the batch
        last = traceback.extract_tb(error.__traceback__)[-1]
        where = f"{Path(last.filename).name}:{last.lineno}"
        record.update(status="failed", reason=f"{type(error).__name__}: {error} (at {where})")
    record["seconds"] = round(time.perf_counter() - started, 2)
    return record


def _fit(job: BatchJob, run_dir: Path, engine: str) -> None:
    from mixscope.data import load_dataset
    from mixscope.run import save_run
    from mixscope.spec import load_spec

    if engine not in ENGINES:
        raise MixscopeError(f"Unknown engine {engine!r}; choose one of {', '.join(ENGINES)}.")
    spec = load_spec(job.spec_path)
    dataset, report = load_dataset(spec)
    if engine == "ridge":
        from mixscope.ridge import fit_ridge

        result = fit_ridge(spec, dataset, seed=spec.sampler.seed)
    else:
        from mixscope.pipeline import fit

        result = fit(spec, dataset, progress=False, data_warnings=report.warnings)
    save_run(result, run_dir, overwrite=True)
