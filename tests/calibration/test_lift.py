"""The model-implied lift: exact against the simulator's truth, invariant to exposure units."""

from __future__ import annotations

from dataclasses import replace

import jax.numpy as jnp
import numpy as np
import numpyro
import pytest

from mixscope.calibration import load_experiments
from mixscope.calibration.apply import calibrate
from mixscope.calibration.lift import build_lift_inputs, spend_delta_cells
from mixscope.model.fit import prepare
from mixscope.model.mmm import implied_lift, mmm_model, saturated_media


def true_params(spec, dataset, truth):
    """The simulator's parameters in model units (national: media scale = median spend)."""
    scaling, inputs, config = prepare(spec, dataset)
    channels = list(config.channels)
    params = {
        "adstock_decay": jnp.array([truth["decay"][c] for c in channels]),
        "hill_half_saturation": jnp.array([truth["half_saturation"][c] for c in channels]),
        "hill_slope": jnp.array([truth["slope"][c] for c in channels]),
    }
    saturated = np.asarray(saturated_media(params, inputs.media, config)).sum(axis=(0, 1))
    spend = dataset.spend.sum(axis=(0, 1))
    roi = np.array([truth["roi"][c] for c in channels])
    params["beta_media"] = jnp.asarray(roi * spend / saturated / scaling.kpi_scale[0])[None, :]
    return scaling, inputs, config, params


def test_implied_lift_equals_simulated_truth(lift_project, lift_dataset):
    folder, spec, truth = lift_project
    experiments = load_experiments(folder / "lifts.csv", lift_dataset)
    scaling, inputs, config, params = true_params(spec, lift_dataset, truth)
    lift = build_lift_inputs(experiments, lift_dataset, scaling, inputs)
    implied = np.asarray(implied_lift(params, lift, config)) * lift.unit
    expected = [e["true_incremental_kpi"] for e in truth["experiments"]]
    # float32 media and rounding of spend to cents in the simulated CSV
    np.testing.assert_allclose(implied, expected, rtol=2e-3)
    assert implied[0] < 0 < implied[1]  # a holdout loses KPI, a spend increase gains


def test_carryover_tail_counts(lift_project, lift_dataset):
    """A test in the last week: its carryover runs past the data and still counts.

    The implied lift must equal the difference of the full decomposition
    (``expected_kpi`` on the whole media, tail included), not just the window's.
    """
    import pandas as pd

    from mixscope.calibration import parse_experiments
    from mixscope.calibration.lift import experiment_changes
    from mixscope.model.mmm import expected_kpi

    folder, spec, truth = lift_project
    last = str(lift_dataset.dates[-1])[:10]
    frame = pd.DataFrame([{
        "channel": "tv", "start": last, "end": last, "spend_delta": -50000.0,
        "incremental_kpi": -1.0, "standard_error": 1.0,
    }])
    experiments = parse_experiments(frame, lift_dataset)
    scaling, inputs, config, params = true_params(spec, lift_dataset, truth)
    lift = build_lift_inputs(experiments, lift_dataset, scaling, inputs)
    implied = float(implied_lift(params, lift, config)[0]) * lift.unit

    (change,) = experiment_changes(experiments, lift_dataset, scaling, inputs.tail)
    c = change.channel
    counterfactual = np.asarray(inputs.media).copy()
    counterfactual[..., c] = change.without
    params = {
        **params, "intercept": jnp.ones(1), "trend": jnp.zeros(inputs.trend_basis.shape[1]),
        "seasonality": jnp.zeros(inputs.season_basis.shape[1]),
        "control_coef": jnp.zeros(inputs.controls.shape[-1]),
    }
    with_test = np.asarray(expected_kpi(params, inputs, config)["media"])[..., c]
    without = np.asarray(expected_kpi(params, inputs, config, media=counterfactual)["media"])[..., c]
    difference = (with_test - without) * scaling.kpi_scale[:, None]
    assert implied == pytest.approx(float(difference.sum()), rel=1e-4)
    in_window = float(difference[:, : inputs.n_times].sum())
    assert implied < in_window < 0  # tv decays at 0.55: most of the effect is after the week


