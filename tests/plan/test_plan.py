"""Planning over the stored surface: constraints always hold, optimality, near-optimal sets, frontier."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixscope.plan import (
    Constraints,
    Objective,
    PlanError,
    frontier,
    marginal_returns,
    optimize,
    resolve,
)
from mixscope.plan.constraints import project
from mixscope.plan.objective import Scorer


def _assert_feasible(result, constraints, surface):
    spend, current = result.allocation, surface.historical_plan()
    tolerance = 1e-6 * current.sum()
    assert np.all(spend >= -tolerance)
    assert np.all(spend <= surface.curves.max_spend + tolerance)
    if constraints.budget is not None:
        assert spend.sum() == pytest.approx(constraints.budget, rel=1e-6)
    if constraints.max_change is not None:
        assert np.all(np.abs(spend - current) <= constraints.max_change * current + tolerance)
    for name, amount in constraints.minimum.items():
        assert spend[surface.channels.index(name)] >= amount - tolerance
    for name, amount in constraints.maximum.items():
        assert spend[surface.channels.index(name)] <= amount + tolerance
    for name in constraints.locked:
        assert spend[surface.channels.index(name)] == pytest.approx(current[surface.channels.index(name)])
    if constraints.trust_region:
        trust = np.array([surface.manifest["trust_multiple"][n] for n in surface.channels])
        assert np.all(spend <= trust * current + tolerance)


@st.composite
def constraint_sets(draw, channels: tuple[str, ...], current: np.ndarray):
    """Constraints in multiples of each channel's current spend; some sets contradict on purpose."""
    some = st.lists(st.sampled_from(channels), max_size=2, unique=True)

    def amount(name: str, low: float, high: float) -> float:
        return draw(st.floats(low, high)) * current[channels.index(name)]

    return Constraints(
        budget=draw(st.floats(0.6, 1.5)) * current.sum(),
        minimum={name: amount(name, 0.0, 0.9) for name in draw(some)},
        maximum={name: amount(name, 0.8, 2.5) for name in draw(some)},
        max_change=draw(st.one_of(st.none(), st.floats(0.0, 0.8))),
        locked=tuple(draw(some)),
        trust_region=draw(st.booleans()),
    )


# Share of the generated sets the optimiser must answer. Measured on the national fixture: 26 of 40
# (the rest refused with a named conflict: minimums above the budget, locks or maximums the budget
# cannot fit into, trust-region caps).
FEASIBLE_SHARE = 0.5


def test_every_constraint_holds_or_the_conflict_is_named(surface):
    """Each answer satisfies every constraint, or names the conflict; and most sets get an answer.

    Without the share, an optimiser that refused everything would pass: refusals only have
    to name a conflict. The examples are derandomised, so the share is the same on every run.
    """
    feasible: list[bool] = []

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(constraints=constraint_sets(surface.channels, surface.historical_plan()))
    def answer_or_named_conflict(constraints):
        try:
            result = optimize(surface, constraints, near_optimal_tolerance=None, starts=3)
        except PlanError as error:
            named = ("Infeasible", "--min", "--max", "--lock")
            assert any(word in str(error) for word in named), str(error)
            feasible.append(False)
            return
        _assert_feasible(result, constraints, surface)
        feasible.append(True)

    answer_or_named_conflict()
    assert len(feasible) >= 40, len(feasible)
    assert sum(feasible) >= FEASIBLE_SHARE * len(feasible), f"{sum(feasible)} of {len(feasible)} feasible"


def test_optimum_beats_random_feasible_plans_and_current(surface):
    constraints = Constraints(trust_region=False)
    result = optimize(surface, constraints, Objective(), near_optimal_tolerance=None, min_confidence=None)
    assert result.solution.converged
    scorer = Scorer(surface, Objective())
    bounds = resolve(surface, constraints)
    rng = np.random.default_rng(0)
    budget = bounds.budget_high
    random_best = max(
        scorer(project(rng.dirichlet(np.ones(5)) * budget, bounds.lower, bounds.upper, budget))[0]
        for _ in range(2000)
    )
    assert scorer(result.allocation)[0] >= random_best
    payload = result.to_dict()
    assert payload["uplift"]["mean"] > 0 and payload["prob_beats_current"] > 0.5
    # At the optimum, channels not on a bound share (about) the same marginal return.
    mroi = result.marginal_roi.mean(axis=0)
    free = [c for c, name in enumerate(surface.channels) if name not in result.binding()]
    assert np.ptp(mroi[free]) < 0.15 * mroi[free].mean()


