"""Atomic directory writes and content hashes shared by every stored artifact.

Artifacts (run directories, surfaces) are written into a temporary sibling
folder and renamed into place, so an interrupted write never leaves a
half-written artifact and an existing one is only replaced by a complete one.
Nothing here imports JAX: the runtime verifies artifacts with it too.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_directory(out: Path) -> Iterator[Path]:
    """Yield an empty staging folder that replaces ``out`` when the block succeeds.

    On any exception (including KeyboardInterrupt) the staging folder is removed
    and ``out`` is left exactly as it was.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield staging
        _swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_into_place(staging: Path, out: Path) -> None:
    if not out.exists():
        os.replace(staging, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.replace(out, retired / "previous")
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(retired / "previous", out)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_files(folder: Path, digests: dict[str, str], error: type[Exception], rebuild: str) -> None:
    """Raise ``error`` naming the first file of ``digests`` that is missing or altered.

    ``rebuild`` is the sentence telling the user how to recreate the artifact.
    """
    for name, digest in digests.items():
        file = Path(folder) / name
        if not file.is_file():
            raise error(f"{folder}: {name} is missing. {rebuild}")
        if sha256_file(file) != digest:
            raise error(f"{folder}: {name} does not match its checksum (edited or corrupted). {rebuild}")
