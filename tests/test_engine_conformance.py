"""Engine conformance, in the spirit of scikit-learn's ``check_estimator``: every engine's run folder
keeps the same contract.

One set of checks over every engine (mixscope.engines): the Bayesian fit (``fit``), the ridge
engine (``fit --engine ridge``) and an imported Meridian run (``import-meridian``). Each check reads
the run the way the rest of mixscope does: ``load_run`` (files and manifest), ``summary.json``'s
keys, the posterior's site names and dims, the diagnostics, and a surface built and queried on it.
Engines given lift tests either use them (the run says it is calibrated with them and stores them)
or refuse them with an error; none ignores them.

The native engines fit one small simulated project (70 weeks, one lift test) at a tiny size:
this checks the contract, not the estimates (tests/model, tests/ridge and tests/meridian do that).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.model.diagnostics import Diagnostics
from mixscope.model.evaluate import EVALUATION_SITES
from mixscope.model.fit import _DIMS
from mixscope.run import EXPERIMENTS, load_run
from mixscope.run_files import RUN_FILES
from mixscope.simulate import SimulatedTest, write_simulated_project
from mixscope.transforms.registry import ADSTOCK, ADSTOCK_DECAY, SATURATION, site_dims

from .meridian.conftest import fixture_paths

ENGINES = ("bayes", "ridge", "meridian")
TINY_SAMPLER = {"chains": 2, "warmup": 100, "draws": 100, "seed": 3}  # 200 draws in all
RIDGE_OPTIONS = {"iterations": 40, "trials": 1, "bootstraps": 30, "seed": 0}
LIFT_TEST = (SimulatedTest("tv", 30, 6),)

# What every engine's summary.json holds (mixscope.model.fit.build_summary writes them; the
# report, the surface, explain and the planner read them).
SUMMARY_KEYS = {
    "kpi", "kpi_type", "roi_units", "channels", "geos", "periods", "spend", "roi", "mroi",
    "contribution_share", "baseline_share", "engine", "diagnostics", "diagnostics_ok", "warnings",
    "curve_check", "fit_seconds", "sampler", "roi_priors",
}
INTERVAL_KEYS = {"mean", "ci_90"}
MANIFEST_KEYS = {
    "format_version", "mixscope_version", "created", "data_hash", "spec_hash", "files", "versions",
}
# Sites every engine's posterior needs for the model's evaluation (the surface reads these).
REQUIRED_SITES = {"intercept", ADSTOCK_DECAY.site, "beta_media"}


@dataclass(frozen=True)
class EngineRun:
    engine: str
    path: Path
    experiments: Path | None  # the lift tests the engine was given, if any


def _invoke(args: list[str]):
    return CliRunner().invoke(app, args, catch_exceptions=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """70 simulated weeks, 5 channels using every registered transform kind, a lift test in ``lifts.csv``."""
    import tomli_w

    folder = tmp_path_factory.mktemp("conformance")
    spec_path, spec, _ = write_simulated_project(folder, 1, 70, 4, TINY_SAMPLER, experiments=LIFT_TEST)
    raw = spec.to_dict()
    adstock, saturation = list(ADSTOCK), list(SATURATION)
    for i, channel in enumerate(raw["channels"].values()):
        channel.update(adstock=adstock[i % len(adstock)], saturation=saturation[i % len(saturation)])
    spec_path.write_text(tomli_w.dumps(raw))
    assert (folder / "lifts.csv").is_file()
    return folder


@pytest.fixture(scope="module", params=ENGINES)
def engine_run(request, project, tmp_path_factory) -> EngineRun:
    """Each engine's run directory (module-scoped: the checks below only read it, and the surface)."""
    out = tmp_path_factory.mktemp(request.param) / "run"
    if request.param == "meridian":
        netcdf, _, csv, _ = fixture_paths("national")
        result = _invoke(["import-meridian", str(netcdf), "--data", str(csv), "--out", str(out)])
        assert result.exit_code == 0, result.output
        return EngineRun("meridian", out, None)
    lifts = project / "lifts.csv"
    if request.param == "ridge":
        # Through the API for a small bootstrap (the CLI's --experiments: tests/ridge/test_experiments.py).
        from mixscope.data import load_dataset
        from mixscope.ridge import fit_ridge
        from mixscope.run import save_run
        from mixscope.spec import load_spec

        spec = load_spec(project / "mixscope.toml").with_calibration(lifts, "likelihood")
        dataset, _ = load_dataset(spec)
        save_run(fit_ridge(spec, dataset, **RIDGE_OPTIONS), out)
        return EngineRun("ridge", out, lifts)
    result = _invoke(["fit", str(project / "mixscope.toml"), "--out", str(out), "--experiments", str(lifts),
                      "--json"])
    assert result.exit_code == 0, result.output
    return EngineRun("bayes", out, lifts)


@pytest.fixture(scope="module")
def run(engine_run):
    return load_run(engine_run.path)


def test_the_run_folder_and_its_manifest(engine_run, run):
    """load_run accepts it (every file present and matching its checksum) and the manifest is complete."""
    assert set(run.manifest) >= MANIFEST_KEYS
    stored = set(run.manifest["files"])
    assert set(RUN_FILES) <= stored
    assert (EXPERIMENTS in stored) == (engine_run.experiments is not None)
    assert run.manifest["data_hash"] == run.dataset.content_hash()
    assert run.spec.channel_names == run.dataset.channels


