"""One batch job per spec: its run folder's name, its hashes, and whether the stored run is current."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from mixscope.errors import MixscopeError
from mixscope.storage import sha256_bytes

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class BatchJob:
    """A spec to fit into ``out / name``, or the reason it cannot be.

    ``data_hash`` and ``spec_hash`` are the ones ``save_run`` writes into the run's
    manifest, so an unchanged spec on unchanged data is recognised and skipped.
    """

    spec_path: Path
    name: str
    data_hash: str | None = None
    spec_hash: str | None = None
    error: str | None = None

    def run_dir(self, out: Path) -> Path:
        return Path(out) / self.name


def plan_jobs(spec_paths: list[Path], out: Path) -> list[BatchJob]:
    """A job per spec, each named after its file (or its folder where file names repeat).

    A spec or data file that cannot be read becomes a job carrying its ``error``: the
    batch reports it and goes on with the others.
    """
    paths = [Path(path) for path in spec_paths]
    if len(set(map(_resolved, paths))) != len(paths):
        repeated = sorted({str(p) for p in paths if sum(_resolved(q) == _resolved(p) for q in paths) > 1})
        raise MixscopeError(f"Each spec once, please: {', '.join(repeated)} given more than once.")
    names = _run_names(paths)
    return [_job(path, name) for path, name in zip(paths, names, strict=True)]


def stored_state(job: BatchJob, out: Path) -> tuple[bool, bool]:
    """Whether ``out / job.name`` already holds a valid run of this spec on this data, and whether that
    run has a surface. The run's files are hashed once, here."""
    from mixscope.run_files import verify_run

    if job.error is not None:
        return False, False
    run_dir = job.run_dir(out)
    try:
        manifest = verify_run(run_dir)
    except (MixscopeError, OSError, ValueError):
        return False, False
    if (manifest.get("data_hash"), manifest.get("spec_hash")) != (job.data_hash, job.spec_hash):
        return False, False
    return True, (run_dir / "surface" / "manifest.json").exists()


def _job(path: Path, name: str) -> BatchJob:
    from mixscope.data import load_dataset
    from mixscope.spec import load_spec

    try:
        spec = load_spec(path)
        dataset, _ = load_dataset(spec)
    except (MixscopeError, OSError, ValueError) as error:
        return BatchJob(path, name, error=str(error))
    # The same digest as mixscope.run.save_run's manifest.
    spec_hash = sha256_bytes(json.dumps(spec.to_dict(), sort_keys=True).encode())
    return BatchJob(path, name, data_hash=dataset.content_hash(), spec_hash=spec_hash)


def _run_names(paths: list[Path]) -> list[str]:
    """File stems, qualified by the parent folder where two specs share a stem (``brand_a-mixscope``)."""
    stems = [_safe(path.stem) for path in paths]
    counts = Counter(stems)
    names = [f"{_safe(path.resolve().parent.name)}-{stem}" if counts[stem] > 1 else stem
             for path, stem in zip(paths, stems, strict=True)]
    clashes = sorted(name for name, count in Counter(names).items() if count > 1)
    if clashes:
        raise MixscopeError(
            f"Two specs would write the same run folder ({', '.join(clashes)}): rename one spec file."
        )
    return names


def _safe(text: str) -> str:
    """A folder name from user text: letters, digits, '.', '_' and '-' only, never hidden or empty."""
    return _UNSAFE.sub("_", text).lstrip(".") or "run"


def _resolved(path: Path) -> Path:
    return path.resolve()
