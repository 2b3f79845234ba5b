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
