"""Holidays, events and treatments in the model: their own sites, their designs, their contributions."""

from __future__ import annotations

import numpy as np
import pytest
from numpyro import handlers

from mixscope.data import load_dataset
from mixscope.model.fit import prepare
from mixscope.model.mmm import baseline, mmm_model
from mixscope.model.terms import (
    TERM_SITES,
    contribution_draws,
    terms_summary,
    treatment_scenario,
    with_treatment_levels,
)
from mixscope.spec import parse_spec
from tests.data.conftest import build_frame, build_spec_dict

# The sites of the model without holidays, events or treatments (national, smooth trend).
PLAIN_SITES = {
    "intercept", "trend_slope", "drift_scale", "drift_step", "trend", "seasonality", "control_coef",
    "adstock_decay", "hill_half_saturation", "hill_slope", "roi_shared", "roi_own", "roi", "beta_media",
    "channel_roi", "noise_sd", "kpi",
}


def _prepared(tmp_path, treatments=None, **data):
    frame = build_frame(weeks=104)
    rng = np.random.default_rng(0)
    frame["events"] = np.where(rng.random(len(frame)) < 0.1, "sale", np.where(rng.random(len(frame)) < 0.1,
                                                                               "launch", "na"))
    frame["shelf_price"] = np.round(5.0 - (rng.random(len(frame)) < 0.3) * 1.0, 2)
    frame.to_csv(tmp_path / "data.csv", index=False)
    raw = build_spec_dict(path="data.csv", **data)
    if treatments:
        raw["treatments"] = treatments
    spec = parse_spec(raw, base_dir=tmp_path)
    dataset, _ = load_dataset(spec)
    return (spec, dataset, *prepare(spec, dataset))


def _trace(inputs, config):
    return handlers.trace(handlers.seed(mmm_model, 0)).get_trace(inputs, config)


def test_without_terms_the_model_has_exactly_its_old_sites(tmp_path):
    *_, inputs, config = _prepared(tmp_path)
    assert inputs.terms == ()
    assert set(_trace(inputs, config)) == PLAIN_SITES


def test_each_kind_is_its_own_site_and_adds_to_the_baseline(tmp_path):
    spec, dataset, scaling, inputs, config = _prepared(
        tmp_path, holidays="US", events=["events"],
        treatments={"shelf": {"column": "shelf_price", "baseline": 5.0}},
    )
    trace = _trace(inputs, config)
    assert set(trace) - PLAIN_SITES == set(TERM_SITES.values())
    blocks = {block.kind: block for block in inputs.terms}
    assert blocks["event"].names == ("events=launch", "events=sale")
    assert "Christmas Day" in blocks["holiday"].names
    assert trace["event_coef"]["value"].shape == (2,) and trace["treatment_coef"]["value"].shape == (1,)
    params = {name: site["value"] for name, site in trace.items()}
    without = baseline({k: v for k, v in params.items() if k not in TERM_SITES.values()},
                       type(inputs)(**{**inputs.__dict__, "terms": ()}))
    added = sum(block.model_design @ np.asarray(params[block.site]) for block in inputs.terms)
    np.testing.assert_allclose(baseline(params, inputs), without + added, rtol=1e-5, atol=1e-6)


def test_a_treatment_is_measured_against_its_named_baseline_level(tmp_path):
    *_, scaling, inputs, _ = _prepared(
        tmp_path, treatments={"shelf": {"column": "shelf_price", "baseline": 5.0,
                                        "prior": {"mean": -2000.0, "sd": 500.0}}},
    )
    [block] = inputs.terms
    level = block.design[0, :, 0] * block.unit[0] + block.reference[0]
    assert block.reference[0] == 5.0
    assert np.all(block.design[0, level == 5.0, 0] == 0)  # at the regular price: no contribution
    # The user's prior is in KPI units per unit of the column; the coefficient is scaled.
    to_kpi_per_unit = float(np.mean(scaling.kpi_scale)) / block.unit[0]
    np.testing.assert_allclose(block.prior[0] * to_kpi_per_unit, [-2000.0, 500.0], rtol=1e-5)
    # What-if: a scenario holds the price at 4.0 everywhere.
    [scenario] = with_treatment_levels(inputs.terms, {"shelf": 4.0})
    np.testing.assert_allclose(scenario.design * block.unit[0] + 5.0, 4.0, rtol=1e-5)
    with pytest.raises(KeyError, match="no treatment named price"):
        with_treatment_levels(inputs.terms, {"price": 4.0})
    # Its KPI change: a coefficient of -0.1 per design unit, the price one unit lower all along.
    draws = {"treatment_coef": np.array([[-0.1]])}
    [change] = treatment_scenario(inputs.terms, draws, scaling.kpi_scale, {"shelf": 4.0}).values()
    level = block.design[0, :, 0] * block.unit[0] + 5.0
    expected = -0.1 * ((4.0 - level) / block.unit[0]).sum() * scaling.kpi_scale[0]
    np.testing.assert_allclose(change, [expected], rtol=1e-4)
    assert expected > 0  # cutting the price where it was regular sells more under a negative effect


