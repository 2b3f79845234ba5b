"""Atomic artifact writes after a ``kill -9``: no debris kept, no artifact lost, others' work untouched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.storage import _host, atomic_directory, recover_interrupted_write, write_text_atomically
from mixscope.surface import Surface

WRITE_AND_DIE = """
import os, signal, sys
from pathlib import Path
from mixscope import storage
{setup}
with storage.atomic_directory(Path(sys.argv[1])) as staging:
    (staging / "version").write_text("new")
    {during}
"""
SIGKILL_SELF = "os.kill(os.getpid(), signal.SIGKILL)"
# The two-rename swap (no renameat2 exchange), killed once the old artifact is out of the way and the new
# one not yet in: the moment that used to leave nothing at the target.
BETWEEN_RENAMES = f"""
storage._exchange = lambda a, b: False
real_replace = os.replace
def replace(source, target):
    real_replace(source, target)
    if Path(target).name == "previous":
        {SIGKILL_SELF}
os.replace = replace
"""


def _killed_writer(out: Path, setup: str = "", during: str = "pass") -> None:
    _run_until_killed(WRITE_AND_DIE.format(setup=setup, during=during), out)


def _run_until_killed(code: str, target: Path) -> None:
    """Run ``code`` in a child with ``target`` as its argument; it must end by SIGKILL."""
    child = [sys.executable, "-c", code, str(target)]
    done = subprocess.run(child, capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr


def _artifact(out: Path, version: str) -> Path:
    with atomic_directory(out) as staging:
        (staging / "version").write_text(version)
    return out


def _debris(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def test_a_write_killed_midway_leaves_the_old_artifact_and_its_debris_is_cleaned(tmp_path):
    out = _artifact(tmp_path / "surface", "old")
    _killed_writer(out, during=SIGKILL_SELF)
    assert (out / "version").read_text() == "old"
    assert _debris(out) and _debris(out)[0].startswith(".surface.tmp-")
    _artifact(out, "newer")  # the next write of the same artifact cleans up
    assert (out / "version").read_text() == "newer" and _debris(out) == []


def test_a_kill_between_the_two_renames_is_undone_on_the_next_load(tmp_path):
    out = _artifact(tmp_path / "surface", "old")
    _killed_writer(out, setup=BETWEEN_RENAMES)
    assert not out.exists()  # what an interrupted swap leaves: the old copy only in a hidden folder
    recover_interrupted_write(out)
    assert (out / "version").read_text() == "old" and _debris(out) == []


def test_a_kill_after_the_exchange_keeps_the_new_artifact(tmp_path):
    out = _artifact(tmp_path / "surface", "old")
    _killed_writer(out, setup=f"storage.shutil.rmtree = lambda *args, **kwargs: {SIGKILL_SELF}")
    assert (out / "version").read_text() == "new"  # swapped in one step; the old one waits in a temporary
    _artifact(out, "newer")
    assert (out / "version").read_text() == "newer" and _debris(out) == []


def test_a_live_writer_and_young_legacy_temporaries_are_left_alone(tmp_path):
    out = _artifact(tmp_path / "surface", "old")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".surface.tmp-{sleeper.pid}@{_host()}-abc123"
        young_legacy = tmp_path / ".surface.tmp-k2j4h5g6"
        stale_legacy = tmp_path / ".surface.old-z9y8x7w6"
        for folder in (live, young_legacy, stale_legacy):
            folder.mkdir()
        two_days_ago = time.time() - 2 * 24 * 3600
        os.utime(stale_legacy, (two_days_ago, two_days_ago))
        other = tmp_path / ".other.tmp-1@host-abc123"  # another artifact's temporary: not ours to judge
        other.mkdir()
        recover_interrupted_write(out)
        assert _debris(out) == sorted([live.name, young_legacy.name])
        assert other.is_dir()
    finally:
        sleeper.kill()
        sleeper.wait()
    recover_interrupted_write(out)  # its writer is gone now
    assert _debris(out) == [young_legacy.name]


def test_surface_load_recovers_a_surface_whose_swap_was_interrupted(national_surface_dir, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(national_surface_dir, run_dir)
    before = (run_dir / "surface" / "manifest.json").read_bytes()
    _killed_writer(run_dir / "surface", setup=BETWEEN_RENAMES)
    assert not (run_dir / "surface").exists()
    assert Surface.load(run_dir).n_draws > 0
    assert (run_dir / "surface" / "manifest.json").read_bytes() == before
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".surface.")]


def test_a_failed_file_write_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("old")

    def full_disk(source, destination):
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", full_disk)
        with pytest.raises(OSError, match="disk full"):
            write_text_atomically(target, "new")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    write_text_atomically(target, "new")
    assert target.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_a_file_write_killed_midway_is_cleaned_up_by_the_next(tmp_path):
    target = tmp_path / "report.html"
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from mixscope import storage\n"
        "os.replace = lambda source, target: os.kill(os.getpid(), signal.SIGKILL)\n"
        "storage.write_text_atomically(Path(sys.argv[1]), 'half')\n"
    )
    _run_until_killed(code, target)
    assert [p.name.startswith(".report.html.tmp-") for p in tmp_path.iterdir()] == [True]
    write_text_atomically(target, "whole")
    assert target.read_text() == "whole" and [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_report_into_a_directory_is_refused_before_any_work(national_run_dir, tmp_path):
    result = CliRunner().invoke(app, ["report", str(national_run_dir), "-o", str(tmp_path)],
                                catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "is a directory" in result.stderr and "report.html" in result.stderr
    assert list(tmp_path.iterdir()) == []
