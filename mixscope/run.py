"""Run directories: the saved, versioned product of a fit, and which engine made one.

A run directory holds the resolved spec, the mapped data snapshot, the
posterior (ArviZ netCDF), per-period predictions, ``summary.json`` and a
``manifest.json`` with hashes. It is written to a temporary sibling folder and
renamed into place, so a failed or interrupted fit never leaves a half-written
run, and an existing run is only replaced once the new one is complete.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import tomli_w

from mixscope import __version__
from mixscope.calibration.experiments import Experiment, experiments_frame, parse_experiments
from mixscope.data.build import build_dataset
from mixscope.data.dataset import Dataset
from mixscope.errors import RunError
from mixscope.model.diagnostics import Diagnostics
from mixscope.model.evaluate import PosteriorEvaluation
from mixscope.run_files import RUN_FILES, RUN_MANIFEST, verify_run
from mixscope.spec import RunSpec, parse_spec
from mixscope.storage import atomic_directory, sha256_bytes, sha256_file

FILES = RUN_FILES
EXPERIMENTS = "experiments.csv"  # only in calibrated runs; older runs simply lack it
# Only in runs whose spec has a holidays_file: the calendar the fit read, so the run stays whole when
# the file the spec points at is edited, moved or deleted (older runs lack it and read the spec's path).
CALENDAR = "holidays.csv"
MANIFEST = RUN_MANIFEST
FORMAT_VERSION = 1
NATIVE_ENGINES = ("bayes", "ridge")  # draws of mixscope's own model


@dataclass(frozen=True, eq=False)
class FitResult:
    """Everything a fit produced; :func:`save_run` persists it."""

    spec: RunSpec
    dataset: Dataset
    idata: az.InferenceData
    evaluation: PosteriorEvaluation
    diagnostics: Diagnostics
    summary: dict[str, Any]
    fit_seconds: float
    experiments: tuple[Experiment, ...] = ()  # lift tests the fit was calibrated with, stored in the run


@dataclass(frozen=True, eq=False)
class Run:
    """A loaded run directory."""

    path: Path
    spec: RunSpec
    dataset: Dataset
    idata: az.InferenceData
    summary: dict[str, Any]
    manifest: dict[str, Any]
    predictions: pd.DataFrame
    experiments: tuple[Experiment, ...] = ()  # lift tests the fit was calibrated with


def check_target(out: Path, overwrite: bool) -> None:
    """Fail before any work if ``out`` exists and may not be replaced."""
    if out.exists() and not overwrite:
        raise RunError(
            f"Run directory {out} already exists. Choose another --out or pass --overwrite "
            "to replace it (the old run is kept until the new one is complete)."
        )


def save_run(result: FitResult, out: str | Path, overwrite: bool = False) -> Path:
    """Write ``result`` atomically to ``out`` and return the path."""
    out = Path(out)
    check_target(out, overwrite)
    with atomic_directory(out) as staging:
        _write_contents(result, staging)
    return out


def _write_contents(result: FitResult, folder: Path) -> None:
    spec_dict = result.spec.to_dict()
    (folder / "spec.toml").write_text(tomli_w.dumps(spec_dict), encoding="utf-8")
    result.dataset.frame.to_parquet(folder / "data.parquet", index=False)
    result.idata.to_netcdf(str(folder / "posterior.nc"), engine="h5netcdf")
    predictions_frame(result).to_parquet(folder / "predictions.parquet", index=False)
    (folder / "summary.json").write_text(json.dumps(result.summary, indent=2), encoding="utf-8")
    manifest = {
        "format_version": FORMAT_VERSION,
        "mixscope_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_hash": result.dataset.content_hash(),
        "spec_hash": sha256_bytes(json.dumps(spec_dict, sort_keys=True).encode()),
        "files": {name: sha256_file(folder / name) for name in _stored_files(result, folder)},
        "versions": _library_versions(),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def predictions_frame(result: FitResult) -> pd.DataFrame:
    """One row per geo and period: actual, expected KPI with 90% interval, decomposition."""
    dataset, evaluation = result.dataset, result.evaluation
    low, high = np.quantile(evaluation.expected, [0.05, 0.95], axis=0)
    holdout = np.zeros(dataset.n_times, dtype=bool)
    if result.spec.holdout.periods:
        holdout[-result.spec.holdout.periods :] = True
    columns: dict[str, Any] = {
        "geo": np.repeat(np.array(dataset.geos), dataset.n_times),
        "date": np.tile(dataset.dates, dataset.n_geos),
        "holdout": np.tile(holdout, dataset.n_geos),
        "actual": dataset.kpi.ravel(),
        "expected_mean": evaluation.expected.mean(axis=0).ravel(),
        "expected_lo": low.ravel(),
        "expected_hi": high.ravel(),
        "baseline_mean": evaluation.baseline.mean(axis=0).ravel(),
    }
    for c, channel in enumerate(dataset.channels):
        columns[f"contribution_{channel}"] = evaluation.contribution_mean[:, :, c].ravel()
    columns.update(_term_columns(result))
    columns.update(_organic_columns(result))
    return pd.DataFrame(columns)


def _organic_columns(result: FitResult) -> dict[str, np.ndarray]:
    """``organic_NAME``: each organic channel's posterior-mean contribution per geo and period (none
    without organic media); part of ``baseline_mean``, shown as its own term as the media are."""
    if not result.spec.organic:
        return {}
    from mixscope.model.evaluate import flatten_draws
    from mixscope.model.inputs import compute_scaling
    from mixscope.model.organic import organic_inputs
    from mixscope.model.organic_summary import organic_mean_contribution

    kpi_scale = compute_scaling(result.dataset).kpi_scale
    organic = organic_inputs(result.dataset, result.spec, kpi_scale)
    draws = flatten_draws({name: result.idata.posterior[name].values for name in result.idata.posterior})
    mean = organic_mean_contribution(draws, organic, kpi_scale)
    return {f"organic_{name}": mean[..., k].ravel() for k, name in enumerate(organic.names)}


def _term_columns(result: FitResult) -> dict[str, np.ndarray]:
    """Holidays', events' and treatments' contributions per geo and period (none without them)."""
    spec = result.spec
    if spec.data.holidays is None and not spec.data.events and not spec.treatments:
        return {}
    from mixscope.model.evaluate import flatten_draws
    from mixscope.model.inputs import compute_scaling
    from mixscope.model.terms import build_terms, term_columns

    kpi_scale = compute_scaling(result.dataset).kpi_scale
    draws = flatten_draws({name: result.idata.posterior[name].values for name in result.idata.posterior})
    blocks = tuple(block for block in build_terms(result.dataset, spec, kpi_scale) if block.site in draws)
    return term_columns(blocks, draws, kpi_scale)


