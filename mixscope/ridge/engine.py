"""The frequentist engine: search (or baseline) → chosen candidate → bootstrap → a FitResult.

The result is the same kind of object the Bayesian fit returns: the chosen
candidate's bootstrap replicates play the role of posterior draws (one chain,
``bootstraps`` draws) under the Bayesian model's parameter names, so
``evaluate_posterior``, ``build_summary``, ``save_run``/``load_run`` and the
surface, planning and report layers read a ridge run unchanged. The summary
says ``engine: "ridge"`` and carries the candidate table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import arviz as az
import jax
import numpy as np

from mixscope.data.dataset import Dataset
from mixscope.errors import SpecError
from mixscope.model.diagnostics import Diagnostics, fit_statistics
from mixscope.model.evaluate import evaluate_posterior, flatten_draws
from mixscope.model.fit import FitResult, build_summary, to_inference_data
from mixscope.model.mmm import expected_kpi
from mixscope.ridge.bootstrap import block_length, block_weights
from mixscope.ridge.lift import Experiments, LiftHook, lift_objective
from mixscope.ridge.problem import (
    RidgeProblem,
    build_problem,
    make_fit_kernel,
    regressors,
    split,
    windows,
)
from mixscope.ridge.regression import L1_RATIO, METHODS, cv_penalty, variance_inflation
from mixscope.ridge.search import (
    OPTIMIZER,
    SearchResult,
    Selection,
    pareto_ranks,
    run_search,
    select_candidates,
)
from mixscope.ridge.space import default_transforms
from mixscope.spec import RunSpec

DEFAULT_BOOTSTRAPS = 200
DEFAULT_CANDIDATES = 5
MAX_FRONT_LISTED = 200  # Pareto-front points written to summary.json


def fit_ridge(
    spec: RunSpec, dataset: Dataset, *, method: str = "ridge", iterations: int = 2000, trials: int = 5,
    seed: int = 0, pick: int | None = None, bootstraps: int = DEFAULT_BOOTSTRAPS,
    experiments: Experiments | None = None, n_candidates: int = DEFAULT_CANDIDATES,
    transforms: Mapping[str, Mapping[str, float]] | None = None,
    optimizer: str = OPTIMIZER, progress: Callable[[int, int], None] | None = None,
) -> FitResult:
    """Fit the frequentist MMM and return it as a :class:`~mixscope.model.fit.FitResult`.

    Args:
        spec: the run spec (data mapping, channels and their transform kinds, holdout, model).
        dataset: the validated dataset (``load_dataset(spec)``).
        method: ``"ols"``, ``"ridge"`` or ``"lasso"``; media coefficients are non-negative.
        iterations: evaluations per trial of the evolutionary search. ``0`` skips the
            search: transforms at the Bayesian priors' centres and the penalty by
            time-series cross-validation (the fast baseline).
        trials: independent searches, each seeded from ``(seed, trial)``.
        seed: makes the Pareto front, the candidates and the bootstrap reproducible.
        pick: which candidate (1-based, as in ``summary["ridge"]["candidates"]``) to
            keep; the best balanced one (candidate 1) by default.
        bootstraps: block-bootstrap replicates of the chosen candidate (the draws);
            0 keeps only the point estimate (one draw, no interval).
        experiments: lift tests as a third objective (see :mod:`mixscope.ridge.lift`).
        n_candidates: clusters of the Pareto fronts to offer as candidates.
        transforms: fixed transform parameters for the no-search path, as
            ``{channel: {"adstock_decay": 0.3, "hill_slope": 1.5, ...}}`` (Robyn's
            ``dt_hyper_fixed``); unnamed ones keep the prior centres. Needs ``iterations=0``.
        progress: called with ``(evaluations done, total)`` during the search.

    Raises:
        SpecError: an unknown method, a negative count, or ``pick`` out of range.
    """
    _check_settings(method, iterations, trials, bootstraps, n_candidates, pick)
    if transforms is not None and iterations:
        raise SpecError("Fixed transforms replace the search: pass iterations=0 with them.")
    started = time.perf_counter()
    problem = build_problem(spec, dataset, method)
    lift = lift_objective(experiments, dataset)
    fit_kernel = make_fit_kernel(problem)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))

    search = None
    cv = None
    if iterations == 0:
        if pick not in (None, 1):
            raise SpecError(f"--pick {pick}: without a search (iterations 0) there is one candidate, 1.")
        transforms = _fixed_transforms(problem, transforms)
        fit_mask = problem.inputs.train_mask.astype(np.float32)
        if method == "ols":
            penalty = 0.0
        else:
            features, _ = regressors(problem, {k: jax.numpy.asarray(v) for k, v in transforms.items()})
            cv = cv_penalty(
                features, problem.inputs.kpi, problem.inputs.train_mask,
                l1_ratio=L1_RATIO[method], positive=problem.positive, sweeps=25,
            )
            penalty = cv.chosen
        candidates = [_Chosen.of(transforms, penalty, 1.0, fit_mask, np.zeros_like(fit_mask))]
        selections: list[Selection | None] = [None]
    else:
        search = run_search(
            problem, iterations=iterations, trials=trials, seed=seed, lift=lift,
            optimizer=optimizer, progress=progress,
        )
        selections = select_candidates(search, n_candidates=n_candidates, seed=seed)
        if pick is not None and not 1 <= pick <= len(selections):
            raise SpecError(
                f"--pick {pick}: the search produced {len(selections)} candidate(s); "
                f"choose 1..{len(selections)} (see the candidate table)."
            )
        candidates = [_chosen_from_search(problem, search, s) for s in selections]
    chosen = candidates[(pick or 1) - 1]

    # One batched fit (one compilation): every candidate on its own window, then the
    # block-bootstrap replicates of the chosen one, which become the draws.
    length = block_length(int(chosen.fit_mask.sum()))
    weights = block_weights(chosen.fit_mask, bootstraps, rng, length)
    rows = [(c, c.fit_mask) for c in candidates] + [(chosen, w) for w in weights]
    out = _fit_rows(fit_kernel, rows)
    k = len(candidates)
    entries = [
        _candidate_entry(problem, c, _row(out, i), search, sel, lift, rank=i + 1)
        for i, (c, sel) in enumerate(zip(candidates, selections, strict=True))
    ]
    draw_rows = slice(k, None) if bootstraps else slice((pick or 1) - 1, pick or 1)
    samples = {name: np.asarray(value)[draw_rows][None] for name, value in out["params"].items()}
    scaling, inputs, config = problem.scaling, problem.inputs, problem.config
    evaluation = evaluate_posterior(flatten_draws(samples), inputs, config, scaling.kpi_scale)
    samples["channel_roi"] = (evaluation.incremental_outcome / inputs.spend_total)[None]
    idata = _inference_data(samples, dataset, problem)
    fit_seconds = time.perf_counter() - started

    noise_sd = samples["noise_sd"].reshape(-1, dataset.n_geos) * scaling.kpi_scale[None, :]
    stats = fit_statistics(
        dataset.kpi, evaluation.expected, noise_sd, inputs.train_mask, np.random.default_rng(seed)
    )
    diagnostics = Diagnostics(
        max_rhat=None, min_ess_bulk=None, min_ess_tail=None, divergences=None,
        divergence_rate=None, ess_bulk_per_second=None, engine="ridge", **stats,
    )
    summary = build_summary(spec, dataset, config, evaluation, diagnostics, fit_seconds)
    # The sampler block describes where the draws came from; a ridge run has no priors.
    summary["sampler"] = {
        "chains": 1, "warmup": 0, "draws": int(samples["intercept"].shape[1]), "seed": seed,
        "chain_method": "bootstrap" if bootstraps else "point estimate",
    }
    summary["roi_priors"] = {}
    summary["ridge"] = {
        "method": method,
        "mode": "search" if search is not None else "baseline",
        "seed": seed,
        "picked": pick or 1,
        "penalty": float(chosen.penalty),
        "train_share": float(chosen.train_share),
        "fitted_periods": int(chosen.fit_mask.sum()),
        "bootstraps": int(bootstraps),
        "block_length": length if bootstraps else None,
        "point_roi": entries[(pick or 1) - 1]["roi"],
        "vif": _vif(problem, chosen),
        "candidates": entries,
    }
    if search is not None:
        summary["ridge"]["search"] = _search_summary(search, iterations, trials)
    if cv is not None:
        summary["ridge"]["cv"] = {
            "folds": cv.folds, "horizon": cv.horizon, "chosen": cv.chosen,
            "penalties": cv.penalties.tolist(), "mse": cv.scores.tolist(),
        }
    if experiments is None and getattr(spec, "calibration", None) and spec.calibration.experiments:
        summary["warnings"].append(
            "The ridge engine does not read [calibration] experiments; they were not used. "
            "Use the Bayesian engine, or pass lift tests to fit_ridge(experiments=...)."
        )
    return FitResult(spec, dataset, idata, evaluation, diagnostics, summary, fit_seconds)


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True, eq=False)
class _Chosen:
    """A candidate ready to refit: transforms, penalty and its fit/validation windows ``(time,)``."""

    transforms: dict[str, np.ndarray]
    penalty: float
    train_share: float
    fit_mask: np.ndarray
    validation: np.ndarray

    @classmethod
    def of(cls, transforms, penalty, train_share, fit_mask, validation) -> _Chosen:
        return cls(
            {k: np.asarray(v, dtype=np.float32) for k, v in transforms.items()},
            float(penalty), float(train_share),
            np.asarray(fit_mask, dtype=np.float32), np.asarray(validation, dtype=np.float32),
        )


def _check_settings(
    method: str, iterations: int, trials: int, bootstraps: int, n_candidates: int, pick: int | None
) -> None:
    if method not in METHODS:
        raise SpecError(f"Unknown ridge method {method!r}; choose one of {', '.join(METHODS)}.")
    checks = [
        (iterations >= 0, f"iterations must be 0 (no search) or positive, got {iterations}"),
        (trials >= 1, f"trials must be at least 1, got {trials}"),
        (bootstraps >= 0, f"bootstraps must be 0 or positive, got {bootstraps}"),
        (n_candidates >= 1, f"n_candidates must be at least 1, got {n_candidates}"),
        (pick is None or pick >= 1, f"--pick counts candidates from 1, got {pick}"),
        (pick is None or pick <= n_candidates,
         f"--pick {pick}: at most {n_candidates} candidates are offered; choose 1..{n_candidates}"),
    ]
    for ok, message in checks:
        if not ok:
            raise SpecError(f"{message}.")


def _fixed_transforms(
    problem: RidgeProblem, given: Mapping[str, Mapping[str, float]] | None
) -> dict[str, np.ndarray]:
    """The prior-centre transforms, with any user-given ``{channel: {site: value}}`` replacing them."""
    config = problem.config
    params = default_transforms(config)
    positions = _site_channels(problem)
    for channel, values in (given or {}).items():
        if channel not in config.channels:
            raise SpecError(f"Fixed transforms: unknown channel {channel!r}; channels are "
                            f"{', '.join(config.channels)}.")
        index = config.channels.index(channel)
        for site, value in values.items():
            if site not in params or index not in positions[site]:
                usable = sorted(s for s in params if index in positions[s])
                raise SpecError(f"Fixed transforms: {channel} has no {site!r}; it has {', '.join(usable)}.")
            params[site][list(positions[site]).index(index)] = float(value)
    return params


def _site_channels(problem: RidgeProblem) -> dict[str, tuple[int, ...]]:
    """Which channel each entry of a transform site's vector belongs to."""
    config = problem.config
    return {
        "adstock_decay": tuple(range(len(config.channels))),
        "adstock_peak": config.delayed_channels,
        "hill_half_saturation": config.hill_channels,
        "hill_slope": config.hill_channels,
        "logistic_rate": config.logistic_channels,
    }


