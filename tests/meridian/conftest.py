"""Meridian fixtures (``fixtures/``: Meridian 2.1 fits with Meridian's own answers) and runs imported
from them once per session. No Meridian is needed: the netCDF path reads the posterior."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"  # netCDF, reference and data, in the repository
SHARED_FITS = Path(__file__).resolve().parents[3] / "shared" / "data" / "meridian-fits"  # the pickles
CSV = {"national": FIXTURES / "national_media.csv", "geo": FIXTURES / "geo_media.csv"}


def fixture_paths(kind: str) -> tuple[Path, Path, Path, Path]:
    """``(netCDF, pickle, data CSV, reference JSON)`` of one fit (the pickle may be absent: see
    ``fixtures/README.md``)."""
    folder = FIXTURES / kind
    return (folder / "meridian_inference_data.nc", SHARED_FITS / kind / "meridian_model.pkl", CSV[kind],
            folder / "meridian_reference.json")


def reference(kind: str) -> dict:
    return json.loads(fixture_paths(kind)[3].read_text())


@pytest.fixture(scope="session", params=["national", "geo"])
def imported(request, tmp_path_factory):
    """``(kind, run directory)`` of each fixture imported from its netCDF (tests must not modify it)."""
    from mixscope.meridian import import_meridian

    netcdf, _, csv, _ = fixture_paths(request.param)
    out = tmp_path_factory.mktemp(f"meridian_{request.param}") / "run"
    import_meridian(netcdf, out, data=csv)
    return request.param, out


@pytest.fixture(scope="session")
def national_planned(tmp_path_factory):
    """The national fixture imported through the CLI with a surface over the whole data window
    (Meridian's optimiser plans all 156 weeks)."""
    from typer.testing import CliRunner

    from mixscope.cli import app

    netcdf, _, csv, _ = fixture_paths("national")
    run_dir = tmp_path_factory.mktemp("meridian_planned") / "run"
    runner = CliRunner()
    result = runner.invoke(app, ["import-meridian", str(netcdf), "--data", str(csv), "--out", str(run_dir)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["surface", str(run_dir), "--reference-periods", "156", "--json"])
    assert result.exit_code == 0, result.output
    return run_dir