def test_near_optimal_alternatives_are_within_tolerance(surface):
    result = optimize(surface, Constraints(max_change=0.5), near_optimal_tolerance=0.02)
    near = result.near_optimal
    assert near.alternative_values.min() >= (1 - 0.02) * near.best_value * (1 - 1e-6)
    shares = result.allocation / result.allocation.sum()
    assert np.all(near.share_range[:, 0] <= shares + 1e-9) and np.all(shares <= near.share_range[:, 1] + 1e-9)
    assert len(near.alternatives) >= 2
    ranges = result.to_dict()["near_optimal_ranges"]
    assert set(ranges) == set(surface.channels)
    assert "within 2% of the best" in near.sentences()[0]


def test_infeasible_constraints_name_the_conflict(surface):
    with pytest.raises(PlanError, match="minimums add up"):
        optimize(surface, Constraints(minimum={"tv": 5e6, "search": 5e6}, trust_region=False))
    with pytest.raises(PlanError, match="no-trust-region"):
        optimize(surface, Constraints(budget=surface.historical_plan().sum() * 3))
    with pytest.raises(PlanError, match="--lock tv"):
        optimize(surface, Constraints(locked=("tv",), maximum={"tv": 1.0}))
    with pytest.raises(PlanError, match="Did you mean 'search'"):
        optimize(surface, Constraints(locked=("serch",)))
    with pytest.raises(PlanError, match="finite number"):
        optimize(surface, Constraints(budget=float("nan")))


def test_frontier_rises_with_budget_and_marks_the_crossing(surface):
    table = frontier(surface, Constraints(trust_region=False), np.linspace(0.5, 2.0, 7))
    assert table.feasible.all()
    assert np.all(np.diff(table.outcome_mean) > 0)
    marginal = table.marginal_roi_mean.to_numpy()[:-1]
    assert np.all(np.diff(marginal) < 1e-9)  # diminishing returns along the frontier
    # On this fixture the marginal return falls through 1 inside the range (1.33 at 0.5x, 0.89 at 1x):
    # the first level below 1 is marked, and only it.
    assert marginal[0] > 1 > marginal[-1], marginal
    crossing = int(np.argmax(marginal < 1))
    assert table.crosses_target.tolist() == [i == crossing for i in range(len(table))]
    limited = frontier(surface, Constraints(), np.array([1.0, 3.0]))
    assert limited.feasible.tolist() == [True, False]


def test_target_roi_and_cpa_budgets(surface):
    result = optimize(surface, Constraints(target_roi=2.0, trust_region=False), near_optimal_tolerance=None)
    revenue = surface.curves.incremental(result.allocation, revenue=True).sum(axis=-1).mean()
    assert revenue / result.allocation.sum() == pytest.approx(2.0, rel=0.01)
    with pytest.raises(PlanError, match="No budget reaches"):
        optimize(surface, Constraints(target_roi=20.0, max_change=0.2))
    cpa = optimize(surface, Constraints(target_cpa=0.5, trust_region=False), near_optimal_tolerance=None)
    kpi = surface.curves.incremental(cpa.allocation).sum(axis=-1).mean()
    assert cpa.allocation.sum() / kpi == pytest.approx(0.5, rel=0.01)
    for bad in ({"target_roi": float("nan")}, {"target_roi": -1.0}, {"target_cpa": 0.0}):
        with pytest.raises(PlanError, match="target (ROI|CPA) must be a finite number, above zero"):
            optimize(surface, Constraints(**bad))


def test_risk_aware_objective_raises_the_pessimistic_case(surface):
    constraints = Constraints(max_change=0.6)
    by_mean = optimize(surface, constraints, Objective(), near_optimal_tolerance=None, min_confidence=None)
    cautious = optimize(surface, constraints, Objective.parse("quantile:0.05"), near_optimal_tolerance=None,
                        min_confidence=None)
    # The quantile is of the gain over the current plan (the baseline's uncertainty is shared).
    slack = 1e-6 * by_mean.outcome.mean()
    gain = {label: plan.outcome - plan.current_outcome for label, plan in (("mean", by_mean),
                                                                          ("cautious", cautious))}
    assert np.quantile(gain["cautious"], 0.05) >= np.quantile(gain["mean"], 0.05) - slack
    assert by_mean.outcome.mean() >= cautious.outcome.mean() - slack  # caution costs expected outcome
    with pytest.raises(PlanError, match="between 0 and 1"):
        Objective.parse("quantile:1.5")


def test_marginal_returns_point_the_next_dollar(surface):
    result = marginal_returns(surface, surface.historical_plan())
    means = {name: value["mean"] for name, value in result["marginal_roi"].items()}
    assert result["next_dollar"]["to"] == max(means, key=means.get)
    assert result["next_dollar"]["from"] == min(means, key=means.get)
    assert 0.5 <= result["next_dollar"]["prob_to_beats_from"] <= 1.0
