"""Edited runs and surfaces are refused by every command that reads them, as ``load_run`` refuses them."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.errors import RunError, SurfaceError
from mixscope.run import load_run
from mixscope.run_files import verify_run
from mixscope.storage import document_digest
from mixscope.surface import Surface
from mixscope.surface.store import SEAL

runner = CliRunner()
READERS = {  # every command that reads a run without load_run, with arguments that work on an intact run
    "whatif": ["--spend", "tv=1000000"],
    "query": ["SELECT count(*) FROM predictions"],
    "explain": [],
}


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture()
def run_copy(national_surface_dir, tmp_path):
    target = tmp_path / "run"
    shutil.copytree(national_surface_dir, target)
    return target


def _edit_json(path, change) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2))


def _flip_a_byte(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_load_run_refuses_a_manifest_that_drops_a_file(run_copy):
    # load_run and the JAX-free readers share one check (mixscope.run_files.verify_run).
    manifest = json.loads((run_copy / "manifest.json").read_text())
    del manifest["files"]["predictions.parquet"]
    (run_copy / "manifest.json").write_text(json.dumps(manifest, indent=2))
    with pytest.raises(RunError, match="predictions.parquet"):
        load_run(run_copy)


def test_every_reader_works_on_an_intact_run(run_copy):
    for command, args in READERS.items():
        result = invoke(command, run_copy, *args)
        assert result.exit_code == 0, (command, result.stderr)


@pytest.mark.parametrize("name", ["posterior.nc", "summary.json", "predictions.parquet", "data.parquet"])
def test_a_run_file_edited_after_the_fit_is_refused_everywhere(run_copy, name):
    _flip_a_byte(run_copy / name)
    with pytest.raises(RunError, match=f"{name} does not match its checksum"):
        load_run(run_copy)
    for command, args in READERS.items():
        result = invoke(command, run_copy, *args)
        assert result.exit_code == 2, (command, result.stdout)
        assert f"{name} does not match its checksum" in result.stderr, (command, result.stderr)


def test_a_run_manifest_that_vouches_for_nothing_is_refused(run_copy):
    _edit_json(run_copy / "manifest.json", lambda manifest: manifest["files"].clear())
    with pytest.raises(RunError, match="lists no checksum"):
        load_run(run_copy)
    with pytest.raises(RunError, match="lists no checksum"):
        verify_run(run_copy)
    for command, args in READERS.items():
        result = invoke(command, run_copy, *args)
        assert result.exit_code == 2, (command, result.stdout)


def test_a_run_manifest_that_drops_one_file_is_refused(run_copy):
    _edit_json(run_copy / "manifest.json", lambda manifest: manifest["files"].pop("predictions.parquet"))
    with pytest.raises(RunError, match="lists no checksum for predictions.parquet"):
        verify_run(run_copy)
    # The surface was built from the run as it was: any edit of the run's manifest disowns it.
    with pytest.raises(SurfaceError, match="different fit"):
        Surface.load(run_copy)


def test_an_edited_surface_manifest_is_refused(run_copy):
    manifest = run_copy / "surface" / "manifest.json"
    original = manifest.read_text()
    _edit_json(manifest, lambda m: m["calibration"].update(anchor_kpi=m["calibration"]["anchor_kpi"] + 1e6))
    with pytest.raises(SurfaceError, match="was edited since the surface was built"):
        Surface.load(run_copy)
    result = invoke("whatif", run_copy, "--spend", "tv=1000000")
    assert result.exit_code == 2 and "was edited" in result.stderr
    manifest.write_text(original)
    _edit_json(manifest, lambda m: m["files"].clear())
    with pytest.raises(SurfaceError, match="was edited"):
        Surface.load(run_copy)


def test_a_forged_digest_still_cannot_drop_the_file_list(run_copy):
    # Someone who recomputes the digest after emptying the list still gets a surface that checks nothing.
    def forge(manifest):
        manifest["files"].clear()
        manifest[SEAL] = document_digest({k: v for k, v in manifest.items() if k != SEAL})

    _edit_json(run_copy / "surface" / "manifest.json", forge)
    with pytest.raises(SurfaceError, match="does not list the surface's tables"):
        Surface.load(run_copy)


def test_a_surface_file_edited_is_refused_by_query(run_copy):
    _flip_a_byte(run_copy / "surface" / "scenarios.parquet")
    result = invoke("query", run_copy, "SELECT count(*) FROM scenarios")
    assert result.exit_code == 2 and "scenarios.parquet does not match its checksum" in result.stderr
