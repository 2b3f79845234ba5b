"""An imported Meridian fit reproduces Meridian's own answers and is a run like any other."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from mixscope.errors import MixscopeError, RunError
from mixscope.run import load_run
from tests.meridian.conftest import fixture_paths, reference

MEAN_TOLERANCE = 0.01  # the bar: means within 1%
INTERVAL_TOLERANCE = 0.02  # 90% interval ends within 2%


def _relative(a: float, b: float) -> float:
    return abs(a / b - 1.0)


@pytest.mark.parametrize("metric,theirs", [
    ("roi", "roi"), ("incremental_outcome", "incremental_outcome"), ("mroi", "marginal_roi"),
])
def test_meridian_metrics_match_meridians_own(imported, metric, theirs):
    kind, run_dir = imported
    ours, expected = load_run(run_dir).summary["meridian"][metric], reference(kind)[theirs]
    assert set(ours) == set(expected)
    for channel, value in expected.items():
        assert _relative(ours[channel]["mean"], value["mean"]) <= MEAN_TOLERANCE, (kind, metric, channel)
        for end, their_end in zip(ours[channel]["ci_90"], value["ci_90"], strict=True):
            assert _relative(end, their_end) <= INTERVAL_TOLERANCE, (kind, metric, channel)


def test_response_curves_match_at_every_stored_multiplier(imported):
    from mixscope.meridian import response_curves

    kind, run_dir = imported
    theirs = pd.DataFrame(reference(kind)["response_curves"]).pivot_table(
        index=["spend_multiplier", "channel"], columns="metric", values="incremental_outcome"
    ).reset_index()
    ours = response_curves(run_dir)
    merged = ours.merge(theirs, on=["spend_multiplier", "channel"], suffixes=("", "_meridian"))
    assert len(merged) == len(theirs) == 21 * 4
    zero = merged["spend_multiplier"] == 0
    assert (merged.loc[zero, ["mean", "ci_lo", "ci_hi"]] == 0).all().all()
    for column in ("mean", "ci_lo", "ci_hi"):
        error = (merged.loc[~zero, column] / merged.loc[~zero, f"{column}_meridian"] - 1).abs()
        assert error.max() <= MEAN_TOLERANCE, (kind, column, error.max())


def test_reproduction_equals_meridians_roi_draws(imported):
    """Meridian's roi_m is its ROI over the data window: the reproduced ROI must be it, draw by draw."""
    _, run_dir = imported
    check = load_run(run_dir).summary["meridian"]["roi_check"]
    assert check["checked"] and check["max_relative_error"] < 1e-4


def test_an_imported_run_is_a_run_that_says_where_it_came_from(imported):
    kind, run_dir = imported
    netcdf, _, csv, _ = fixture_paths(kind)
    run = load_run(run_dir)
    summary = run.summary
    assert summary["engine"] == "meridian"
    source = summary["meridian"]
    assert source["source_kind"] == "netcdf"
    assert source["source_sha256"] == hashlib.sha256(netcdf.read_bytes()).hexdigest()
    assert source["data"] == str(csv.resolve())
    assert source["model_spec"]["max_lag"] == 8 and not source["model_spec"]["hill_before_adstock"]
    # Meridian's draws are kept as they are, and the mixscope-named sites are the same numbers.
    kept = run.idata["meridian_posterior"]
    assert set(kept.data_vars) >= {"alpha_m", "ec_m", "slope_m", "beta_gm", "roi_m", "mu_t"}
    np.testing.assert_array_equal(
        run.idata.posterior["adstock_decay"].values, kept["alpha_m"].transpose("chain", "draw", ...).values
    )
    np.testing.assert_array_equal(run.idata.posterior["roi"].values, kept["roi_m"].values)
    assert run.idata.posterior.sizes["chain"] == 2 and run.idata.posterior.sizes["draw"] == 250
    # Every channel is Meridian's max_lag + 1 lags of geometric adstock, then Hill.
    assert {(c.adstock, c.max_lag, c.saturation) for c in run.spec.channels} == {("geometric", 9, "hill")}
    # The fixtures' short chains fail mixscope's alarms, and the run says so.
    assert not summary["diagnostics_ok"] and any("R-hat" in w for w in summary["warnings"])


