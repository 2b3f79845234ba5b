"""Robyn-style evolutionary, multi-objective hyperparameter search with Nevergrad.

Each trial runs its own Nevergrad optimiser (TwoPointsDE by default, as
Robyn) over the unit cube of :mod:`mixscope.ridge.space`, minimising NRMSE and
DECOMP.RSSD, plus the lift-test error when experiments are given (validated
experiments in the problem, or a hook). The
optimiser asks for a generation of candidates at a time; the generation is
scored in one vmapped JAX call (:func:`~mixscope.ridge.problem.make_candidate_kernel`),
so the cost of a candidate is a few microseconds of XLA plus Nevergrad's own
bookkeeping.

Every evaluation of every trial is kept. The Pareto fronts of all of them are
clustered by ROI into a handful of distinct candidate models: within a
cluster the models tell the same story, so one (the best balanced) stands for it.

Reproducible by construction: each trial's optimiser is seeded from
``(seed, trial)``, generations have a fixed size, JAX on one device is
deterministic, and clustering uses a seeded generator — the same seed gives
the same Pareto front (Robyn's users report that Robyn does not: Robyn#610).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import nevergrad as ng
import numpy as np

from mixscope.errors import SpecError
from mixscope.ridge.lift import LiftHook
from mixscope.ridge.problem import RidgeProblem, make_candidate_kernel

OPTIMIZER = "TwoPointsDE"
GENERATION = 50  # candidates asked before telling: one vmapped evaluation, Nevergrad's num_workers
FAILED_LOSS = 1e3  # a non-finite objective (degenerate fit) is told as this, so the optimiser moves on


@dataclass(frozen=True, eq=False)
class SearchResult:
    """Every evaluated candidate of every trial.

    Attributes:
        units: ``(evaluation, d)`` points of the unit cube (decode with the problem's space).
        objectives: ``(evaluation, objective)``; names in ``objective_names``.
        trial: ``(evaluation,)`` trial number, from 0.
        iteration: ``(evaluation,)`` position within its trial, from 0.
        metrics: per evaluation, the candidate's scores (``roi`` and ``contribution``
            ``(evaluation, channel)``, ``nrmse_train``, ``r2_train``, ``expected_total`` …).
        seconds: wall time of the search.
    """

    units: np.ndarray
    objectives: np.ndarray
    objective_names: tuple[str, ...]
    trial: np.ndarray
    iteration: np.ndarray
    metrics: dict[str, np.ndarray]
    seconds: float
    optimizer: str


@dataclass(frozen=True)
class Selection:
    """A candidate model standing for one ROI cluster of the Pareto fronts.

    Attributes:
        index: row of the :class:`SearchResult` arrays.
        cluster_size: models of the pooled fronts in its cluster.
        score: distance to the origin of its min-max-normalised objectives (lower is better).
        front: its Pareto front (1 = non-dominated).
    """

    index: int
    cluster_size: int
    score: float
    front: int


def trial_seed(seed: int, trial: int) -> int:
    """Independent, reproducible seed of one trial's optimiser."""
    return int(np.random.SeedSequence([seed, trial]).generate_state(1)[0])


