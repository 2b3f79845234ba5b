"""``mixscope plan --objective`` and ``mixscope frontier --target-mroi`` end to end through the CLI.

Each objective is checked by what it must achieve against plans the test builds
or asks for itself, on the same surface: a plan optimised for something else
must not beat it on its own terms.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.surface import Surface

runner = CliRunner()
MAX_CHANGE = "40%"


def plan(run_dir, *args: str) -> dict:
    """The plan each objective finds (``--min-confidence 0%``: never replaced by the current mix)."""
    result = runner.invoke(app, ["plan", str(run_dir), "--max-change", MAX_CHANGE, "--min-confidence", "0%",
                                 "--json", *args],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def spend(payload: dict, surface: Surface) -> np.ndarray:
    return np.array([payload["allocation"][name] for name in surface.channels])


def net_revenue(surface: Surface, plan_spend: np.ndarray) -> float:
    """Expected incremental revenue minus spend, straight from the stored curves."""
    return float(surface.curves.incremental(plan_spend, revenue=True).sum(axis=-1).mean() - plan_spend.sum())


@pytest.fixture(scope="module")
def by_mean(national_surface_dir) -> dict:
    return plan(national_surface_dir, "--objective", "mean")


def test_net_revenue_over_a_budget_range(national_surface_dir, surface, by_mean):
    current_total = float(surface.historical_plan().sum())
    chosen = plan(national_surface_dir, "--budget", "0.9x-1.2x", "--objective", "net-revenue")
    assert chosen["objective"] == "expected incremental revenue minus spend"
    allocation = spend(chosen, surface)
    assert 0.9 * current_total * (1 - 1e-9) <= allocation.sum() <= 1.2 * current_total * (1 + 1e-9)
    # No feasible plan in the range earns more net revenue: not the current plan, not the best
    # plans for outcome at either end of the range, not the best at the current total.
    best = net_revenue(surface, allocation)
    rivals = {"current": surface.historical_plan(), "mean at 1x": spend(by_mean, surface)}
    for level in ("0.9x", "1.2x"):
        by_mean_there = plan(national_surface_dir, "--budget", level, "--objective", "mean")
        rivals[f"mean at {level}"] = spend(by_mean_there, surface)
    for label, rival in rivals.items():
        assert best >= net_revenue(surface, rival) - 1e-6 * abs(best), label
    # Inside the range, a channel no bound holds is spent up to where the next unit returns one
    # unit of revenue (measured: 0.99-1.00; mROI's 1% step reads the curve's slope closely).
    if 0.9 * current_total * 1.001 < allocation.sum() < 1.2 * current_total * 0.999:
        free = [name for name in surface.channels if name not in chosen["binding_constraints"]]
        assert free, chosen["binding_constraints"]
        for name in free:
            assert chosen["marginal_roi"][name]["mean"] == pytest.approx(1.0, abs=0.05), name
    # Without --objective, a budget range means net revenue too.
    assert plan(national_surface_dir, "--budget", "0.9x-1.2x")["allocation"] == chosen["allocation"]


def test_mean_sd_trades_expected_outcome_for_a_surer_gain(national_surface_dir, surface, by_mean):
    cautious = plan(national_surface_dir, "--objective", "mean-sd:2")
    assert "2 × sd" in cautious["objective"]
    assert sum(cautious["allocation"].values()) == pytest.approx(by_mean["total_budget"], rel=1e-6)
    # The mean plan is the best on the mean at this budget; the cautious one pays for a narrower gain.
    assert cautious["expected_outcome"]["mean"] <= by_mean["expected_outcome"]["mean"] * (1 + 1e-9)

    def width(payload: dict) -> float:
        low, high = payload["uplift"]["ci_90"]
        return high - low

    assert width(cautious) < width(by_mean)


def test_prob_beats_current_is_at_least_as_sure(national_surface_dir, surface, by_mean):
    surest = plan(national_surface_dir, "--objective", "prob-beats-current")
    assert surest["objective"] == "probability of beating the current plan"
    assert sum(surest["allocation"].values()) == pytest.approx(by_mean["total_budget"], rel=1e-6)
    assert surest["prob_beats_current"] >= by_mean["prob_beats_current"]
    # It is a different plan, not the mean plan relabelled.
    moved = np.abs(spend(surest, surface) - spend(by_mean, surface)).max()
    assert moved > 0.01 * by_mean["total_budget"]
    # Its probability is what the surface says for that plan.
    outcome = surface.outcome(spend(surest, surface)).outcome
    current = surface.outcome(surface.historical_plan()).outcome
    assert surest["prob_beats_current"] == pytest.approx(np.mean(outcome > current))


def test_frontier_target_mroi_marks_the_first_level_below_it(national_surface_dir):
    def frontier(target: str) -> list[dict]:
        result = runner.invoke(app, ["frontier", str(national_surface_dir), "--levels", "0.6:1.8:0.2",
                                     "--no-trust-region", "--target-mroi", target, "--json"],
                               catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    rows = frontier("1")
    marginal = [row["marginal_roi_mean"] for row in rows[:-1]]
    assert np.all(np.diff(marginal) < 0)  # diminishing returns along the frontier
    # Targets between the first and last marginal returns are crossed inside the range, at the
    # first level whose marginal return falls below them; the higher target no later.
    crossings = []
    for target in (round(float(np.quantile(marginal, q)), 4) for q in (0.3, 0.7)):
        rows = frontier(str(target))
        crossing = [i for i, row in enumerate(rows) if row["crosses_target"]]
        first_below = next(i for i, value in enumerate(marginal) if value < target)
        assert crossing == [first_below], (target, marginal)
        crossings.append(first_below)
    assert crossings[1] <= crossings[0]
    text = runner.invoke(app, ["frontier", str(national_surface_dir), "--levels", "0.6:1.8:0.2",
                               "--no-trust-region", "--target-mroi", "1.5"], catch_exceptions=False)
    assert text.exit_code == 0
    # At the runner's 80 columns each level is one line (the interval has its own column, in k/M
    # form) and the crossing is marked in the mROI cell, explained under the table.
    lines = [line for line in text.stdout.splitlines() if line.count("│") >= 7]
    assert len(lines) == len(rows), text.stdout
    assert max(len(line) for line in text.stdout.splitlines()) <= 80, text.stdout
    marked = [i for i, line in enumerate(lines) if line.split("│")[-2].strip().endswith("←")]
    assert marked == [next(i for i, value in enumerate(marginal) if value < 1.5)], text.stdout
    assert "← the first budget where the marginal ROI falls below 1.5." in text.stdout
