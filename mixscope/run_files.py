"""A run directory's files and their check, without JAX.

Commands that read parts of a run without loading it whole (``whatif``,
``query``, ``explain``, the web planner) check it here, as strictly as
:func:`mixscope.run.load_run` does: every file the run's manifest lists
must match its checksum, and the manifest must list every file a run has.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mixscope.errors import RunError
from mixscope.storage import recover_interrupted_write, sha256_file, verify_files

# The files of every run (mixscope.run writes them; a test holds the two lists equal).
RUN_FILES = ("spec.toml", "data.parquet", "posterior.nc", "predictions.parquet", "summary.json")
RUN_MANIFEST = "manifest.json"
_REFIT = "Re-run `mixscope fit` to rebuild the run."


def verify_run(run_dir: str | Path) -> dict[str, Any]:
    """The run's manifest, once every file it vouches for is intact; :class:`RunError` otherwise."""
    run_dir = Path(run_dir)
    recover_interrupted_write(run_dir)
    if not run_dir.is_dir():
        kind = "a file, not a run directory" if run_dir.exists() else "not a run directory"
        raise RunError(f"{run_dir} is {kind}. Create one with `mixscope fit SPEC --out {run_dir}`.")
    manifest_path = run_dir / RUN_MANIFEST
    if not manifest_path.is_file():
        raise RunError(f"{run_dir} has no {RUN_MANIFEST}: it is not a complete run. {_REFIT}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = {str(name): str(digest) for name, digest in dict(manifest["files"]).items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise RunError(f"{manifest_path} is corrupted. {_REFIT}") from None
    verify_files(run_dir, files, RunError, _REFIT, required=RUN_FILES)
    return manifest


def manifest_digest(run_dir: str | Path) -> str:
    """SHA-256 of the run's manifest file: a surface built from the run records it, so editing the
    manifest (and with it what the run vouches for) disowns the surface."""
    return sha256_file(Path(run_dir) / RUN_MANIFEST)
