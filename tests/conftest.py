"""Shared fixtures: simulated datasets with known truth and one fit reused by many tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MIXSCOPE_NO_PROGRESS", "1")

from mixscope.simulate import CHANNELS, simulate  # noqa: E402
from mixscope.spec import parse_spec  # noqa: E402


def write_simulation(folder: Path, n_geos: int, n_weeks: int, seed: int, sampler: dict) -> tuple:
    """Write a simulated CSV and a spec for it; return ``(spec_path, spec, truth)``."""
    sim = simulate(n_geos=n_geos, n_weeks=n_weeks, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    sim.frame.to_csv(folder / "data.csv", index=False)
    data = {"path": "data.csv", "controls": ["price", "promo", "holiday"]}
    if n_geos > 1:
        data.update(geo="geo", population="population")
    raw = {
        "data": data,
        "channels": {name: {"spend": f"{name}_spend"} for name in CHANNELS},
        "sampler": sampler,
    }
    import tomli_w

    spec_path = folder / "mixscope.toml"
    spec_path.write_text(tomli_w.dumps(raw))
    return spec_path, parse_spec(raw, base_dir=folder, source=spec_path), sim.truth


@pytest.fixture(scope="session")
def national_case(tmp_path_factory):
    """156 weeks, 5 channels, seed 3: spec path, spec, truth."""
    sampler = {"chains": 4, "warmup": 400, "draws": 300, "seed": 1}
    return write_simulation(tmp_path_factory.mktemp("national"), 1, 156, 3, sampler)


@pytest.fixture(scope="session")
def national_fit(national_case):
    from mixscope.data import load_dataset
    from mixscope.model import fit

    _, spec, truth = national_case
    dataset, _ = load_dataset(spec)
    return fit(spec, dataset, progress=False), truth