def _chosen_from_search(problem: RidgeProblem, search: SearchResult, selection: Selection) -> _Chosen:
    transforms, penalty, share = split(problem, problem.space.decode(search.units[selection.index]))
    fit_mask, validation = windows(problem, share)
    return _Chosen.of(transforms, penalty, share, fit_mask, validation)


def _fit_rows(kernel, rows: list[tuple[_Chosen, np.ndarray]]) -> dict[str, Any]:
    """Fit each ``(candidate, period weights (time,))`` row in one batched kernel call."""
    transforms = {
        site: np.stack([c.transforms[site] for c, _ in rows]) for site in rows[0][0].transforms
    }
    out = kernel(
        transforms,
        np.array([c.penalty for c, _ in rows], dtype=np.float32),
        np.stack([w for _, w in rows]).astype(np.float32),
        np.stack([c.validation for c, _ in rows]),
    )
    return jax.tree_util.tree_map(np.asarray, out)


def _row(out: dict[str, Any], i: int) -> dict[str, Any]:
    return jax.tree_util.tree_map(lambda value: value[i], out)


def _candidate_entry(
    problem: RidgeProblem, chosen: _Chosen, out: dict[str, Any], search: SearchResult | None,
    selection: Selection | None, lift: LiftHook | None, rank: int,
) -> dict[str, Any]:
    """One row of the candidate table: objectives, fit, hyperparameters, ROI and contributions."""
    scores = out["scores"]
    channels = problem.config.channels
    entry: dict[str, Any] = {"candidate": rank}
    if search is not None and selection is not None:
        entry.update(
            trial=int(search.trial[selection.index]),
            iteration=int(search.iteration[selection.index]),
            front=selection.front,
            cluster_size=selection.cluster_size,
            score=selection.score,
        )
    entry.update(
        nrmse=float(scores["nrmse"]),
        decomp_rssd=float(scores["decomp_rssd"]),
        nrmse_train=float(scores["nrmse_train"]),
        r2_train=float(scores["r2_train"]),
    )
    if lift is not None:
        media = np.asarray(expected_kpi(out["params"], problem.inputs, problem.config)["media"])
        entry["lift_error"] = float(lift((media * problem.scaling.kpi_scale[:, None, None])[None])[0])
    entry.update(
        penalty=chosen.penalty,
        train_share=chosen.train_share,
        hyperparameters=_hyperparameters(problem, chosen),
        roi={c: float(v) for c, v in zip(channels, scores["roi"], strict=True)},
        contribution={c: float(v) for c, v in zip(channels, scores["contribution"], strict=True)},
        contribution_share={
            c: float(v / scores["expected_total"])
            for c, v in zip(channels, scores["contribution"], strict=True)
        },
    )
    return entry


