"""Fixtures: a small simulated project with lift tests, its dataset, and one calibrated run."""

from __future__ import annotations

import pytest

from mixscope.simulate import SimulatedTest, write_simulated_project

TESTS = (SimulatedTest("tv", 20, 6), SimulatedTest("search", 60, 6, spend_multiplier=1.5))


@pytest.fixture(scope="session")
def lift_project(tmp_path_factory):
    """104 weeks, 5 channels, two lift tests in ``lifts.csv``: ``(folder, spec, truth)``."""
    folder = tmp_path_factory.mktemp("lift_project")
    sampler = {"chains": 2, "warmup": 300, "draws": 300, "seed": 4}
    _, spec, truth = write_simulated_project(folder, 1, 104, 2, sampler, experiments=TESTS)
    return folder, spec, truth


@pytest.fixture(scope="session")
def lift_dataset(lift_project):
    from mixscope.data import load_dataset

    return load_dataset(lift_project[1])[0]


@pytest.fixture(scope="session")
def calibrated_run(lift_project, lift_dataset, tmp_path_factory):
    """A likelihood-calibrated fit of the project, saved and loaded back as a run."""
    from mixscope.pipeline import fit
    from mixscope.run import load_run, save_run

    folder, spec, _ = lift_project
    spec = spec.with_calibration(folder / "lifts.csv")
    result = fit(spec, lift_dataset, progress=False)
    path = save_run(result, tmp_path_factory.mktemp("runs") / "calibrated")
    return result, load_run(path)
