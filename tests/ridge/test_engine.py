"""fit_ridge end to end: candidates, draws under the model's names, run directories, recovery."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mixscope.errors import SpecError
from mixscope.model.evaluate import EVALUATION_SITES, evaluate_posterior, flatten_draws
from mixscope.model.fit import prepare
from mixscope.ridge import LiftTest, fit_ridge
from mixscope.ridge.lift import lift_objective
from mixscope.run import load_run, save_run

from .conftest import SMALL_SEARCH


def _rel_errors(roi: dict[str, float], truth: dict) -> dict[str, float]:
    return {c: roi[c] / truth["roi"][c] - 1 for c in truth["roi"]}


def _total_roi(roi: dict[str, float], spend: dict[str, float]) -> float:
    return sum(roi[c] * spend[c] for c in spend) / sum(spend.values())


def test_summary_says_ridge_and_lists_candidates(ridge_fit):
    result, _ = ridge_fit
    summary = result.summary
    assert summary["engine"] == "ridge"
    ridge = summary["ridge"]
    assert ridge["mode"] == "search" and ridge["method"] == "ridge" and ridge["picked"] == 1
    assert 1 <= len(ridge["candidates"]) <= 5
    for row in ridge["candidates"]:
        assert {"nrmse", "decomp_rssd", "roi", "contribution", "contribution_share", "hyperparameters",
                "penalty", "train_share", "cluster_size"} <= set(row)
        assert set(row["roi"]) == set(summary["channels"])
        assert all(value >= 0 for value in row["contribution"].values())
    search = ridge["search"]
    assert search["evaluations"] == SMALL_SEARCH["iterations"] * SMALL_SEARCH["trials"]
    assert search["objectives"] == ["nrmse", "decomp_rssd"] and search["pareto_front"]
    # The kept candidate's point ROI is the first table row's.
    assert ridge["point_roi"] == pytest.approx(ridge["candidates"][0]["roi"], rel=1e-4)
    assert set(ridge["vif"]) >= {"media:tv", "control:price"}
    json.dumps(summary)  # JSON-ready as it is written to summary.json


def test_draws_are_bootstrap_replicates_under_the_model_names(ridge_fit):
    result, _ = ridge_fit
    posterior = result.idata.posterior
    assert dict(posterior.sizes)["chain"] == 1 and dict(posterior.sizes)["draw"] == SMALL_SEARCH["bootstraps"]
    expected = {"intercept", "trend", "seasonality", "control_coef", "adstock_decay", "hill_half_saturation",
                "hill_slope", "beta_media"}
    assert expected <= set(posterior.data_vars) <= set(EVALUATION_SITES) | {"noise_sd", "channel_roi"}
    assert posterior["beta_media"].dims == ("chain", "draw", "geo", "channel")
    assert np.all(posterior["beta_media"].values >= 0)  # positive media coefficients, every replicate
    assert "sample_stats" not in result.idata.groups()  # no invented sampler statistics
    # The stored draws alone reproduce the summary through the Bayesian evaluation path.
    scaling, inputs, config = prepare(result.spec, result.dataset)
    draws = flatten_draws({name: posterior[name].values for name in posterior.data_vars})
    evaluation = evaluate_posterior(draws, inputs, config, scaling.kpi_scale)
    roi = evaluation.incremental_outcome.mean(axis=0) / inputs.spend_total
    for c, channel in enumerate(config.channels):
        assert roi[c] == pytest.approx(result.summary["roi"][channel]["mean"], rel=1e-4, abs=1e-6)


def test_diagnostics_skip_sampler_checks(ridge_fit):
    result, _ = ridge_fit
    d = result.diagnostics
    assert d.engine == "ridge" and d.max_rhat is None and d.min_ess_bulk is None and d.divergences is None
    assert d.failures() == [] and result.summary["diagnostics_ok"] is True
    assert 0.5 < d.r2 <= 1 and d.mape < 0.1
    assert result.summary["sampler"]["chain_method"] == "bootstrap"


def test_run_directory_round_trip(ridge_fit, tmp_path):
    result, _ = ridge_fit
    path = save_run(result, tmp_path / "run")
    run = load_run(path)
    assert run.summary["engine"] == "ridge"
    assert run.summary["ridge"]["candidates"] == json.loads(json.dumps(result.summary["ridge"]["candidates"]))
    np.testing.assert_array_equal(
        run.idata.posterior["beta_media"].values, result.idata.posterior["beta_media"].values
    )
    assert run.dataset.content_hash() == result.dataset.content_hash()


def test_surface_builds_on_a_ridge_run(ridge_fit, tmp_path):
    from mixscope.surface import Surface
    from mixscope.surface.build import SurfaceOptions, build_surface

    result, _ = ridge_fit
    path = save_run(result, tmp_path / "run")
    options = SurfaceOptions(n_sobol=16, n_neighbourhood=4, check_plans=8, check_draws=20, grid_points=61)
    build_surface(path, options)
    surface = Surface.load(path)
    assert surface.n_draws == SMALL_SEARCH["bootstraps"]  # one curve per bootstrap replicate
    # On this coarse 61-point grid (the default is 241): 0.78% of the media outcome measured.
    assert surface.manifest["interpolation_error"]["max_relative_error_media"] < 0.01
    # The historical plan reproduces the observed KPI of the reference window, as for a Bayesian run.
    observed = result.dataset.kpi[:, -52:].sum()
    assert surface.outcome(surface.historical_plan()).outcome.mean() == pytest.approx(observed, rel=1e-9)
    # The curves carry the replicates' ROI spread: the surface's ROI at the historical plan varies by draw.
    roi = surface.outcome(surface.historical_plan()).roi()
    assert np.all(roi.std(axis=0) > 0)


# Spend-weighted total ROI of a fit over the true one, on the national fixture (seed 3).
# The no-search baseline: 0.82 measured. The small search (SMALL_SEARCH, seed 0): 0.59 measured,
# 0.45-0.59 over search seeds 0-2; it underestimates because DECOMP.RSSD pulls candidates towards
# equal ROIs and zeroes small channels (docs/notes/issue-7.md). The engine is being improved: raise
# the lower bounds as it gets better; the upper bounds leave room to approach the truth.
RIDGE_BASELINE_TOTAL_ROI_RATIO = (0.7, 1.25)
RIDGE_SEARCH_TOTAL_ROI_RATIO = (0.5, 1.3)


def test_recovery_on_simulated_truth(ridge_dataset, ridge_fit):
    """ROI errors of the fast baseline and of a (small) search; the bench reports the full search."""
    spec, dataset, truth = ridge_dataset
    spend = {c: float(dataset.spend[..., i].sum()) for i, c in enumerate(dataset.channels)}
    true_total = _total_roi(truth["roi"], spend)
    baseline = fit_ridge(spec, dataset, iterations=0, bootstraps=0)
    base_roi = baseline.summary["ridge"]["point_roi"]
    low, high = RIDGE_BASELINE_TOTAL_ROI_RATIO
    assert low < _total_roi(base_roi, spend) / true_total < high
    assert abs(_rel_errors(base_roi, truth)["search"]) < 0.25  # the largest effect is found (0.4% off)
    assert baseline.summary["ridge"]["cv"]["chosen"] <= 0.01  # strong signal: little shrinkage
    searched = ridge_fit[0].summary["ridge"]["point_roi"]
    low, high = RIDGE_SEARCH_TOTAL_ROI_RATIO
    assert low < _total_roi(searched, spend) / true_total < high


def test_bootstrap_intervals_cover_the_truth_given_the_true_transforms(ridge_dataset):
    spec, dataset, truth = ridge_dataset
    transforms = {
        c: {"adstock_decay": truth["decay"][c], "hill_half_saturation": truth["half_saturation"][c],
            "hill_slope": truth["slope"][c]}
        for c in dataset.channels
    }
    result = fit_ridge(spec, dataset, method="ols", iterations=0, transforms=transforms, bootstraps=100)
    roi = result.summary["roi"]
    covered = {c: roi[c]["ci_90"][0] <= truth["roi"][c] <= roi[c]["ci_90"][1] for c in truth["roi"]}
    assert sum(covered.values()) >= 4, (covered, roi)
    kept = result.summary["ridge"]["candidates"][0]["hyperparameters"]
    assert kept["tv"]["adstock_decay"] == pytest.approx(truth["decay"]["tv"])


def test_bad_settings_are_clear_errors(ridge_dataset):
    spec, dataset, _ = ridge_dataset
    with pytest.raises(SpecError, match="ols, ridge, lasso"):
        fit_ridge(spec, dataset, method="elastic")
    with pytest.raises(SpecError, match="--pick 9"):
        fit_ridge(spec, dataset, pick=9)
    with pytest.raises(SpecError, match="one candidate"):
        fit_ridge(spec, dataset, iterations=0, pick=2)
    with pytest.raises(SpecError, match="iterations=0"):
        fit_ridge(spec, dataset, transforms={"tv": {"adstock_decay": 0.5}})
    with pytest.raises(SpecError, match="unknown channel"):
        fit_ridge(spec, dataset, iterations=0, transforms={"cinema": {"adstock_decay": 0.5}})


def test_lift_tests_give_a_mape(ridge_dataset):
    _, dataset, _ = ridge_dataset
    tests = [LiftTest("tv", "2022-03-07", "2022-04-04", 1000.0), {"channel": "search", "start": "2022-05-02",
                                                                    "end": "2022-05-30", "lift": 500.0}]
    error = lift_objective(tests, dataset)
    contribution = np.zeros((2, 1, dataset.n_times + 8, 5))
    contribution[1, 0, 9:14, 0] = 200.0  # tv: 5 weeks in the window -> exactly the measured 1000
    contribution[1, 0, 17:22, 1] = 100.0  # search: 5 weeks -> exactly 500
    np.testing.assert_allclose(error(contribution), [1.0, 0.0])
    with pytest.raises(SpecError, match="cinema"):
        lift_objective([LiftTest("cinema", "2022-03-07", "2022-04-04", 1.0)], dataset)
    with pytest.raises(SpecError, match="covers no period"):
        lift_objective([LiftTest("tv", "2030-01-01", "2030-02-01", 1.0)], dataset)
