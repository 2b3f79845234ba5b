"""The prediction surface: separability, calibration, queries, storage and the JAX-free runtime."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from mixscope import metrics
from mixscope.errors import SurfaceError
from mixscope.surface import Surface, allocation_design, budget_levels
from mixscope.surface.store import read_manifest


def _direct_incremental_revenue(run_dir, draw_indices, multipliers):
    """Per-draw incremental revenue of a plan computed straight from the model, not the surface."""
    from mixscope.model.evaluate import flatten_draws
    from mixscope.model.fit import prepare
    from mixscope.model.inputs import build_inputs
    from mixscope.model.mmm import expected_kpi
    from mixscope.run import load_run

    run = load_run(run_dir)
    dataset = run.dataset
    scaling, _, config = prepare(run.spec, dataset)
    draws = flatten_draws({k: v.values for k, v in run.idata.posterior.items()})
    start = dataset.n_times - 52

    def plan_inputs(scale):
        media = dataset.media.copy()
        media[:, start:, :] *= scale
        return build_inputs(dataset, run.spec, scaling, media=media)

    planned, without = plan_inputs(np.asarray(multipliers)), plan_inputs(np.zeros(dataset.n_channels))
    weight = planned.outcome_weight[:, start:, None]
    out = []
    for index in draw_indices:
        params = {k: v[index] for k, v in draws.items()}
        lift = (np.asarray(expected_kpi(params, planned, config)["media"])
                - np.asarray(expected_kpi(params, without, config)["media"]))[:, start:]
        out.append((lift * weight).sum(axis=(0, 1)))
    return np.array(out)


def test_random_mixes_match_direct_model_evaluation(surface, national_surface_dir):
    """Separability + interpolation: summing 1-D curves reproduces the full model (< 0.5%)."""
    rng = np.random.default_rng(7)
    reference = surface.curves.reference_spend
    draw_indices = [0, 111, 555, surface.n_draws - 1]
    for _ in range(6):
        shares = rng.dirichlet(np.ones(reference.size))
        spend = rng.uniform(0.5, 2.0) * reference.sum() * shares
        direct = _direct_incremental_revenue(national_surface_dir, draw_indices, spend / reference)
        stored = surface.outcome(spend).contribution_revenue[draw_indices]
        relative = np.abs(stored.sum(axis=1) - direct.sum(axis=1)) / direct.sum(axis=1)
        assert relative.max() < 0.005, relative
    error = surface.manifest["interpolation_error"]
    assert error["max_relative_error_media"] < 0.005


def test_historical_plan_reproduces_observed_total(surface, national_surface_dir):
    from mixscope.run import load_run

    dataset = load_run(national_surface_dir).dataset
    observed = dataset.kpi[:, -52:].sum()
    outcome = surface.outcome(surface.historical_plan()).outcome
    assert outcome.mean() == pytest.approx(observed, rel=1e-9)
    calibration = surface.calibration
    assert calibration["observed_kpi"] == pytest.approx(observed)
    parts = calibration["residual_kpi"] + calibration["carryover_in_kpi"] - calibration["carryover_out_kpi"]
    assert calibration["anchor_kpi"] == pytest.approx(parts, rel=1e-6, abs=1e-6 * observed)
    # The anchor is a local adjustment, small next to the outcome it calibrates.
    assert abs(calibration["anchor_kpi"]) < 0.05 * observed


def test_roi_at_historical_plan_matches_metric_definition(surface):
    result = surface.outcome(surface.historical_plan())
    roi = result.roi()
    np.testing.assert_allclose(roi, result.contribution_revenue / result.spend)
    marginal = surface.curves.marginal_roi(result.spend)
    # mROI is the revenue of the next 1% of each channel's spend per unit spent, draw by draw,
    # read through the same outcome a user's what-if reads (S-shaped draws may exceed the ROI).
    for index in range(len(surface.channels)):
        raised = result.spend.copy()
        raised[index] *= 1.01
        after = surface.outcome(raised).contribution_revenue[:, index]
        step = after - result.contribution_revenue[:, index]
        np.testing.assert_allclose(marginal[:, index], step / (0.01 * result.spend[index]), rtol=1e-6)
    assert np.all(np.isfinite(marginal)) and np.all(marginal >= 0)


def test_more_spend_everywhere_always_beats_less(surface):
    historical = surface.historical_plan()
    comparison = surface.compare(historical * 1.2, historical)
    assert comparison["prob_a_beats_b"] == 1.0
    assert comparison["difference"]["ci_90"][0] > 0
    assert surface.compare(historical, historical)["prob_a_beats_b"] == 0.0


def test_evaluate_reports_outcome_against_historical_plan(surface):
    name = surface.channels[0]
    result = surface.evaluate({name: surface.reference_spend[name] * 1.5})
    assert set(result["outcome"]) == {"mean", "median", "ci_90"}
    assert result["spend"][surface.channels[1]] == surface.reference_spend[surface.channels[1]]
    assert result["difference"]["mean"] == pytest.approx(
        result["outcome"]["mean"] - result["baseline_plan_outcome"]["mean"]
    )
    planned = surface.outcome({name: surface.reference_spend[name] * 1.5}).outcome
    historical = surface.outcome(surface.historical_plan()).outcome
    assert result["prob_beats_baseline_plan"] == pytest.approx(np.mean(planned > historical))
    # At zero spend the mROI step is 1% of the reference spend: the stored curve's rise over it
    # (the curve is 0 at 0), read here with np.interp rather than the surface's own lookup.
    marginal = surface.marginal({name: 0.0})
    step = metrics.MROI_STEP * surface.reference_spend[name]
    grid, revenue = surface.curves.spend_grid[0], surface.curves.revenue[:, 0, :]
    first_dollars = np.array([np.interp(step, grid, curve) for curve in revenue]) / step
    assert marginal[name]["mean"] == pytest.approx(first_dollars.mean(), rel=1e-9)


def test_neighbourhood_keeps_total_and_radius(surface):
    historical = surface.historical_plan()
    frame = surface.neighbourhood(historical, radius=0.1, samples=32)
    spend = frame[list(surface.channels)].to_numpy()
    assert len(frame) == 33
    np.testing.assert_allclose(spend.sum(axis=1), historical.sum(), rtol=1e-9)
    assert np.all(np.abs(spend / historical - 1) < 0.25)
    assert frame["prob_beats_plan"].iloc[0] == 0.0
    with pytest.raises(SurfaceError, match="radius"):
        surface.neighbourhood(historical, radius=2)


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({"tvv": 1.0}, "unknown channel 'tvv'. Did you mean 'tv'"),
        ({"tv": -5.0}, "negative"),
        ({"tv": float("nan")}, "not a finite number"),
        ({"tv": "lots"}, "must be a number"),
        ({"tv": 1e15}, "beyond the surface's range"),
    ],
)
def test_bad_plans_are_refused_clearly(surface, plan, message):
    with pytest.raises(SurfaceError, match=message):
        surface.evaluate(plan)


def test_scenario_table(surface, national_surface_dir):
    import duckdb

    folder = national_surface_dir / "surface"
    scenarios = duckdb.sql(f"SELECT * FROM read_parquet('{folder}/scenarios.parquet')").df()
    channels = duckdb.sql(f"SELECT * FROM read_parquet('{folder}/scenario_channels.parquet')").df()
    assert len(channels) == len(scenarios) * len(surface.channels)
    row = scenarios.query("allocation_kind == 'historical' and budget_level == 1.0").iloc[0]
    historical = surface.outcome(surface.historical_plan()).outcome
    assert row.outcome_mean == pytest.approx(historical.mean(), rel=1e-6)
    assert row.outcome_q05 <= row.outcome_q25 <= row.outcome_median <= row.outcome_q75 <= row.outcome_q95
    assert not row.extrapolated
    # All of twice the budget in one channel is 5-10x its spend: far past the growth the data
    # support (the trust multiples of this fixture are 1.6-2.5x), so every such scenario is flagged.
    assert max(surface.manifest["trust_multiple"].values()) < 5
    assert scenarios.query("allocation_kind == 'vertex' and budget_level == 2.0").extrapolated.all()
    totals = channels.groupby("scenario").spend.sum().to_numpy()
    np.testing.assert_allclose(totals, scenarios.total_spend.to_numpy(), rtol=1e-9)


def test_default_design_has_at_least_ten_thousand_scenarios():
    levels = budget_levels()
    design = allocation_design(np.array([0.3, 0.25, 0.2, 0.15, 0.1]))
    assert levels[0] == 0.5 and levels[-1] == 2.0 and np.allclose(np.diff(levels), 0.05)
    assert levels.size * design.shares.shape[0] >= 10_000
    np.testing.assert_allclose(design.shares.sum(axis=1), 1.0)
    assert (design.shares >= 0).all()


# --------------------------------------------------------------------------- storage


@pytest.fixture()
def surface_copy(national_surface_dir, tmp_path):
    target = tmp_path / "run"
    shutil.copytree(national_surface_dir, target)
    return target


def test_corrupted_surface_file_is_refused(surface_copy):
    curves = surface_copy / "surface" / "curves.parquet"
    data = bytearray(curves.read_bytes())
    data[len(data) // 2] ^= 0xFF
    curves.write_bytes(bytes(data))
    with pytest.raises(SurfaceError, match="checksum"):
        Surface.load(surface_copy)


def test_surface_of_a_refitted_run_is_refused(surface_copy):
    manifest_path = surface_copy / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["posterior.nc"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(SurfaceError, match="different fit"):
        read_manifest(surface_copy)


def test_missing_and_foreign_format_surfaces(surface_copy, tmp_path):
    manifest_path = surface_copy / "surface" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps(manifest | {"format_version": 99}))
    with pytest.raises(SurfaceError, match="format 99"):
        Surface.load(surface_copy)
    manifest_path.write_text("{not json")
    with pytest.raises(SurfaceError, match="corrupted"):
        Surface.load(surface_copy)
    shutil.rmtree(surface_copy / "surface")
    with pytest.raises(SurfaceError, match="mixscope surface"):
        Surface.load(surface_copy)


def test_failed_rebuild_leaves_old_surface_intact(surface_copy, monkeypatch):
    from mixscope.surface import build

    before = (surface_copy / "surface" / "manifest.json").read_bytes()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build, "curves_table", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        build.build_surface(surface_copy, build.SurfaceOptions(
            grid_points=20, n_sobol=8, n_neighbourhood=4, check_plans=4, check_draws=10
        ))
    assert (surface_copy / "surface" / "manifest.json").read_bytes() == before
    assert Surface.load(surface_copy).n_draws > 0
    assert not [p for p in (surface_copy).iterdir() if p.name.startswith(".surface")]


def test_runtime_imports_neither_jax_nor_numpyro(national_surface_dir):
    code = (
        "import sys, mixscope\n"
        "from mixscope.surface import Surface\n"
        f"s = Surface.load({str(national_surface_dir)!r})\n"
        "plan = s.historical_plan()\n"
        "s.evaluate(dict(zip(s.channels, plan * 1.1))); s.marginal(plan); s.compare(plan, plan * 0.9)\n"
        "s.neighbourhood(plan, 0.1, 8)\n"
        "bad = [m for m in ('jax', 'jaxlib', 'numpyro', 'arviz') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
