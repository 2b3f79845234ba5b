"""P(plan beats another), the posterior's own and widened for model error (mixscope.plan.confidence)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from mixscope.plan.confidence import prob_beats


def _surface(per_channel_gain: np.ndarray, spread: float, draws: int = 4000) -> SimpleNamespace:
    """A stand-in surface whose channels' contributions move by ``per_channel_gain`` between the two
    plans, with posterior noise ``spread`` per draw (a plan's contribution is its spend's row)."""
    rng = np.random.default_rng(0)
    gain = per_channel_gain + spread * rng.standard_normal((draws, len(per_channel_gain)))

    def incremental(spend: np.ndarray) -> np.ndarray:  # (2, channel) -> (draw, 2, channel)
        return np.stack([gain * spend[0, 0], np.zeros_like(gain)], axis=1)

    return SimpleNamespace(curves=SimpleNamespace(incremental=incremental))


def test_without_model_error_it_is_the_share_of_draws_that_gain():
    surface = _surface(np.array([30.0, -20.0]), spread=10.0)
    plan, reference = np.array([1.0, 0.0]), np.array([0.0, 0.0])
    change = surface.curves.incremental(np.stack([plan, reference]))
    expected = np.mean((change[:, 0] - change[:, 1]).sum(axis=-1) > 0)
    assert prob_beats(surface, plan, reference) == pytest.approx(expected)
    assert 0.7 < expected < 0.8  # a gain of 10 against a spread of 14: the posterior is fairly sure


def test_model_error_doubts_a_gain_that_rests_on_a_difference_between_channels_not_a_large_one():
    plan, reference = np.array([1.0, 0.0]), np.array([0.0, 0.0])
    # Moving money between two channels of almost equal return: +105 on one, -100 on the other, every
    # draw agreeing. A 30% error on either channel's effect swamps the net gain of 5.
    narrow = _surface(np.array([105.0, -100.0]), spread=0.5)
    assert prob_beats(narrow, plan, reference) == 1.0
    assert 0.5 < prob_beats(narrow, plan, reference, model_error=0.3) < 0.6
    # A gain as large as the channels' own effects stays near certain under the same error.
    wide = _surface(np.array([200.0, -50.0]), spread=0.5)
    assert prob_beats(wide, plan, reference, model_error=0.3) > 0.99
    # Fixed draws of the factor: the same pair always gets the same probability.
    assert prob_beats(narrow, plan, reference, 0.3) == prob_beats(narrow, plan, reference, 0.3)


def test_a_negative_model_error_is_refused():
    with pytest.raises(ValueError, match="model_error must be 0 or more, got -0.1"):
        prob_beats(_surface(np.array([1.0]), 1.0), np.array([1.0]), np.array([0.0]), model_error=-0.1)


def test_a_margin_counts_only_gains_above_it():
    surface = _surface(np.array([10.0]), spread=10.0)
    plan, reference = np.array([1.0]), np.array([0.0])
    gains = surface.curves.incremental(np.stack([plan, reference]))[:, 0, 0]
    assert prob_beats(surface, plan, reference, margin=10.0) == pytest.approx(np.mean(gains > 10.0))
    assert prob_beats(surface, plan, reference, margin=10.0) < prob_beats(surface, plan, reference) - 0.3
