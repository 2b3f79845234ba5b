"""Convergence and fit diagnostics; failures are loud, never silent."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import arviz as az
import numpy as np

MAX_RHAT = 1.01
MIN_ESS = 400
MAX_DIVERGENCE_RATE = 0.01


@dataclass(frozen=True)
class Diagnostics:
    """Fit diagnostics; the sampler fields are ``None`` for engines without MCMC draws.

    ``engine`` is ``"bayes"`` (NUTS), ``"ridge"`` (frequentist search + bootstrap) or
    ``"meridian"`` (an imported Meridian fit, whose own chains are checked here):
    R-hat, ESS and divergences do not exist for bootstrap replicates, so they are
    not invented and their checks are skipped.
    """

    max_rhat: float | None
    min_ess_bulk: float | None
    min_ess_tail: float | None
    divergences: int | None
    divergence_rate: float | None
    r2: float
    mape: float
    nrmse: float
    holdout_mape: float | None
    ppc_coverage_90: float
    ess_bulk_per_second: float | None
    engine: str = "bayes"

    def failures(self) -> list[str]:
        """Human-readable list of failed checks; empty when all pass."""
        problems: list[str] = []
        if self.max_rhat is None:  # no MCMC chains to judge (ridge bootstrap replicates)
            return problems
        if not self.max_rhat <= MAX_RHAT:
            problems.append(
                f"max R-hat {self.max_rhat:.3f} > {MAX_RHAT}: chains disagree; run more warmup/"
                "draws or simplify the model (fewer channels/controls, tighter priors)."
            )
        if not self.min_ess_bulk >= MIN_ESS:
            problems.append(
                f"min bulk ESS {self.min_ess_bulk:.0f} < {MIN_ESS}: too few effective draws; "
                "increase [sampler] draws or chains."
            )
        if self.divergence_rate is not None and self.divergence_rate > MAX_DIVERGENCE_RATE:
            problems.append(
                f"{self.divergences} divergent transitions ({self.divergence_rate:.1%}) > "
                f"{MAX_DIVERGENCE_RATE:.0%}: raise [sampler] target_accept (e.g. 0.95)."
            )
        return problems

    @property
    def ok(self) -> bool:
        return not self.failures()

    def to_dict(self) -> dict[str, float | int | str | None]:
        return asdict(self)


def convergence(idata: az.InferenceData) -> tuple[float, float, float]:
    """``(max R-hat, min bulk ESS, min tail ESS)`` over every posterior quantity."""
    posterior = idata.posterior
    rhat = az.rhat(posterior)
    ess_bulk = az.ess(posterior, method="bulk")
    ess_tail = az.ess(posterior, method="tail")

    def extreme(dataset, reducer) -> float:
        values = np.concatenate([np.ravel(dataset[name].values) for name in dataset.data_vars])
        values = values[np.isfinite(values)]
        return float(reducer(values)) if values.size else float("nan")

    return extreme(rhat, np.max), extreme(ess_bulk, np.min), extreme(ess_tail, np.min)


def fit_statistics(
    actual: np.ndarray, expected: np.ndarray, noise_sd: np.ndarray, train_mask: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, float | None]:
    """R², MAPE, NRMSE in-sample, holdout MAPE and 90% predictive coverage.

    Args:
        actual: ``(geo, time)`` observed KPI.
        expected: ``(draw, geo, time)`` expected KPI.
        noise_sd: ``(draw, geo)`` observation noise in KPI units.
        train_mask: ``(time,)`` periods used in the likelihood.
    """
    mean = expected.mean(axis=0)
    train = actual[:, train_mask], mean[:, train_mask]
    residual = train[0] - train[1]
    r2 = 1.0 - (residual**2).sum() / ((train[0] - train[0].mean()) ** 2).sum()
    nrmse = np.sqrt((residual**2).mean()) / (train[0].max() - train[0].min())
    predictive = expected + noise_sd[:, :, None] * rng.standard_normal(expected.shape)
    low, high = np.quantile(predictive[:, :, train_mask], [0.05, 0.95], axis=0)
    coverage = ((train[0] >= low) & (train[0] <= high)).mean()
    holdout = ~train_mask
    return {
        "r2": float(r2),
        "mape": _mape(*train),
        "nrmse": float(nrmse),
        "holdout_mape": _mape(actual[:, holdout], mean[:, holdout]) if holdout.any() else None,
        "ppc_coverage_90": float(coverage),
    }


def _mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    nonzero = actual != 0
    return float(np.mean(np.abs((actual[nonzero] - predicted[nonzero]) / actual[nonzero])))
