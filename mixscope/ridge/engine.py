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
from dataclasses import dataclass, replace
from typing import Any

import arviz as az
import jax
import numpy as np
import pandas as pd

from mixscope.calibration.evidence import calibration_summary
from mixscope.calibration.experiments import Experiment, load_experiments
from mixscope.data.dataset import Dataset
from mixscope.errors import SpecError
from mixscope.model.diagnostics import Diagnostics, fit_statistics
from mixscope.model.evaluate import evaluate_posterior, flatten_draws
from mixscope.model.fit import build_summary, to_inference_data
from mixscope.model.mmm import expected_kpi
from mixscope.model.terms import summary_section
from mixscope.ridge.bootstrap import block_length, block_weights
from mixscope.ridge.lift import Experiments, LiftHook, lift_objective
from mixscope.ridge.problem import (
    TRANSFORM_SITES,
    RidgeProblem,
    build_problem,
    knowledge_covariance,
    knowledge_mean,
    make_fit_kernel,
    media_prior,
    regressors,
    split,
    windows,
)
from mixscope.ridge.regression import L1_RATIO, METHODS, cv_penalty, within_geo_variance_inflation
from mixscope.ridge.search import (
    OPTIMIZER,
    SearchResult,
    Selection,
    pareto_ranks,
    run_search,
    select_candidates,
)
from mixscope.ridge.space import default_transforms, neighbours
from mixscope.run import FitResult
from mixscope.spec import RunSpec
from mixscope.transforms.registry import ADSTOCK_DECAY, kinds

DEFAULT_BOOTSTRAPS = 200
DEFAULT_CANDIDATES = 5
MAX_FRONT_LISTED = 200  # Pareto-front points written to summary.json
# How closely a bootstrap replicate's transforms follow the chosen candidate's
# (normal-score correlation over the search box; 1 = held fixed, 0 = anywhere in it).
# The data barely tell transforms apart, so the replicates lean on the search box; 0.25
# recovered ROI better than 0.5 on the truth zoo (bench/results/HISTORY.md).
TRANSFORM_KINSHIP = 0.25


