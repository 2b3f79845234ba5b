"""Run directories: the saved, versioned product of a fit.

A run directory holds the resolved spec, the mapped data snapshot, the
posterior (ArviZ netCDF), per-period predictions, ``summary.json`` and a
``manifest.json`` with hashes. It is written to a temporary sibling folder and
renamed into place, so a failed or interrupted fit never leaves a half-written
run, and an existing run is only replaced once the new one is complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import tomli_w

from mixscope import __version__
from mixscope.data.build import build_dataset
from mixscope.data.dataset import Dataset
from mixscope.errors import RunError
from mixscope.model.fit import FitResult
from mixscope.spec import RunSpec, parse_spec

FILES = ("spec.toml", "data.parquet", "posterior.nc", "predictions.parquet", "summary.json")
MANIFEST = "manifest.json"
FORMAT_VERSION = 1


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
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        _write_contents(result, staging)
        _swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
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
        "spec_hash": _sha256_bytes(json.dumps(spec_dict, sort_keys=True).encode()),
        "files": {name: _sha256_file(folder / name) for name in FILES},
        "versions": _library_versions(),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _swap_into_place(staging: Path, out: Path) -> None:
    if not out.exists():
        os.replace(staging, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.replace(out, retired / "run")
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(retired / "run", out)
        raise
    shutil.rmtree(retired, ignore_errors=True)


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
    return pd.DataFrame(columns)


def load_run(path: str | Path) -> Run:
    """Load a run directory, refusing one that is incomplete or was altered."""
    path = Path(path)
    if not path.is_dir():
        raise RunError(f"{path} is not a run directory. Create one with `mixscope fit SPEC --out {path}`.")
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise RunError(f"{path} has no {MANIFEST}: it is not a complete run. Re-run `mixscope fit`.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        expected_files = dict(manifest["files"])
    except (ValueError, KeyError, TypeError):
        raise RunError(f"{manifest_path} is corrupted. Re-run `mixscope fit` to rebuild the run.") from None
    for name, digest in expected_files.items():
        file = path / name
        if not file.is_file():
            raise RunError(f"{path}: {name} is missing. Re-run `mixscope fit` to rebuild the run.")
        if _sha256_file(file) != digest:
            raise RunError(
                f"{path}: {name} does not match its checksum in {MANIFEST} (edited or corrupted). "
                "Re-run `mixscope fit` to rebuild the run."
            )
    spec_text = (path / "spec.toml").read_text(encoding="utf-8")
    spec = parse_spec(tomllib.loads(spec_text), source=path / "spec.toml")
    dataset = build_dataset(pd.read_parquet(path / "data.parquet"), spec)
    if dataset.content_hash() != manifest.get("data_hash"):
        raise RunError(f"{path}: the data snapshot does not match the manifest's data hash. Re-run the fit.")
    idata = az.from_netcdf(str(path / "posterior.nc"), engine="h5netcdf")
    summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    predictions = pd.read_parquet(path / "predictions.parquet")
    return Run(path, spec, dataset, idata, summary, manifest, predictions)


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    import jax
    import numpyro

    return {"jax": jax.__version__, "numpyro": numpyro.__version__, "arviz": az.__version__}
