"""Shared ridge fixtures: the national simulated case, its dataset and one small search fit."""

from __future__ import annotations

import pytest

SMALL_SEARCH = {"iterations": 150, "trials": 2, "bootstraps": 60, "seed": 0}


@pytest.fixture(scope="session")
def ridge_dataset(national_case):
    """``(spec, dataset, truth)`` of the 156-week, 5-channel simulation (seed 3)."""
    from mixscope.data import load_dataset

    _, spec, truth = national_case
    dataset, _ = load_dataset(spec)
    return spec, dataset, truth


@pytest.fixture(scope="session")
def ridge_fit(ridge_dataset):
    """A small search (2 trials × 150 candidates) with 60 bootstrap draws."""
    from mixscope.ridge import fit_ridge

    spec, dataset, truth = ridge_dataset
    return fit_ridge(spec, dataset, **SMALL_SEARCH), truth


def write_zoo_project(seed: int, folder, lift_tests: bool = False):
    """A truth-zoo case as a user would have it: ``(spec, dataset, simulated)``.

    The starter spec ``mixscope init`` writes for its data (as bench/zoo.py fits it);
    with ``lift_tests`` the case's tests run in its history and ``lifts.csv`` holds them.
    """
    import tomli_w

    from mixscope.data import load_dataset
    from mixscope.simulate import draw_case
    from mixscope.spec import load_spec
    from mixscope.starter import starter_spec

    case = draw_case(seed)
    simulated = case.simulate(case.lift_tests() if lift_tests else ())
    folder.mkdir(parents=True, exist_ok=True)
    simulated.frame.to_csv(folder / "data.csv", index=False)
    if lift_tests:
        simulated.experiments.to_csv(folder / "lifts.csv", index=False)
    numeric = {name: simulated.frame[name].dtype.kind in "fi" for name in simulated.frame.columns}
    (folder / "mixscope.toml").write_text(tomli_w.dumps(starter_spec(numeric, "data.csv")))
    spec = load_spec(folder / "mixscope.toml")
    dataset, _ = load_dataset(spec)
    return spec, dataset, simulated
