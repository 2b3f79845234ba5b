"""The surface artifact on disk: Parquet tables + ``manifest.json`` (no JAX).

Layout, inside a run directory::

    surface/manifest.json            hashes, versions, reference period, calibration, errors
    surface/curves.parquet           channel, draw, point, spend, incremental_kpi, incremental_revenue
    surface/draws.parquet            draw, baseline_kpi, baseline_revenue (uncalibrated)
    surface/scenarios.parquet        one row per (budget level, allocation)
    surface/scenario_channels.parquet  one row per scenario and channel
    surface/inputs.parquet           only with organic media or treatments: kind, name, draw, point,
                                     level, kpi, revenue (mixscope.surface.scenario_inputs)

The folder is written atomically. Loading verifies every file's checksum, the
manifest's own digest (``content_sha256``, over everything else it says, file
list and calibration included), that the surface was built from the run as it
is now (its data, spec, posterior and the digest of its manifest), and the run's
own files, as :func:`mixscope.run.load_run` does. The digests catch edits
and corruption; like any unkeyed checksum they cannot stop someone who rewrites
the data and every digest after it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixscope.errors import SurfaceError
from mixscope.run_files import RUN_MANIFEST, manifest_digest, verify_run
from mixscope.storage import (
    atomic_directory,
    document_digest,
    recover_interrupted_write,
    sha256_file,
    verify_files,
)
from mixscope.surface.scenario_inputs import INPUTS_TABLE, ScenarioInputs
from mixscope.surface.scoring import ResponseCurves

SURFACE_DIR = "surface"
MANIFEST = "manifest.json"
# 2: the manifest carries its own digest and the run manifest's; 3: media support per channel
FORMAT_VERSION = 3
TABLES = ("curves", "draws", "scenarios", "scenario_channels")
TABLE_FILES = tuple(f"{name}.parquet" for name in TABLES)
# Written only when the run has organic media or treatments (manifest "scenario_inputs"), so the
# surface of a run without them is exactly what it was.
OPTIONAL_TABLES = (INPUTS_TABLE,)
SEAL = "content_sha256"  # the manifest's digest of everything else it holds


def surface_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / SURFACE_DIR


def run_fingerprint(run_dir: str | Path) -> dict[str, str]:
    """The hashes tying a surface to the exact posterior and data it was built from."""
    run_dir = Path(run_dir)
    recover_interrupted_write(run_dir)
    manifest_path = run_dir / RUN_MANIFEST
    if not manifest_path.is_file():
        raise SurfaceError(
            f"{run_dir} is not a complete run directory (no manifest.json). "
            f"Create it with `mixscope fit SPEC --out {run_dir}`."
        )
    try:
        run_manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        return {
            "data_hash": str(run_manifest["data_hash"]),
            "spec_hash": str(run_manifest["spec_hash"]),
            "posterior_sha256": str(run_manifest["files"]["posterior.nc"]),
            "manifest_sha256": manifest_digest(run_dir),
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SurfaceError(f"{manifest_path} is corrupted. Re-run `mixscope fit`.") from None


def write_surface(run_dir: str | Path, tables: dict[str, pd.DataFrame], manifest: dict[str, Any]) -> Path:
    """Write the tables and manifest to ``RUN_DIR/surface`` atomically."""
    out = surface_path(run_dir)
    with atomic_directory(out) as staging:
        written = (*TABLES, *(table for table in OPTIONAL_TABLES if table in tables))
        for name in written:
            tables[name].to_parquet(staging / f"{name}.parquet", index=False)
        manifest = dict(manifest, files={f"{name}.parquet": sha256_file(staging / f"{name}.parquet")
                                         for name in written})
        manifest[SEAL] = document_digest(manifest)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return out


def read_manifest(run_dir: str | Path) -> dict[str, Any]:
    """Load and verify the manifest: unedited, files intact, built from this run as it is, run intact."""
    rebuild = f"Rebuild with `mixscope surface {run_dir}`."
    fingerprint = run_fingerprint(run_dir)
    folder = surface_path(run_dir)
    recover_interrupted_write(folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise SurfaceError(
            f"{run_dir} has no prediction surface. Build it with `mixscope surface {run_dir}`."
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = {str(name): str(digest) for name, digest in dict(manifest["files"]).items()}
        version = manifest["format_version"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SurfaceError(f"{manifest_path} is corrupted. {rebuild}") from None
    if version != FORMAT_VERSION:
        raise SurfaceError(
            f"{folder} uses surface format {version}; this mixscope reads format {FORMAT_VERSION}. {rebuild}"
        )
    content = {key: value for key, value in manifest.items() if key != SEAL}
    if manifest.get(SEAL) != document_digest(content):
        raise SurfaceError(f"{manifest_path} was edited since the surface was built (its digest does not "
                           f"match what it says). {rebuild}")
    optional = {f"{INPUTS_TABLE}.parquet"} if "scenario_inputs" in manifest else set()
    if set(files) != set(TABLE_FILES) | optional:
        raise SurfaceError(f"{manifest_path} does not list the surface's tables. {rebuild}")
    verify_files(folder, files, SurfaceError, rebuild, required=(*TABLE_FILES, *sorted(optional)))
    if manifest.get("run") != fingerprint:
        raise SurfaceError(
            f"{folder} was built from a different fit or data than the run in {run_dir} "
            f"(the run was refitted since). {rebuild}"
        )
    verify_run(run_dir)
    return manifest


def read_curves(run_dir: str | Path, manifest: dict[str, Any]) -> tuple[ResponseCurves, pd.DataFrame]:
    """Curves as arrays plus the per-draw baseline table."""
    folder = surface_path(run_dir)
    channels = tuple(manifest["channels"])
    n_draws, n_points = int(manifest["n_draws"]), int(manifest["grid"]["points"])
    frame = pd.read_parquet(folder / "curves.parquet")
    expected_rows = len(channels) * n_draws * n_points
    if len(frame) != expected_rows or tuple(pd.unique(frame["channel"])) != channels:
        raise SurfaceError(f"{folder}/curves.parquet does not match its manifest. Rebuild the surface.")
    shape = (len(channels), n_draws, n_points)
    kpi = frame["incremental_kpi"].to_numpy(np.float64).reshape(shape).transpose(1, 0, 2)
    revenue = frame["incremental_revenue"].to_numpy(np.float64).reshape(shape).transpose(1, 0, 2)
    spend_grid = frame["spend"].to_numpy(np.float64).reshape(shape)[:, 0, :]
    reference = np.array([manifest["reference"]["spend"][name] for name in channels], dtype=float)
    draws = pd.read_parquet(folder / "draws.parquet")
    curves = ResponseCurves(
        channels, spend_grid, np.ascontiguousarray(kpi), np.ascontiguousarray(revenue), reference
    )
    return curves, draws


def curves_table(curves: ResponseCurves) -> pd.DataFrame:
    """Long table ordered by (channel, draw, point), the order :func:`read_curves` expects."""
    n_draws, n_channels, n_points = curves.kpi.shape
    return pd.DataFrame({
        "channel": np.repeat(np.array(curves.channels), n_draws * n_points),
        "draw": np.tile(np.repeat(np.arange(n_draws, dtype=np.int32), n_points), n_channels),
        "point": np.tile(np.arange(n_points, dtype=np.int32), n_channels * n_draws),
        "spend": np.repeat(curves.spend_grid[:, None, :], n_draws, axis=1).ravel(),
        "incremental_kpi": curves.kpi.transpose(1, 0, 2).ravel().astype(np.float32),
        "incremental_revenue": curves.revenue.transpose(1, 0, 2).ravel().astype(np.float32),
    })


def read_inputs(run_dir: str | Path, manifest: dict[str, Any]) -> ScenarioInputs | None:
    """The organic and treatment what-if inputs, or None when the surface has none."""
    if "scenario_inputs" not in manifest:
        return None
    frame = pd.read_parquet(surface_path(run_dir) / f"{INPUTS_TABLE}.parquet")
    return ScenarioInputs.from_table(frame, manifest["scenario_inputs"], int(manifest["n_draws"]))
