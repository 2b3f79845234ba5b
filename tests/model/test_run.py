"""Run directories: round trip, atomic replacement, refusal of altered runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mixscope.errors import RunError
from mixscope.run import load_run, save_run


@pytest.fixture(scope="module")
def saved_run(national_fit, tmp_path_factory):
    result, _ = national_fit
    return save_run(result, tmp_path_factory.mktemp("runs") / "run"), result


def test_round_trip(saved_run):
    path, result = saved_run
    run = load_run(path)
    np.testing.assert_array_equal(
        run.idata.posterior["roi"].values, result.idata.posterior["roi"].values
    )
    assert run.summary["roi"] == json.loads(json.dumps(result.summary["roi"]))
    assert run.dataset.content_hash() == result.dataset.content_hash()
    assert run.spec.channel_names == result.spec.channel_names
    assert len(run.predictions) == result.dataset.n_times
    assert set(run.summary["diagnostics"]) >= {
        "max_rhat", "min_ess_bulk", "divergences", "r2", "mape", "holdout_mape",
    }


def test_existing_run_is_not_replaced_without_overwrite(saved_run):
    path, result = saved_run
    before = (path / "manifest.json").read_text()
    with pytest.raises(RunError, match="--overwrite"):
        save_run(result, path)
    assert (path / "manifest.json").read_text() == before


def test_failed_write_leaves_old_run_intact(saved_run, monkeypatch):
    path, result = saved_run
    before = (path / "manifest.json").read_text()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("mixscope.run.predictions_frame", explode)
    with pytest.raises(OSError, match="disk full"):
        save_run(result, path, overwrite=True)
    assert (path / "manifest.json").read_text() == before
    assert [p.name for p in path.parent.iterdir()] == ["run"]  # no temp folders left
    load_run(path)


def test_corrupted_file_is_refused(saved_run, tmp_path):
    import shutil

    path, _ = saved_run
    copy = tmp_path / "run"
    shutil.copytree(path, copy)
    summary = json.loads((copy / "summary.json").read_text())
    summary["roi"]["tv"]["mean"] = 99.0
    (copy / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(RunError, match="checksum"):
        load_run(copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(RunError, match="not a complete run"):
        load_run(copy)


def test_missing_run_directory(tmp_path):
    with pytest.raises(RunError, match="mixscope fit"):
        load_run(tmp_path / "nope")
