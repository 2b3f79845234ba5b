"""Atomic directory writes, their recovery, and content hashes shared by every stored artifact.

Artifacts (run directories, surfaces) are written into a temporary sibling
folder and swapped into place, so an interrupted write never leaves a
half-written artifact and an existing one is only replaced by a complete one.
On Linux the swap is one ``renameat2(RENAME_EXCHANGE)`` call; elsewhere it is two
renames, and a process killed between them leaves the previous artifact in a
hidden sibling, which the next load or write of that artifact puts back. A
temporary folder names the host and process that made it, so the next write
removes the ones whose writer is gone (a ``kill -9`` leaves them behind).
Nothing here imports JAX: the runtime verifies artifacts with it too.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import hashlib
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STAGING, RETIRED = "tmp", "old"
_PREVIOUS = "previous"  # the replaced artifact, inside a retired folder
# Temporaries from before they named their writer, or from another host (whose processes cannot be seen
# from here), are judged by age alone: no write takes this long.
_UNOWNED_STALE_AFTER_S = 24 * 3600


@contextmanager
def atomic_directory(out: Path) -> Iterator[Path]:
    """Yield an empty staging folder that replaces ``out`` when the block succeeds.

    On any exception (including KeyboardInterrupt) the staging folder is removed
    and ``out`` is left exactly as it was. Debris of earlier, killed writes of
    ``out`` is cleaned up first (:func:`recover_interrupted_write`).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    recover_interrupted_write(out)
    staging = Path(tempfile.mkdtemp(prefix=_temporary_prefix(out, STAGING), dir=out.parent))
    try:
        yield staging
        _swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def recover_interrupted_write(out: Path) -> None:
    """Undo what a killed write of ``out`` left: put back an artifact taken away mid-swap, drop temporaries.

    Only temporaries whose writer is gone are touched, so a write running
    concurrently keeps its own. Best effort: on a read-only folder nothing
    changes and nothing is raised (loading must still work there).
    """
    out = Path(out)
    try:
        leftovers = [(path, kind) for path, kind, owner in _temporaries(out) if _writer_gone(path, owner)]
        retired = sorted((path for path, kind in leftovers if kind == RETIRED),
                         key=lambda path: path.stat().st_mtime, reverse=True)
        for path in retired:
            previous = path / _PREVIOUS
            if not out.exists() and previous.is_dir():
                os.replace(previous, out)
        for path, _ in leftovers:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    except OSError:
        return


def _temporary_prefix(out: Path, kind: str) -> str:
    """``.NAME.KIND-PID@HOST-``: mkdtemp adds a random suffix of ``[a-z0-9_]``."""
    return f".{out.name}.{kind}-{os.getpid()}@{_host()}-"


def _temporaries(out: Path) -> list[tuple[Path, str, tuple[int, str] | None]]:
    """``(path, kind, (pid, host) or None)`` for each temporary sibling of ``out`` (folder or file)."""
    pattern = re.compile(rf"\.{re.escape(out.name)}\.({STAGING}|{RETIRED})-(?:(\d+)@([\w.]*)-)?\w+")
    found = []
    for entry in os.scandir(out.parent if str(out.parent) else "."):
        match = pattern.fullmatch(entry.name)
        if match and not entry.is_symlink():
            kind, pid, host = match.groups()
            found.append((Path(entry.path), kind, None if pid is None else (int(pid), host)))
    return found


def _writer_gone(path: Path, owner: tuple[int, str] | None) -> bool:
    if owner is not None and owner[1] == _host():
        return not _process_alive(owner[0])
    return time.time() - path.stat().st_mtime > _UNOWNED_STALE_AFTER_S


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


@functools.cache
def _host() -> str:
    return re.sub(r"[^\w.]", "_", socket.gethostname())[:64]


def _swap_into_place(staging: Path, out: Path) -> None:
    if not out.exists():
        os.replace(staging, out)
        return
    if _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)  # it holds the previous artifact now
        return
    retired = Path(tempfile.mkdtemp(prefix=_temporary_prefix(out, RETIRED), dir=out.parent))
    os.replace(out, retired / _PREVIOUS)
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(retired / _PREVIOUS, out)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step; False where the system or file system cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_cwd, rename_exchange = -100, 2
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # not glibc >= 2.28
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to the file ``path`` atomically, as :func:`write_bytes_atomically`."""
    write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to the file ``path`` through a temporary sibling renamed over it: readers see the
    old file or the new one, a failed write removes its temporary, and the next write removes those of
    killed writers."""
    path = Path(path)
    recover_interrupted_write(path)
    handle, temporary = tempfile.mkstemp(prefix=_temporary_prefix(path, STAGING), dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def document_digest(document: Mapping[str, Any]) -> str:
    """SHA-256 of a JSON document in one canonical form (sorted keys, no spaces): what it says, not
    how it was indented."""
    return sha256_bytes(json.dumps(document, sort_keys=True, separators=(",", ":")).encode())


def verify_files(
    folder: Path, digests: dict[str, str], error: type[Exception], rebuild: str, required: Iterable[str] = (),
) -> None:
    """Raise ``error`` naming the first file of ``digests`` that is missing or altered.

    ``required`` names files the manifest must list: a manifest whose list was
    emptied or shortened would otherwise vouch for nothing. ``rebuild`` is the
    sentence telling the user how to recreate the artifact.
    """
    unlisted = [name for name in required if name not in digests]
    if not digests or unlisted:
        missing = ", ".join(unlisted) or "any file"
        raise error(f"{folder}: its manifest lists no checksum for {missing} (edited or corrupted). "
                    f"{rebuild}")
    for name, digest in digests.items():
        file = Path(folder) / name
        if not file.is_file():
            raise error(f"{folder}: {name} is missing. {rebuild}")
        if sha256_file(file) != digest:
            raise error(f"{folder}: {name} does not match its checksum (edited or corrupted). {rebuild}")