def test_exposure_channels_convert_spend_to_media(lift_project, lift_dataset):
    """Exposure = 3 x spend: the scaled media and hence the implied lift do not change."""
    folder, spec, truth = lift_project
    experiments = load_experiments(folder / "lifts.csv", lift_dataset)
    scaling, inputs, config, params = true_params(spec, lift_dataset, truth)
    base = build_lift_inputs(experiments, lift_dataset, scaling, inputs)
    exposed = replace(lift_dataset, media=lift_dataset.media * 3.0)
    scaling3, inputs3, _ = prepare(spec, exposed)
    tripled = build_lift_inputs(experiments, exposed, scaling3, inputs3)
    np.testing.assert_allclose(tripled.media, base.media, rtol=1e-5)
    np.testing.assert_allclose(tripled.counterfactual, base.counterfactual, rtol=1e-5)


def test_spend_delta_spread(lift_project, lift_dataset):
    folder, _, _ = lift_project
    holdout, increase = load_experiments(folder / "lifts.csv", lift_dataset)
    cells = spend_delta_cells(holdout, lift_dataset)
    # A holdout window shows no spend: the delta is spread evenly over its periods.
    assert np.isclose(cells.sum(), holdout.spend_delta)
    assert np.allclose(cells[0, holdout.periods(lift_dataset)], holdout.spend_delta / 6)
    cells = spend_delta_cells(increase, lift_dataset)
    c = lift_dataset.channels.index("search")
    window = increase.periods(lift_dataset)
    share = lift_dataset.spend[0, window, c] / lift_dataset.spend[0, window, c].sum()
    assert np.allclose(cells[0, window], increase.spend_delta * share)


def test_model_unchanged_without_experiments(lift_project, lift_dataset):
    folder, spec, _ = lift_project
    scaling, inputs, config = prepare(spec, lift_dataset)
    assert calibrate((), "likelihood", lift_dataset, scaling, inputs, config) == (inputs, config)
    trace = numpyro.handlers.trace(numpyro.handlers.seed(mmm_model, 0)).get_trace(inputs, config)
    assert "lift_measured" not in trace and "experiment_lift" not in trace
    experiments = load_experiments(folder / "lifts.csv", lift_dataset)
    calibrated, same_config = calibrate(experiments, "likelihood", lift_dataset, scaling, inputs, config)
    assert same_config is config and calibrated.lift is not None
    seeded = numpyro.handlers.seed(mmm_model, 0)
    trace = numpyro.handlers.trace(seeded).get_trace(calibrated, config)
    assert trace["lift_measured"]["is_observed"]
    assert trace["experiment_lift"]["value"].shape == (2,)
    # Everything else in the model is untouched: same sites, same values for the same seed.
    plain = numpyro.handlers.trace(numpyro.handlers.seed(mmm_model, 0)).get_trace(inputs, config)
    for name, site in plain.items():
        np.testing.assert_array_equal(np.asarray(site["value"]), np.asarray(trace[name]["value"]))


def test_roi_priors_from_experiments(lift_project, lift_dataset):
    from mixscope.calibration.priors import apply_roi_priors, experiment_roi, roi_priors

    folder, spec, _ = lift_project
    experiments = load_experiments(folder / "lifts.csv", lift_dataset)
    roi, sd = experiment_roi(experiments[0], lift_dataset)
    assert roi == pytest.approx(experiments[0].incremental_kpi / experiments[0].spend_delta)
    priors = roi_priors(experiments, lift_dataset)
    assert set(priors) == {"tv", "search"}
    assert priors["tv"].prior.mean == pytest.approx(roi, rel=1e-3)  # clear positive: untouched
    scaling, inputs, config = prepare(spec, lift_dataset)
    new_config = apply_roi_priors(config, priors)
    tv = config.roi_channels.index(config.channels.index("tv"))
    mu, sigma = new_config.roi_prior[tv]
    assert np.exp(mu + sigma**2 / 2) == pytest.approx(priors["tv"].prior.mean, rel=1e-4)
    radio = config.roi_channels.index(config.channels.index("radio"))
    assert np.array_equal(new_config.roi_prior[radio], config.roi_prior[radio])


def test_negative_measured_roi_still_gives_a_prior():
    from mixscope.calibration.priors import _positive_prior

    prior = _positive_prior(-0.5, 1.0)
    assert prior.mean > 0 and prior.sd > 0
