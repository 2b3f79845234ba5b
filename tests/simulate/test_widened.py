"""Widened truths for the scaling bench: more channels of the same business."""

from __future__ import annotations

import pytest

from mixscope.simulate import DEFAULT_TRUTH, simulate, widened_truth


def test_five_channels_are_the_default_truth_itself():
    assert widened_truth(5) is DEFAULT_TRUTH


@pytest.mark.parametrize("n_channels", [3, 10, 12, 20])
def test_wider_truths_keep_the_total_spend_and_cycle_the_shapes(n_channels):
    wide = widened_truth(n_channels)
    assert len(wide) == n_channels
    assert len({truth.name for truth in wide}) == n_channels
    total = sum(truth.weekly_spend for truth in DEFAULT_TRUTH)
    assert sum(truth.weekly_spend for truth in wide) == pytest.approx(total)
    for index, truth in enumerate(wide):
        base = DEFAULT_TRUTH[index % len(DEFAULT_TRUTH)]
        assert (truth.roi, truth.decay, truth.slope) == (base.roi, base.decay, base.slope)


def test_a_widened_truth_simulates_one_spend_column_per_channel():
    data = simulate(n_geos=2, n_weeks=20, channels=widened_truth(10))
    assert [f"{truth.name}_spend" for truth in widened_truth(10)] == [
        column for column in data.frame.columns if column.endswith("_spend")]