def test_the_model_reads_a_treatment_the_same_whatever_level_it_is_reported_against(tmp_path):
    """The reference only changes what a contribution is measured against, never the fit: the model's
    design is centred on the data's mean level, and the report's baseline keeps the difference."""
    designs, traces = [], []
    for reference in (5.0, 0.0, "max", "mean"):
        _, dataset, _, inputs, config = _prepared(tmp_path, treatments={"shelf": {"column": "shelf_price",
                                                                                  "baseline": reference}})
        [block] = inputs.terms
        designs.append(block.model_design)
        traces.append(float(_trace(inputs, config)["kpi"]["fn"].log_prob(inputs.kpi).sum()))
        # Against its reference, a contribution is the coefficient times the distance from it.
        level = block.design[0, :, 0] * block.unit[0] + block.reference[0]
        np.testing.assert_allclose(level, dataset.frame["shelf_price"].to_numpy(), rtol=1e-5)
        np.testing.assert_allclose(block.model_design.mean(axis=(0, 1)), 0.0, atol=1e-6)
    for design in designs[1:]:
        np.testing.assert_allclose(design, designs[0], atol=1e-5)
    assert traces[1:] == pytest.approx([traces[0]] * 3, rel=1e-5)


def test_contributions_and_summary_are_coefficient_times_design_in_kpi_units(tmp_path):
    *_, scaling, inputs, _ = _prepared(tmp_path, events=["events"])
    [block] = inputs.terms
    draws = {"event_coef": np.array([[0.1, 0.0], [0.3, -0.2]])}
    contribution = contribution_draws(block, draws, scaling.kpi_scale)
    n_launch, n_sale = block.design[0].sum(axis=0)
    kpi = scaling.kpi_scale[0]
    np.testing.assert_allclose(contribution, [[0.1 * n_launch * kpi, 0.0],
                                              [0.3 * n_launch * kpi, -0.2 * n_sale * kpi]])
    summary = terms_summary(inputs.terms, draws, scaling.kpi_scale, np.full(2, 100 * kpi))
    assert set(summary) == {"events"}
    entry = summary["events"]["events=launch"]
    assert entry["contribution"]["mean"] == pytest.approx(0.2 * n_launch * kpi)
    assert entry["share"]["mean"] == pytest.approx(0.2 * n_launch / 100)


def test_geo_data_gets_events_and_treatments_per_geo_and_one_calendar(tmp_path):
    frame = build_frame(weeks=104, geo=True)
    rows = np.arange(len(frame))
    frame["events"] = np.where((rows % 13 == 0) & (frame["geo"] == "north"), "store_opening", "none")
    frame["shelf_price"] = 5.0 - (rows % 4 == 0) * 0.5
    frame.to_csv(tmp_path / "data.csv", index=False)
    raw = build_spec_dict(path="data.csv", geo=True, holidays="US", events=["events"])
    raw["treatments"] = {"shelf": {"column": "shelf_price", "baseline": "max"}}
    spec = parse_spec(raw, base_dir=tmp_path)
    dataset, _ = load_dataset(spec)
    _, inputs, config = prepare(spec, dataset)
    blocks = {block.kind: block for block in inputs.terms}
    assert blocks["holiday"].design.shape[0] == 1  # one national calendar
    events = blocks["event"].design
    assert events.shape == (3, 104, 1)
    north = dataset.geos.index("north")
    assert events[north].sum() > 0 and events.sum() == events[north].sum()  # only north opened stores
    assert blocks["treatment"].reference[0] == 5.0 and blocks["treatment"].design.shape == (3, 104, 1)
    trace = _trace(inputs, config)
    assert trace["kpi"]["fn"].mean.shape == (3, 104)