def _hyperparameters(problem: RidgeProblem, chosen: _Chosen) -> dict[str, dict[str, float]]:
    """``{channel: {site: value}}`` of the transforms, for people to read."""
    config = problem.config
    positions = _site_channels(problem)
    out: dict[str, dict[str, float]] = {name: {} for name in config.channels}
    for site, values in chosen.transforms.items():
        for value, channel in zip(values, positions[site], strict=True):
            out[config.channels[channel]][site] = float(value)
    return out


def _vif(problem: RidgeProblem, chosen: _Chosen) -> dict[str, float | None]:
    features, _ = regressors(problem, {k: jax.numpy.asarray(v) for k, v in chosen.transforms.items()})
    vif = variance_inflation(np.asarray(features), chosen.fit_mask)
    return {
        name: (None if not np.isfinite(v) else float(v))
        for name, v in zip(problem.feature_names, vif, strict=True)
    }


def _search_summary(search: SearchResult, iterations: int, trials: int) -> dict[str, Any]:
    ranks = pareto_ranks(search.objectives, max_front=1)
    front = np.flatnonzero(ranks == 1)
    front = front[np.argsort(search.objectives[front, 0], kind="stable")][:MAX_FRONT_LISTED]
    return {
        "optimizer": search.optimizer,
        "iterations": iterations,
        "trials": trials,
        "evaluations": int(len(search.units)),
        "seconds": search.seconds,
        "objectives": list(search.objective_names),
        "pareto_front": [
            {
                "trial": int(search.trial[i]),
                "iteration": int(search.iteration[i]),
                **{name: float(search.objectives[i, k]) for k, name in enumerate(search.objective_names)},
            }
            for i in front
        ],
    }


def _inference_data(samples: dict[str, np.ndarray], dataset: Dataset, problem: RidgeProblem):
    """ArviZ data with the Bayesian run's names and coordinates, without sampler statistics."""
    diverging = np.zeros(samples["intercept"].shape[:2], dtype=bool)  # required by the shared labeller
    labelled = to_inference_data(samples, diverging, dataset, problem.config, problem.inputs)
    # Bootstrap replicates have no sampler statistics; do not store invented ones.
    return az.InferenceData(posterior=labelled.posterior, observed_data=labelled.observed_data)