def run_search(
    problem: RidgeProblem, *, iterations: int, trials: int, seed: int,
    lift: LiftHook | None = None, optimizer: str = OPTIMIZER, generation: int = GENERATION,
    progress: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Run ``trials`` independent searches of ``iterations`` evaluations each.

    Args:
        problem: the regression problem (data, transforms, method).
        lift: optional batch lift-test error (see :mod:`mixscope.ridge.lift`).
        progress: called with ``(evaluations done, total)`` after each generation.
    """
    if optimizer not in ng.optimizers.registry:
        raise SpecError(f"Unknown Nevergrad optimiser {optimizer!r}; try {OPTIMIZER!r} or 'NGOpt'.")
    kernel = make_candidate_kernel(problem, with_contribution=lift is not None)
    # Validated experiments live in the problem (the kernel scores them); a hook runs outside JAX.
    calibrated = problem.inputs.lift is not None
    names = ("nrmse", "decomp_rssd") + (("lift_error",) if lift is not None or calibrated else ())
    dimension = problem.space.size
    generation = max(1, min(generation, iterations))
    started = time.perf_counter()
    units, objectives, trial_of, iteration_of = [], [], [], []
    metrics: dict[str, list[np.ndarray]] = {}
    for trial in range(trials):
        parametrization = ng.p.Array(shape=(dimension,), lower=0.0, upper=1.0)
        parametrization.random_state.seed(trial_seed(seed, trial))
        opt = ng.optimizers.registry[optimizer](
            parametrization=parametrization, budget=iterations, num_workers=generation
        )
        done = 0
        while done < iterations:
            n = min(generation, iterations - done)
            candidates = [opt.ask() for _ in range(n)]
            batch = np.stack([c.value for c in candidates]).astype(np.float32)
            # Fixed batch shape: one compilation, and bit-identical results per seed.
            padded = np.concatenate([batch, np.repeat(batch[:1], generation - n, axis=0)])
            out = {k: np.asarray(v)[:n] for k, v in kernel(padded).items()}
            losses = [out["nrmse"], out["decomp_rssd"]]
            if lift is not None:
                losses.append(lift(out["contribution_kpi"]))
            elif calibrated:
                losses.append(out["lift_error"])
            losses = np.stack(losses, axis=1).astype(np.float64)
            losses = np.where(np.isfinite(losses), losses, FAILED_LOSS)
            for candidate, loss in zip(candidates, losses, strict=True):
                opt.tell(candidate, [float(v) for v in loss])
            units.append(batch)
            objectives.append(losses)
            for key, value in out.items():
                if key != "contribution_kpi":
                    metrics.setdefault(key, []).append(value)
            trial_of.append(np.full(n, trial))
            iteration_of.append(np.arange(done, done + n))
            done += n
            if progress is not None:
                progress(trial * iterations + done, trials * iterations)
    return SearchResult(
        units=np.concatenate(units),
        objectives=np.concatenate(objectives),
        objective_names=names,
        trial=np.concatenate(trial_of),
        iteration=np.concatenate(iteration_of),
        metrics={key: np.concatenate(value).astype(np.float64) for key, value in metrics.items()},
        seconds=time.perf_counter() - started,
        optimizer=optimizer,
    )


def pareto_ranks(objectives: np.ndarray, max_front: int | None = None) -> np.ndarray:
    """Non-dominated sorting: ``(n, k)`` objectives (minimised) → ``(n,)`` front numbers from 1.

    Points beyond ``max_front`` get 0. Each front is found by one pass over the
    remaining points in lexicographic order, comparing only with the front
    being built (a later point can never dominate an earlier one).
    """
    objectives = np.asarray(objectives, dtype=np.float64)
    ranks = np.zeros(len(objectives), dtype=int)
    remaining = np.lexsort(objectives.T[::-1])
    front_number = 0
    while remaining.size and (max_front is None or front_number < max_front):
        front_number += 1
        front: list[int] = []
        rest = []
        for i in remaining:
            point = objectives[i]
            if front:
                members = objectives[front]
                dominated = np.any(np.all(members <= point, axis=1) & np.any(members < point, axis=1))
            else:
                dominated = False
            (rest if dominated else front).append(i)
        ranks[front] = front_number
        remaining = np.array(rest, dtype=int)
    return ranks


def select_candidates(
    search: SearchResult, *, n_candidates: int = 5, fronts: int = 3, seed: int = 0,
) -> list[Selection]:
    """Cluster the first ``fronts`` Pareto fronts by ROI; one candidate per cluster, best first.

    Models are clustered by k-means on their standardised per-channel ROI (as
    Robyn does); the candidate of a cluster is its model closest to the origin
    in min-max-normalised objective space.
    """
    ranks = pareto_ranks(search.objectives, max_front=fronts)
    pool = np.flatnonzero(ranks > 0)
    # The optimiser re-proposes points; identical models would crowd the clusters.
    _, first = np.unique(search.units[pool], axis=0, return_index=True)
    pool = pool[np.sort(first)]
    objectives = search.objectives[pool]
    span = objectives.max(axis=0) - objectives.min(axis=0)
    normalised = (objectives - objectives.min(axis=0)) / np.where(span > 0, span, 1.0)
    score = np.sqrt((normalised**2).sum(axis=1))
    k = max(1, min(n_candidates, len(pool)))
    roi = search.metrics["roi"][pool]
    sd = roi.std(axis=0)
    labels = kmeans((roi - roi.mean(axis=0)) / np.where(sd > 0, sd, 1.0), k, seed)
    selections = []
    for cluster in np.unique(labels):
        members = np.flatnonzero(labels == cluster)
        best = members[np.argmin(score[members])]
        selections.append(Selection(
            index=int(pool[best]), cluster_size=len(members), score=float(score[best]),
            front=int(ranks[pool[best]]),
        ))
    return sorted(selections, key=lambda s: (s.score, s.index))


def kmeans(points: np.ndarray, k: int, seed: int, iterations: int = 100) -> np.ndarray:
    """``(n, f)`` points → ``(n,)`` labels of ``k`` clusters (k-means++ start, seeded, Lloyd steps)."""
    rng = np.random.default_rng(seed)
    n = len(points)
    centres = [points[rng.integers(n)]]
    for _ in range(1, k):
        distance = np.min([((points - c) ** 2).sum(axis=1) for c in centres], axis=0)
        if distance.sum() <= 0:
            break
        centres.append(points[rng.choice(n, p=distance / distance.sum())])
    centres = np.array(centres)
    labels = np.zeros(n, dtype=int)
    for _ in range(iterations):
        labels_new = np.argmin(((points[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
        if _ and np.array_equal(labels_new, labels):
            break
        labels = labels_new
        centres = np.array([
            points[labels == j].mean(axis=0) if np.any(labels == j) else centres[j]
            for j in range(len(centres))
        ])
    return labels
