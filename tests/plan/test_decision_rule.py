"""The default decision rule on surfaces whose truth is known exactly (synthetic per-draw curves).

A synthetic surface has exponential response curves per draw; what the
planner should do is then a matter of arithmetic, not of a fit.
"""

from __future__ import annotations

import numpy as np
import pytest

from mixscope.plan import Constraints, Objective, optimize
from mixscope.surface.runtime import Surface
from mixscope.surface.scoring import ResponseCurves
from mixscope.surface.support import extrapolation, supported_multiple

REFERENCE = np.array([100.0, 100.0])


def _surface(amplitude: np.ndarray, saturation: np.ndarray, support_share: float = 0.0) -> Surface:
    """Two channels, ``amplitude`` ``(draw, channel)``, curves ``a (1 - exp(-spend / k))``."""
    multipliers = np.linspace(0.0, 4.0, 401)
    grid = np.tile(multipliers * REFERENCE[0], (2, 1))
    values = amplitude[:, :, None] * (1 - np.exp(-grid[None] / saturation[None, :, None]))
    curves = ResponseCurves(("a", "b"), grid, values, values, REFERENCE.copy())
    # Share of weeks past the data grows linearly from multiplier 1.5 on.
    beyond = np.clip((multipliers - 1.5) * support_share, 0.0, 1.0).tolist()
    support = {name: {"observed_max_level": 1.0, "peak_ratio": (multipliers / 1.5).tolist(),
                      "share_beyond": beyond} for name in ("a", "b")}
    manifest = {
        "calibration": {"anchor_kpi": 0.0, "anchor_revenue": 0.0},
        "support": support,
        "trust_multiple": {name: supported_multiple(support[name], multipliers) for name in ("a", "b")},
        "units": {}, "scenarios": {"budget_levels": [1.0]},
    }
    return Surface(curves, np.zeros(len(amplitude)), np.zeros(len(amplitude)), manifest)


def test_clear_gain_is_taken():
    # Channel a is far better in every draw: move money to it.
    rng = np.random.default_rng(0)
    amplitude = np.column_stack([rng.normal(400, 20, 500), rng.normal(100, 20, 500)])
    surface = _surface(amplitude, np.array([150.0, 150.0]))
    result = optimize(surface, Constraints(max_change=0.3))
    payload = result.to_dict()
    assert payload["decision"] == "reallocate"
    assert result.allocation[0] == pytest.approx(130.0) and result.allocation[1] == pytest.approx(70.0)
    assert payload["prob_beats_current"] > 0.99


def test_a_coin_flip_is_not_a_plan():
    # The channels are equal on average and the draws disagree about which is better:
    # no reallocation beats the current mix with 80% probability, so none is recommended.
    rng = np.random.default_rng(1)
    amplitude = np.column_stack([rng.normal(200, 60, 800), rng.normal(204, 60, 800)])
    surface = _surface(amplitude, np.array([150.0, 150.0]))
    result = optimize(surface, Constraints(max_change=0.3), Objective("mean"))
    payload = result.to_dict()
    assert payload["decision"] == "no confident change"
    np.testing.assert_allclose(result.allocation, REFERENCE)
    assert payload["prob_beats_current"] is None  # the current plan cannot beat itself
    found = payload["best_found"]
    assert found["allocation"]["b"] > REFERENCE[1]  # the mean still leans to b...
    assert found["prob_beats_status_quo"] < 0.8  # ...but not confidently
    assert any("No confident change" in note for note in payload["notes"])
    # Opting out of the rule moves the money the mean prefers.
    always = optimize(surface, Constraints(max_change=0.3), Objective("mean"), min_confidence=None)
    assert always.to_dict()["decision"] == "reallocate" and always.allocation[1] > REFERENCE[1]


def test_risk_adjusted_objective_moves_less_where_the_draws_disagree():
    rng = np.random.default_rng(2)
    # b is better on average, but its advantage is uncertain.
    amplitude = np.column_stack([rng.normal(200, 5, 800), rng.normal(260, 30, 800)])
    surface = _surface(amplitude, np.array([150.0, 150.0]))
    mean = optimize(surface, Constraints(max_change=0.5), Objective("mean"), min_confidence=None)
    cautious = optimize(surface, Constraints(max_change=0.5), Objective("mean-sd", 1.0), min_confidence=None)
    # The mean's optimum equalises the mean marginal returns: b - a = 150 ln(mean ratio).
    ratio = amplitude[:, 1].mean() / amplitude[:, 0].mean()
    assert mean.allocation[1] == pytest.approx(100 + 75 * np.log(ratio), abs=1.0)  # grid step 1
    assert REFERENCE[1] + 1 < cautious.allocation[1] < mean.allocation[1] - 1


def test_trust_region_allows_the_growth_the_data_support():
    # Support runs out from 1.5x (25% of weeks beyond the data at 1.75x): a channel may grow
    # to 1.75x, not more; the old rule (peak week in the window) would have frozen it at 1x.
    surface = _surface(np.full((10, 2), [400.0, 100.0]), np.array([500.0, 500.0]), support_share=1.0)
    assert surface.manifest["trust_multiple"]["a"] == pytest.approx(1.75)
    result = optimize(surface, Constraints(), min_confidence=None)
    assert result.allocation[0] == pytest.approx(175.0, rel=1e-4)
    assert result.binding()["a"].startswith("at its maximum (the trust region")
    beyond = result.to_dict()["extrapolation"]["a"]
    assert beyond["share_beyond"] == pytest.approx(0.25, abs=0.01)
    assert beyond["peak_ratio"] == pytest.approx(1.75 / 1.5, rel=1e-3)
    free = optimize(surface, Constraints(trust_region=False), min_confidence=None)
    assert free.allocation[0] > 175.0


def test_extrapolation_is_read_off_the_grid():
    grid = np.array([[0.0, 50.0, 100.0, 200.0]])
    support = {"a": {"peak_ratio": [0.0, 0.5, 1.0, 2.0], "share_beyond": [0.0, 0.0, 0.0, 0.6]}}
    figures = extrapolation(support, ("a",), grid, np.array([150.0]))["a"]
    assert figures == {"peak_ratio": pytest.approx(1.5), "share_beyond": pytest.approx(0.3)}
    # Never past the share: the largest multiple keeping at most 25% of weeks beyond.
    assert supported_multiple(support["a"], np.array([0.0, 0.5, 1.0, 2.0])) == pytest.approx(1.0 + 0.25 / 0.6)