def fit_ridge(
    spec: RunSpec, dataset: Dataset, *, method: str = "ridge", iterations: int = 2000, trials: int = 5,
    seed: int = 0, pick: int | None = None, bootstraps: int = DEFAULT_BOOTSTRAPS,
    experiments: Experiments | None = None, n_candidates: int = DEFAULT_CANDIDATES,
    transforms: Mapping[str, Mapping[str, float]] | None = None,
    optimizer: str = OPTIMIZER, progress: Callable[[int, int], None] | None = None,
) -> FitResult:
    """Fit the frequentist MMM and return it as a :class:`~mixscope.run.FitResult`.

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
        experiments: validated lift tests (:class:`mixscope.calibration.Experiment`; by
            default those of the spec's ``[calibration]``, as the Bayesian fit) calibrate
            the regression per the spec's mode and are a third search objective; Robyn-style
            ``LiftTest`` records or a hook are a third objective only (:mod:`mixscope.ridge.lift`).
        n_candidates: clusters of the Pareto fronts to offer as candidates.
        transforms: fixed transform parameters for the no-search path, as
            ``{channel: {"adstock_decay": 0.3, "hill_slope": 1.5, ...}}`` (Robyn's
            ``dt_hyper_fixed``); unnamed ones keep the prior centres. Needs ``iterations=0``.
        progress: called with ``(evaluations done, total)`` during the search.

    Raises:
        SpecError: an unknown method, a negative count, ``pick`` out of range, or prior-mode
            experiments with a method that has no ROI prior.
    """
    _check_settings(method, iterations, trials, bootstraps, n_candidates, pick)
    if transforms is not None and iterations:
        raise SpecError("Fixed transforms replace the search: pass iterations=0 with them.")
    started = time.perf_counter()
    spec, trend_note = _regression_trend(spec)
    calibration, lift = _experiments(spec, dataset, experiments, method)
    problem = build_problem(spec, dataset, method, calibration)
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
            fixed = {k: jax.numpy.asarray(v) for k, v in transforms.items()}
            features, saturated = regressors(problem, fixed)
            cv = cv_penalty(
                features, problem.inputs.kpi, problem.inputs.train_mask,
                l1_ratio=L1_RATIO[method], positive=problem.positive, sweeps=25,
                prior=media_prior(problem, fixed, saturated),
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

    # One batched fit (one compilation): every candidate on its own window (its
    # objectives), every candidate refitted on all training periods (its figures: the
    # window only chose the transforms), then the replicates of the chosen one, which
    # become the draws: block-bootstrap periods, a drawn prior anchor, and transforms
    # near the candidate's (see _replicate_transforms).
    training = problem.inputs.train_mask.astype(np.float32)
    length = block_length(int(training.sum()))
    weights = block_weights(training, bootstraps, rng, length)
    anchors = _prior_anchors(problem, bootstraps, rng)
    centre = knowledge_mean(problem)
    replicates = _replicate_transforms(problem, chosen, bootstraps, rng)
    k = len(candidates)
    rows = (
        [(c, c.fit_mask, centre) for c in candidates]
        + [(c, training, centre) for c in candidates]
        + [(c, w, anchor) for c, w, anchor in zip(replicates, weights, anchors, strict=True)]
    )
    out = _fit_rows(fit_kernel, rows)
    entries = [
        _candidate_entry(problem, c, _row(out, i), _row(out, k + i), search, sel, lift, rank=i + 1)
        for i, (c, sel) in enumerate(zip(candidates, selections, strict=True))
    ]
    draw_rows = slice(2 * k, None) if bootstraps else slice(k + (pick or 1) - 1, k + (pick or 1))
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
    draws = flatten_draws(samples)
    summary.update(summary_section(inputs.terms, draws, scaling.kpi_scale, evaluation.expected))
    if trend_note:
        summary["warnings"].append(trend_note)
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
        "fitted_periods": int(training.sum()),
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
    if calibration:
        roi = samples["channel_roi"].reshape(-1, dataset.n_channels)
        summary["calibration"] = calibration_summary(spec, dataset, calibration, flatten_draws(samples), roi)
    return FitResult(spec, dataset, idata, evaluation, diagnostics, summary, fit_seconds, calibration)


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True, eq=False)
class _Chosen:
    """A candidate ready to refit: transforms, penalty and its fit/validation windows ``(time,)``."""

    transforms: dict[str, np.ndarray]
    penalty: float
    train_share: float
    fit_mask: np.ndarray
    validation: np.ndarray
    unit: np.ndarray | None = None  # its point of the search's unit cube; None for fixed transforms

    @classmethod
    def of(cls, transforms, penalty, train_share, fit_mask, validation, unit=None) -> _Chosen:
        return cls(
            {k: np.asarray(v, dtype=np.float32) for k, v in transforms.items()},
            float(penalty), float(train_share),
            np.asarray(fit_mask, dtype=np.float32), np.asarray(validation, dtype=np.float32), unit,
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


def _regression_trend(spec: RunSpec) -> tuple[RunSpec, str | None]:
    """The spec the regression fits: a ``smooth`` baseline becomes ``linear``.

    The smooth baseline's walk is held in place by the Bayesian model's learned
    step scale; a regression has only its one penalty, and the walk's 20-odd tent
    columns then absorb media (bundled simulation, seed 3: total ROI 0.36 of the
    truth with them, 0.76 with a linear trend).
    """
    if spec.model.trend != "smooth":
        return spec, None
    note = ("The regression fits a linear trend: the smooth baseline's random walk needs the "
            "Bayesian model's prior on its steps (`fit --engine bayes`).")
    return replace(spec, model=replace(spec.model, trend="linear")), note


def _experiments(
    spec: RunSpec, dataset: Dataset, experiments: Experiments | None, method: str
) -> tuple[tuple[Experiment, ...], LiftHook | None]:
    """``(validated experiments that calibrate the problem, a search-only lift hook)``.

    Validated :class:`~mixscope.calibration.Experiment` records (passed, or read from
    the spec's ``[calibration]`` like the Bayesian fit does) calibrate the regression
    itself; ``LiftTest`` records, mappings, a DataFrame or a callable stay a third
    search objective only (see :mod:`mixscope.ridge.lift`).
    """
    if experiments is None and spec.calibration.experiments is not None:
        experiments = load_experiments(spec.calibration.experiments, dataset)
    validated = (
        not callable(experiments) and not isinstance(experiments, pd.DataFrame)
        and experiments is not None and len(experiments) > 0
        and all(isinstance(item, Experiment) for item in experiments)
    )
    if not validated:
        return (), lift_objective(experiments, dataset)
    if spec.calibration.mode == "prior" and method != "ridge":
        raise SpecError(
            f"Prior-mode calibration becomes ROI priors, which only the ridge method has; "
            f"--method {method} would ignore the experiments. Use --method ridge, or "
            "--calibration-mode likelihood."
        )
    return tuple(experiments), None


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
    sites = {ADSTOCK_DECAY.site: tuple(range(len(config.channels)))}
    for kind in kinds():
        sites.update({parameter.site: config.channels_of(kind.name) for parameter in kind.parameters})
    return sites


def _chosen_from_search(problem: RidgeProblem, search: SearchResult, selection: Selection) -> _Chosen:
    return _chosen_from_unit(problem, search.units[selection.index])


def _chosen_from_unit(problem: RidgeProblem, unit: np.ndarray) -> _Chosen:
    transforms, penalty, share = split(problem, problem.space.decode(unit))
    fit_mask, validation = windows(problem, share)
    return _Chosen.of(transforms, penalty, share, fit_mask, validation, unit)


def _replicate_transforms(
    problem: RidgeProblem, chosen: _Chosen, replicates: int, rng: np.random.Generator
) -> list[_Chosen]:
    """Each bootstrap replicate's candidate: the chosen one with its transforms redrawn nearby.

    Weekly data barely tell transforms apart, so the ROI uncertainty that comes
    from not knowing them belongs in the intervals: each replicate draws its
    transforms around the chosen candidate's with ``TRANSFORM_KINSHIP`` (see
    :func:`mixscope.ridge.space.neighbours`), keeping its penalty and train share.
    Fixed transforms (no search: prior centres or the user's) stay fixed.
    """
    if chosen.unit is None:
        return [chosen] * replicates
    movable = np.array([dim.site in TRANSFORM_SITES for dim in problem.space.dimensions])
    units = neighbours(chosen.unit, movable, TRANSFORM_KINSHIP, replicates, rng)
    drawn, _, _ = split(problem, problem.space.decode(units))  # one batched decode
    drawn = {site: np.asarray(values, dtype=np.float32) for site, values in drawn.items()}
    return [
        replace(chosen, transforms={site: values[r] for site, values in drawn.items()}, unit=units[r])
        for r in range(replicates)
    ]


def _fit_rows(kernel, rows: list[tuple[_Chosen, np.ndarray, np.ndarray]]) -> dict[str, Any]:
    """Fit each ``(candidate, period weights (time,), prior rows' means (value,))`` row in one call."""
    transforms = {
        site: np.stack([c.transforms[site] for c, _, _ in rows]) for site in rows[0][0].transforms
    }
    out = kernel(
        transforms,
        np.array([c.penalty for c, _, _ in rows], dtype=np.float32),
        np.stack([w for _, w, _ in rows]).astype(np.float32),
        np.stack([c.validation for c, _, _ in rows]),
        np.stack([anchor for _, _, anchor in rows]).astype(np.float32),
    )
    return jax.tree_util.tree_map(np.asarray, out)


def _prior_anchors(problem: RidgeProblem, replicates: int, rng: np.random.Generator) -> np.ndarray:
    """``(replicate, value)`` the means of the regression's prior rows, drawn once per replicate.

    Resampling periods carries the data's uncertainty into the draws but not the
    prior's or the lift tests': a channel the data barely inform would sit at the
    shared ROI level in every replicate, and a tested one at its measured lift, with
    intervals far too narrow. Drawing each replicate's ROI prior mean from the prior
    and each measured lift within its standard error (randomised-prior MAP: exact
    posterior draws for a linear-Gaussian model) carries all three.
    """
    centre = knowledge_mean(problem)
    if centre.size == 0 or replicates == 0:
        return np.repeat(centre[None], replicates, axis=0)
    # eigh: channels outside the ROI prior have zero variance, which Cholesky refuses.
    return rng.multivariate_normal(centre, knowledge_covariance(problem), size=replicates, method="eigh")


def _row(out: dict[str, Any], i: int) -> dict[str, Any]:
    return jax.tree_util.tree_map(lambda value: value[i], out)


def _candidate_entry(
    problem: RidgeProblem, chosen: _Chosen, window: dict[str, Any], refit: dict[str, Any],
    search: SearchResult | None, selection: Selection | None, lift: LiftHook | None, rank: int,
) -> dict[str, Any]:
    """One row of the candidate table.

    Objectives and fit statistics come from the fit on the candidate's own window
    (what the search scored); ROI and contributions from its refit on all
    training periods (what picking it gives).
    """
    scores = window["scores"]
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
        media = np.asarray(expected_kpi(window["params"], problem.inputs, problem.config)["media"])
        entry["lift_error"] = float(lift((media * problem.scaling.kpi_scale[:, None, None])[None])[0])
    elif "lift_error" in scores:
        entry["lift_error"] = float(scores["lift_error"])
    scores = refit["scores"]
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
    vif = within_geo_variance_inflation(np.asarray(features), problem.inputs.train_mask.astype(np.float32))
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
