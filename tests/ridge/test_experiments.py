"""Lift tests in the ridge engine: read from the spec or --experiments, inside the regression."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.errors import SpecError
from mixscope.ridge import fit_ridge
from mixscope.run import load_run

from .conftest import write_zoo_project

SEED = 304  # outside the bench's zoo seeds
QUICK = {"iterations": 200, "trials": 2, "bootstraps": 60, "seed": 0}


@pytest.fixture(scope="module")
def tested_case(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo-lifts")
    spec, dataset, simulated = write_zoo_project(SEED, folder, lift_tests=True)
    return folder, spec, dataset, simulated


def _error(result, truth) -> float:
    roi = result.summary["roi"]
    return float(np.mean([abs(roi[c]["mean"] / truth[c] - 1) for c in truth]))


def test_lift_tests_calibrate_the_regression(tested_case):
    folder, spec, dataset, simulated = tested_case
    plain = fit_ridge(spec, dataset, **QUICK)
    calibrated = fit_ridge(spec.with_calibration(folder / "lifts.csv", "likelihood"), dataset, **QUICK)
    ridge = calibrated.summary["ridge"]
    assert ridge["search"]["objectives"] == ["nrmse", "decomp_rssd", "lift_error"]
    assert all(row["lift_error"] >= 0 for row in ridge["candidates"])
    # Each test is a measurement of its implied lift in the regression: the fit agrees with it.
    rows = calibrated.summary["calibration"]["experiments"]
    assert len(rows) == len(simulated.experiments) == len(calibrated.experiments)
    assert all(row["consistent"] for row in rows), rows
    truth = simulated.truth["roi"]
    # Measured at QUICK on this case: 0.61 without the tests, 0.46 with them.
    assert _error(calibrated, truth) < 0.9 * _error(plain, truth)
    assert not any("experiments" in warning for warning in calibrated.summary["warnings"])


def test_prior_mode_needs_the_ridge_method(tested_case):
    folder, spec, dataset, _ = tested_case
    with pytest.raises(SpecError, match="Prior-mode calibration"):
        fit_ridge(spec.with_calibration(folder / "lifts.csv", "prior"), dataset, method="ols", iterations=0)


def test_cli_passes_experiments_to_the_ridge_engine(tested_case, tmp_path):
    folder, _, _, _ = tested_case
    result = CliRunner().invoke(app, [
        "fit", str(folder / "mixscope.toml"), "--out", str(tmp_path / "run"), "--engine", "ridge",
        "--iterations", "40", "--trials", "1", "--experiments", str(folder / "lifts.csv"), "--json",
    ], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["calibration"]["n_experiments"] > 0
    assert "lift_error" in summary["ridge"]["search"]["objectives"]
    assert len(load_run(tmp_path / "run").experiments) == summary["calibration"]["n_experiments"]