def test_mixscope_roi_adds_the_carryover_past_the_data(imported):
    """mixscope's ROI counts what the last weeks' spend causes after the data; Meridian's stops at its end."""
    _, run_dir = imported
    summary = load_run(run_dir).summary
    for channel in summary["channels"]:
        ours, theirs = summary["roi"][channel]["mean"], summary["meridian"]["roi"][channel]["mean"]
        assert theirs < ours < 1.05 * theirs, channel


def test_evidence_and_next_test_refuse_an_imported_run(imported):
    from mixscope.calibration.evidence import evidence_report
    from mixscope.calibration.next_test import next_test

    _, run_dir = imported
    run = load_run(run_dir)
    for command, call in (("evidence", evidence_report), ("next-test", next_test)):
        with pytest.raises(RunError, match=f"mixscope {command}.*Meridian"):
            call(run)


# --------------------------------------------------------------------------- refusals


def _national(tmp_path):
    netcdf, _, csv, _ = fixture_paths("national")
    return netcdf, csv, tmp_path / "run"


def _with_rf_channel(netcdf, target):
    """The national posterior plus a reach-and-frequency channel, as Meridian stores one."""
    import arviz as az

    idata = az.from_netcdf(str(netcdf))
    alpha = idata.posterior["alpha_m"].isel(media_channel=[3]).rename(media_channel="rf_channel")
    idata.posterior["alpha_rf"] = alpha.assign_coords(rf_channel=["Channel3_rf"])
    idata.to_netcdf(str(target))
    return target


def test_reach_and_frequency_channels_are_refused_by_name(tmp_path):
    from mixscope.meridian import import_meridian

    netcdf, csv, out = _national(tmp_path)
    model = _with_rf_channel(netcdf, tmp_path / "rf.nc")
    with pytest.raises(MixscopeError, match=r"reach-and-frequency \(R&F\) channels \(Channel3_rf\)"):
        import_meridian(model, out, data=csv)
    assert not out.exists()


def test_hill_before_adstock_is_refused(tmp_path):
    from mixscope.meridian import import_meridian

    netcdf, csv, out = _national(tmp_path)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text("[model]\nhill_before_adstock = true\n")
    with pytest.raises(MixscopeError, match="hill_before_adstock=True"):
        import_meridian(netcdf, out, data=csv, mapping=mapping)


def test_wrong_settings_are_caught_by_meridians_own_roi_draws(tmp_path):
    from mixscope.meridian import import_meridian

    netcdf, csv, out = _national(tmp_path)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text("[model]\nmax_lag = 3\n")
    with pytest.raises(MixscopeError, match="away from the model's own roi_m"):
        import_meridian(netcdf, out, data=csv, mapping=mapping)
    assert not out.exists()


def test_data_of_another_model_is_refused(tmp_path):
    from mixscope.meridian import import_meridian

    netcdf, _, out = _national(tmp_path)
    with pytest.raises(MixscopeError, match="geos"):
        import_meridian(netcdf, out, data=fixture_paths("geo")[2])


def test_a_netcdf_needs_the_data(tmp_path):
    from mixscope.meridian import import_meridian

    netcdf, _, out = _national(tmp_path)
    with pytest.raises(MixscopeError, match="--data CSV"):
        import_meridian(netcdf, out)


def test_a_pickle_without_meridian_names_the_extra(tmp_path):
    pytest.importorskip("numpy")
    try:
        import meridian  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("Meridian is installed: the pickle is read (tests/meridian/test_pickle.py)")
    from mixscope.meridian import import_meridian

    _, pickle, csv, _ = fixture_paths("national")
    if not pickle.exists():  # the pickle is not in the repository: any file that is not netCDF is read as one
        pickle = tmp_path / "meridian_model.pkl"
        pickle.write_bytes(b"\x80\x04\x95 not a netCDF file")
    with pytest.raises(MixscopeError, match=r"mixscope\[meridian\]"):
        import_meridian(pickle, tmp_path / "run", data=csv)