def test_summary_keys(engine_run, run):
    summary = run.summary
    assert set(summary) >= SUMMARY_KEYS, sorted(SUMMARY_KEYS - set(summary))
    assert summary["engine"] == engine_run.engine
    channels = list(run.dataset.channels)
    assert summary["channels"] == channels and summary["geos"] == list(run.dataset.geos)
    for key in ("roi", "mroi", "contribution_share"):
        assert list(summary[key]) == channels, key
        for channel in channels:
            entry = summary[key][channel]
            assert set(entry) >= INTERVAL_KEYS, (key, channel)
            low, high = entry["ci_90"]
            assert np.isfinite(entry["mean"]) and low <= high, (key, channel)
    assert summary["periods"]["count"] == run.dataset.n_times
    assert json.loads(json.dumps(summary)) == summary  # plain JSON, nothing engine-specific to decode


def test_posterior_site_names_and_dims(run):
    """The sites the model's evaluation reads, under mixscope's names, dims and channel coordinates."""
    posterior = run.idata.posterior
    assert {"chain", "draw"} <= set(posterior.dims)
    assert set(posterior.data_vars) & set(EVALUATION_SITES) >= REQUIRED_SITES
    channels = list(run.dataset.channels)
    assert list(posterior[ADSTOCK_DECAY.site].coords["channel"].values) == channels
    assert posterior["beta_media"].dims[2:] == ("geo", "channel")
    # Transform sites: the registry's dims, over the channels of each kind (as the spec sets them).
    channels_of = run.spec.channels
    for kind in {ADSTOCK[c.adstock] for c in channels_of} | {SATURATION[c.saturation] for c in channels_of}:
        members = [c.name for c in channels_of if kind.name in (c.adstock, c.saturation)]
        for parameter in kind.parameters:
            assert parameter.site in posterior, parameter.site
            values = posterior[parameter.site]
            assert values.dims[2:] == tuple(site_dims()[parameter.site])
            assert list(values.coords[kind.channel_dim].values) == members
    # Any site the native model also has carries the native model's dims, except the two an
    # imported Meridian run indexes by its own terms (documented in mixscope.meridian.engine).
    own_terms = {"trend", "control_coef"} if run.summary["engine"] == "meridian" else set()
    for name in set(posterior.data_vars) & (set(_DIMS) - own_terms):
        assert list(posterior[name].dims[2:]) == _DIMS[name], name
    for name in posterior.data_vars:
        assert np.isfinite(posterior[name].values).all(), name


def test_diagnostics_are_present(engine_run, run):
    diagnostics = run.summary["diagnostics"]
    fields = set(Diagnostics.__dataclass_fields__)
    assert fields <= set(diagnostics), sorted(fields - set(diagnostics))
    assert diagnostics["engine"] == engine_run.engine
    for name in ("r2", "mape", "nrmse", "ppc_coverage_90"):
        assert np.isfinite(diagnostics[name]), name
    assert isinstance(run.summary["diagnostics_ok"], bool)
    failed = [w for w in run.summary["warnings"] if w.startswith("DIAGNOSTICS FAILED")]
    assert run.summary["diagnostics_ok"] == (not failed)
    if engine_run.engine == "ridge":
        assert diagnostics["max_rhat"] is None  # no sampler: its fields say so rather than inventing one
    else:
        assert diagnostics["max_rhat"] is not None and diagnostics["min_ess_bulk"] is not None


def test_surface_builds_and_answers(engine_run, run):
    from mixscope.surface import Surface
    from mixscope.surface.build import SurfaceOptions, build_surface

    weeks = min(26, run.dataset.n_times)
    options = SurfaceOptions(reference_periods=weeks, grid_points=41, n_sobol=16, n_neighbourhood=4,
                             check_plans=8, check_draws=20)
    build_surface(engine_run.path, options)
    surface = Surface.load(engine_run.path)
    assert surface.channels == run.dataset.channels
    assert surface.n_draws > 0
    plan = surface.historical_plan()
    answer = surface.evaluate(dict(zip(surface.channels, plan * 1.1, strict=True)))
    outcome = answer["outcome"]
    assert np.isfinite(outcome["mean"]) and outcome["ci_90"][0] <= outcome["ci_90"][1]
    more = surface.outcome(plan * 1.5).outcome.mean()
    assert more >= surface.outcome(plan).outcome.mean()  # more media never loses outcome


def test_lift_tests_are_used_or_refused(engine_run, run, project, tmp_path):
    """Never silently ignored: a native engine calibrates with them, an import refuses them."""
    lifts = project / "lifts.csv"
    if engine_run.experiments is None:
        netcdf, _, csv, _ = fixture_paths("national")
        result = CliRunner().invoke(app, ["import-meridian", str(netcdf), "--data", str(csv), "--out",
                                          str(tmp_path / "again"), "--experiments", str(lifts)])
        assert result.exit_code != 0
        assert "--experiments" in result.output
        assert not (tmp_path / "again").exists()
        return
    given = len(pd.read_csv(lifts))
    calibration = run.summary["calibration"]
    assert calibration["n_experiments"] == given == len(run.experiments)
    assert len(calibration["experiments"]) == given
    assert not [w for w in run.summary["warnings"] if "experiment" in w.lower() and "ignor" in w.lower()]
