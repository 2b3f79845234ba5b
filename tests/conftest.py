"""Shared fixtures: a simulated dataset with known truth and one fit reused by many tests."""

from __future__ import annotations

import os

import pytest

from mixscope.xla import configure_xla

os.environ.setdefault("MIXSCOPE_NO_PROGRESS", "1")
configure_xla()  # parallel chains, as the CLI runs them: before anything starts JAX

from mixscope.simulate import write_simulated_project  # noqa: E402


@pytest.fixture(scope="session")
def national_case(tmp_path_factory):
    """156 weeks, 5 channels, seed 3: ``(spec_path, spec, truth)``, fitted at the default draws
    (at 400 the project's R-hat alarm read 1.011 on the smooth baseline's walk)."""
    sampler = {"chains": 4, "warmup": 400, "draws": 1000, "seed": 1}
    return write_simulated_project(tmp_path_factory.mktemp("national"), 1, 156, 3, sampler)


@pytest.fixture(scope="session")
def national_fit(national_case):
    from mixscope.data import load_dataset
    from mixscope.pipeline import fit

    _, spec, truth = national_case
    dataset, _ = load_dataset(spec)
    return fit(spec, dataset, progress=False), truth


@pytest.fixture(scope="session")
def national_run_dir(national_fit, tmp_path_factory):
    """The shared national fit saved as a run directory (tests must not modify it)."""
    from mixscope.run import save_run

    result, _ = national_fit
    return save_run(result, tmp_path_factory.mktemp("national_run") / "run")


@pytest.fixture(scope="session")
def national_surface_dir(national_run_dir, tmp_path_factory):
    """A copy of the national run with a surface built (smaller design, full grid)."""
    import shutil

    from mixscope.surface.build import SurfaceOptions, build_surface

    run_dir = tmp_path_factory.mktemp("surface_run") / "run"
    shutil.copytree(national_run_dir, run_dir)
    options = SurfaceOptions(n_sobol=64, n_neighbourhood=16, check_plans=32, check_draws=120)
    build_surface(run_dir, options)
    return run_dir


@pytest.fixture(scope="session")
def surface(national_surface_dir):
    """The national surface, loaded once (read-only: tests must not change it)."""
    from mixscope.surface import Surface

    return Surface.load(national_surface_dir)