def load_run(path: str | Path) -> Run:
    """Load a run directory, refusing one that is incomplete or was altered."""
    path = Path(path)
    # One check for every reader of a run (an interrupted write recovered, every file the
    # manifest must list present and intact), the same as the JAX-free commands run.
    manifest = verify_run(path)
    expected_files = dict(manifest["files"])
    spec_text = (path / "spec.toml").read_text(encoding="utf-8")
    spec = parse_spec(tomllib.loads(spec_text), source=path / "spec.toml")
    spec = _with_stored_calendar(spec, path, expected_files)
    dataset = build_dataset(pd.read_parquet(path / "data.parquet"), spec)
    if dataset.content_hash() != manifest.get("data_hash"):
        # A run without its own copy reads the calendar where the spec points: it may have moved on.
        calendar = (f" (or the holidays file {spec.data.holidays.file} changed since the fit)"
                    if dataset.calendar_digest is not None and CALENDAR not in expected_files else "")
        raise RunError(f"{path}: the data snapshot does not match the manifest's data hash{calendar}. "
                       "Re-run the fit.")
    idata = az.from_netcdf(str(path / "posterior.nc"), engine="h5netcdf")
    summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    predictions = pd.read_parquet(path / "predictions.parquet")
    experiments: tuple[Experiment, ...] = ()
    if EXPERIMENTS in expected_files:
        frame = pd.read_csv(path / EXPERIMENTS, dtype=str, keep_default_na=False)
        experiments = parse_experiments(frame, dataset, source=str(path / EXPERIMENTS))
    return Run(path, spec, dataset, idata, summary, manifest, predictions, experiments)


def _stored_files(result: FitResult, folder: Path) -> tuple[str, ...]:
    """The files of the run; the experiments it was calibrated with and its holidays file are written
    here too."""
    files = FILES
    if result.experiments:
        experiments_frame(result.experiments).to_csv(folder / EXPERIMENTS, index=False)
        files = (*files, EXPERIMENTS)
    holidays = result.spec.data.holidays
    if holidays is not None and holidays.file is not None:
        shutil.copyfile(holidays.file, folder / CALENDAR)
        files = (*files, CALENDAR)
    return files


def _with_stored_calendar(spec: RunSpec, run_dir: Path, files: dict[str, str]) -> RunSpec:
    """``spec`` reading its holidays file from the run's copy, when the run has one."""
    holidays = spec.data.holidays
    if CALENDAR not in files or holidays is None:
        return spec
    return replace(spec, data=replace(spec.data, holidays=replace(holidays, file=run_dir / CALENDAR)))


def _library_versions() -> dict[str, str]:
    import jax
    import numpyro

    return {"jax": jax.__version__, "numpyro": numpyro.__version__, "arviz": az.__version__}


def run_engine(run: Run) -> str:
    """The engine that produced a loaded run (runs from before the marker are ``"bayes"``).

    ``"bayes"`` (NUTS) and ``"ridge"`` (:mod:`mixscope.ridge`) store draws of
    mixscope's own model; ``"meridian"`` (:mod:`mixscope.meridian`) stores an
    imported Meridian fit's draws under mixscope's parameter names.
    """
    return str(run.summary.get("engine", "bayes"))


def require_native(run: Run, command: str) -> None:
    """Refuse ``command`` on a run whose draws are not of mixscope's own model, naming why."""
    engine = run_engine(run)
    if engine not in NATIVE_ENGINES:
        raise RunError(
            f"`mixscope {command}` needs mixscope's own priors and likelihood, and {run.path} was imported "
            f"from {engine.capitalize()} (engine {engine!r}). Fit the same data with mixscope "
            f"(`mixscope fit {run.path}/spec.toml --out RUN`) to use it."
        )
