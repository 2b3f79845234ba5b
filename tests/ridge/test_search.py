"""The evolutionary search: reproducible Pareto fronts, non-dominated sorting, clustering."""

from __future__ import annotations

import numpy as np
import pytest

from mixscope.ridge.problem import build_problem
from mixscope.ridge.search import kmeans, pareto_ranks, run_search, select_candidates


@pytest.fixture(scope="module")
def problem(ridge_dataset):
    spec, dataset, _ = ridge_dataset
    return build_problem(spec, dataset, "ridge")


def _front(search):
    ranks = pareto_ranks(search.objectives, max_front=1)
    return search.units[ranks == 1], search.objectives[ranks == 1]


def test_same_seed_gives_the_same_pareto_front(problem):
    runs = [run_search(problem, iterations=60, trials=2, seed=seed) for seed in (7, 7, 8)]
    units_a, objectives_a = _front(runs[0])
    units_b, objectives_b = _front(runs[1])
    np.testing.assert_array_equal(units_a, units_b)
    np.testing.assert_array_equal(objectives_a, objectives_b)
    np.testing.assert_array_equal(runs[0].objectives, runs[1].objectives)  # every evaluation, in fact
    assert not np.array_equal(runs[0].units, runs[2].units)
    assert runs[0].objective_names == ("nrmse", "decomp_rssd")
    assert runs[0].units.shape == (120, problem.space.size)
    assert set(runs[0].trial) == {0, 1}
    # Candidates are reproducible too, and drawn from the first fronts.
    picks = [select_candidates(run, n_candidates=3, seed=7) for run in runs[:2]]
    assert picks[0] == picks[1]
    assert 1 <= len(picks[0]) <= 3
    assert all(s.front in (1, 2, 3) for s in picks[0])
    assert [s.score for s in picks[0]] == sorted(s.score for s in picks[0])


def test_lift_hook_becomes_a_third_objective(problem):
    shapes = []

    def hook(contribution):
        shapes.append(contribution.shape)
        return np.abs(contribution[..., 0].sum(axis=(1, 2)) - 1e6) / 1e6

    search = run_search(problem, iterations=20, trials=1, seed=0, lift=hook)
    assert search.objective_names == ("nrmse", "decomp_rssd", "lift_error")
    n_geos, n_times_tail, n_channels = problem.inputs.media.shape
    assert shapes[0] == (20, n_geos, n_times_tail, n_channels)
    assert np.all(search.objectives[:, 2] >= 0)


def test_pareto_ranks_by_hand():
    objectives = np.array([
        [1.0, 5.0],  # front 1
        [2.0, 2.0],  # front 1
        [5.0, 1.0],  # front 1
        [3.0, 3.0],  # dominated by [2, 2] -> front 2
        [2.0, 2.0],  # a tie with a front-1 point is not dominated -> front 1
        [6.0, 6.0],  # front 3
    ])
    np.testing.assert_array_equal(pareto_ranks(objectives), [1, 1, 1, 2, 1, 3])
    np.testing.assert_array_equal(pareto_ranks(objectives, max_front=1), [1, 1, 1, 0, 1, 0])


def test_kmeans_is_seeded_and_separates_clear_clusters():
    rng = np.random.default_rng(0)
    points = np.concatenate([rng.normal(0, 0.1, (20, 2)), rng.normal(5, 0.1, (20, 2))])
    labels = kmeans(points, 2, seed=3)
    assert len(set(labels[:20])) == 1 and len(set(labels[20:])) == 1 and labels[0] != labels[-1]
    np.testing.assert_array_equal(labels, kmeans(points, 2, seed=3))
