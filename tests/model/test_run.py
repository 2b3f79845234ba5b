"""Run directories: round trip, atomic replacement, refusal of altered runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mixscope.errors import RunError
from mixscope.run import load_run, save_run
from mixscope.spec_terms import HolidaySpec


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


def test_a_run_keeps_its_holidays_file_so_editing_or_deleting_the_original_loses_nothing(
    national_fit, tmp_path
):
    """The calendar the fit read is stored in the run (and its manifest): the run loads, with the same
    data hash, after the file the spec points at changed or went; a run without the copy (written before
    runs kept one) says the calendar may have changed."""
    from dataclasses import replace

    import pandas as pd

    from mixscope.data.build import build_dataset
    from mixscope.run import CALENDAR

    result, _ = national_fit
    original = tmp_path / "calendar.csv"
    pd.DataFrame({"ds": ["2021-07-04", "2021-12-25"], "holiday": ["Independence Day", "Christmas Day"],
                  "country": ["US", "US"], "year": [2021, 2021]}).to_csv(original, index=False)
    data = replace(result.spec.data, holidays=HolidaySpec("US", file=original))
    spec = replace(result.spec, data=data)
    dated = replace(result, spec=spec, dataset=build_dataset(result.dataset.frame, spec))
    path = save_run(dated, tmp_path / "run")
    manifest = json.loads((path / "manifest.json").read_text())
    assert CALENDAR in manifest["files"] and (path / CALENDAR).read_bytes() == original.read_bytes()

    original.write_text(original.read_text().replace("2021-12-25", "2021-12-24"))
    assert load_run(path).dataset.content_hash() == dated.dataset.content_hash()
    original.unlink()
    assert load_run(path).dataset.content_hash() == dated.dataset.content_hash()

    # A run written before runs kept their calendar: the spec's file is read, and a change is named.
    (path / CALENDAR).unlink()
    manifest["files"].pop(CALENDAR)
    (path / "manifest.json").write_text(json.dumps(manifest))
    pd.DataFrame({"ds": ["2021-07-04"], "holiday": ["Independence Day"], "country": ["US"],
                  "year": [2021]}).to_csv(original, index=False)
    with pytest.raises(RunError, match=r"the holidays file .*calendar\.csv changed since the fit"):
        load_run(path)
