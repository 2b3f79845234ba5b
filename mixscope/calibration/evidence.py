"""How far the data and the experiments moved each channel's ROI from its prior.

Per channel, on the log-ROI scale (where the ROI prior is normal): prior and
posterior mean and sd, the posterior/prior sd ratio (1 = the data taught
nothing), and KL(posterior || prior) with both taken as normal. A channel
whose sd ratio stays high and whose KL stays small is flagged *prior-driven*:
its ROI is what the prior said, whatever the fit looks like.

For a calibrated run the posterior *without* the experiments is estimated by
importance-reweighting the draws (Pareto-smoothed): in likelihood mode by the
inverse of the experiments' likelihood, in prior mode by the ratio of the
original to the experimental ROI prior. That splits the narrowing into what
the observational data did and what the experiments added, without a refit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import arviz as az
import numpy as np
from scipy import stats

from mixscope.calibration.experiments import Experiment
from mixscope.calibration.lift import build_lift_inputs
from mixscope.calibration.priors import roi_priors
from mixscope.data.dataset import Dataset
from mixscope.model.evaluate import flatten_draws, posterior_lift
from mixscope.model.inputs import build_inputs, compute_scaling
from mixscope.model.mmm import ModelConfig, build_config, mmm_model
from mixscope.run import Run, require_native
from mixscope.spec import RunSpec

PRIOR_DRIVEN_SD_RATIO = 0.7  # posterior sd above 70% of the prior's: the data barely narrowed it
PRIOR_DRIVEN_KL = 0.3  # ...and it barely moved (nats; 0.3 ~ a shift of 0.8 prior sd at equal width)
_Z90 = stats.norm.ppf(0.95)


@dataclass(frozen=True)
class ChannelEvidence:
    """One channel's ROI, prior versus posterior (log-ROI moments, ROI intervals)."""

    channel: str
    prior_mean: float  # ROI
    prior_ci_90: tuple[float, float]
    posterior_mean: float
    posterior_ci_90: tuple[float, float]
    sd_ratio: float  # posterior / prior sd of log ROI
    kl: float  # KL(posterior || prior), normal approximation on log ROI, nats
    prior_driven: bool
    sd_ratio_without_experiments: float | None = None
    n_experiments: int = 0


@dataclass(frozen=True)
class EvidenceReport:
    channels: tuple[ChannelEvidence, ...]
    mode: str | None  # calibration mode, None when the run had no experiments
    experiments: tuple[dict[str, Any], ...] = ()
    pareto_k: float | None = None

    @property
    def prior_driven(self) -> tuple[str, ...]:
        return tuple(c.channel for c in self.channels if c.prior_driven)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "channels": {c.channel: {k: v for k, v in asdict(c).items() if k != "channel"}
                         for c in self.channels},
            "prior_driven": list(self.prior_driven),
            "experiments": list(self.experiments),
            "pareto_k": self.pareto_k,
            "thresholds": {"sd_ratio": PRIOR_DRIVEN_SD_RATIO, "kl": PRIOR_DRIVEN_KL},
        }


# --------------------------------------------------------------------------- helpers


def normal_kl(mu_q: np.ndarray, sd_q: np.ndarray, mu_p: np.ndarray, sd_p: np.ndarray) -> np.ndarray:
    """KL(N(mu_q, sd_q) || N(mu_p, sd_p)) in nats."""
    return np.log(sd_p / sd_q) + (sd_q**2 + (mu_q - mu_p) ** 2) / (2 * sd_p**2) - 0.5


def _lognormal_summary(mu: float, sigma: float) -> tuple[float, tuple[float, float]]:
    return math.exp(mu + sigma**2 / 2), (math.exp(mu - _Z90 * sigma), math.exp(mu + _Z90 * sigma))


def _weighted_sd(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``(draw, k)`` values, ``(draw,)`` normalised weights → ``(k,)`` weighted sd."""
    mean = weights @ values
    return np.sqrt(np.maximum(weights @ (values - mean) ** 2, 0.0))


def psis_weights(log_weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Pareto-smoothed normalised importance weights and the Pareto k diagnostic."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ArviZ warns on high k; we report k instead
        smoothed, k = az.psislw(np.asarray(log_weights, dtype=float).copy())
    weights = np.exp(smoothed - smoothed.max())
    return weights / weights.sum(), float(k)


def prior_roi_draws(spec: RunSpec, dataset: Dataset, n_draws: int = 1000, seed: int = 0) -> np.ndarray:
    """``(draw, channel)`` ROI drawn from the uncalibrated prior, through the model.

    Needed for channels with a coefficient prior, whose ROI prior is implied by
    the coefficient and transform priors rather than stated.
    """
    import jax
    from numpyro.infer import Predictive

    scaling = compute_scaling(dataset)
    inputs, config = build_inputs(dataset, spec, scaling), build_config(spec, dataset)
    predictive = Predictive(mmm_model, num_samples=n_draws, return_sites=["channel_roi"])
    return np.asarray(predictive(jax.random.PRNGKey(seed), inputs, config)["channel_roi"])


def _prior_log_moments(spec: RunSpec, dataset: Dataset, config: ModelConfig) -> tuple[np.ndarray, np.ndarray]:
    """``(channel,)`` mean and sd of the uncalibrated log-ROI prior."""
    n = len(config.channels)
    mu, sigma = np.full(n, np.nan), np.full(n, np.nan)
    for position, index in enumerate(config.roi_channels):
        mu[index], sigma[index] = config.roi_prior[position]
    if config.coefficient_channels:
        logs = np.log(np.maximum(prior_roi_draws(spec, dataset), 1e-12))
        for index in config.coefficient_channels:
            mu[index], sigma[index] = logs[:, index].mean(), logs[:, index].std()
    return mu, sigma


def is_prior_driven(sd_ratio: float, kl: float) -> bool:
    """The data barely narrowed the log-ROI prior and barely moved it: the ROI is the prior's."""
    return sd_ratio > PRIOR_DRIVEN_SD_RATIO and kl < PRIOR_DRIVEN_KL


def _log_moments(roi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(draw, channel)`` ROI → ``(channel,)`` mean and sd of its log."""
    log_roi = np.log(np.maximum(roi, 1e-12))
    return log_roi.mean(axis=0), log_roi.std(axis=0)


# --------------------------------------------------------------------------- during the fit


def prior_driven_channels(spec: RunSpec, dataset: Dataset, roi: np.ndarray) -> list[str]:
    """Channels whose posterior ROI is mostly the uncalibrated prior, flagged as :func:`evidence_report` does.

    ``roi``: ``(draw, channel)`` posterior ROI. The fit stores this list in
    ``summary.json["prior_driven"]`` so every surface can mark those channels.
    """
    config = build_config(spec, dataset)
    prior_mu, prior_sd = _prior_log_moments(spec, dataset, config)
    post_mu, post_sd = _log_moments(roi)
    kl = normal_kl(post_mu, post_sd, prior_mu, prior_sd)
    return [name for c, name in enumerate(config.channels)
            if is_prior_driven(float(post_sd[c] / prior_sd[c]), float(kl[c]))]


def calibration_summary(
    spec: RunSpec, dataset: Dataset, experiments: Sequence[Experiment], draws: Mapping[str, np.ndarray],
    roi: np.ndarray | None = None,
) -> dict[str, Any]:
    """The ``summary.json["calibration"]`` section: mode, each experiment measured vs model-implied.

    ``draws``: flattened posterior draws (``flatten_draws``). An experiment whose
    measurement and model-implied lift differ by more than 2 combined sd is
    flagged ``consistent: false``: the model and the test disagree. With ``roi``
    (``(draw, channel)`` posterior ROI), ``identification`` says per tested
    channel what its tests pin and what they leave open (:func:`identification`).
    """
    scaling = compute_scaling(dataset)
    inputs, config = build_inputs(dataset, spec, scaling), build_config(spec, dataset)
    lift = build_lift_inputs(experiments, dataset, scaling, inputs)
    implied = posterior_lift(draws, lift, config)
    rows = []
    for k, experiment in enumerate(experiments):
        values = implied[:, k]
        low, high = np.quantile(values, [0.05, 0.95])
        z = (experiment.incremental_kpi - values.mean()) / math.hypot(
            experiment.standard_error, values.std()
        )
        rows.append({
            **experiment.to_row(),
            "row": experiment.row,
            "implied_mean": float(values.mean()),
            "implied_ci_90": [float(low), float(high)],
            "z": float(z),
            "consistent": bool(abs(z) <= 2),
        })
    out: dict[str, Any] = {
        "mode": spec.calibration.mode,
        "n_experiments": len(experiments),
        "experiments": rows,
        "uncalibrated_roi_priors": {
            config.channels[c]: {"lognormal_mu": float(mu), "lognormal_sigma": float(sigma)}
            for c, (mu, sigma) in zip(config.roi_channels, config.roi_prior, strict=True)
        },
    }
    if roi is not None:
        out["identification"] = identification(experiments, dataset, implied, roi, config.channels)
    if spec.calibration.mode == "prior":
        out["experiment_roi"] = {
            channel: {"roi": e.roi, "sd": e.sd, "n_experiments": e.n_experiments,
                      "prior_mean": e.prior.mean, "prior_sd": e.prior.sd}
            for channel, e in roi_priors(experiments, dataset).items()
        }
    return out


DISTINCT_LEVEL = 0.25  # two tests' relative spend changes further apart than this probe different levels


def test_level(experiment: Experiment, dataset: Dataset) -> float:
    """The test's relative spend change: its spend delta over the spend planned without it.

    The data show the spend that ran (the test included), so a holdout that
    halved spend shows half the planned spend and a delta of minus that half: -0.5.
    """
    cells = experiment.geo_mask(dataset)[:, None] & experiment.periods(dataset)[None, :]
    shown = float(dataset.spend[..., dataset.channels.index(experiment.channel)][cells].sum())
    planned = shown - experiment.spend_delta
    return experiment.spend_delta / planned if planned > 0 else math.inf


def identification(
    experiments: Sequence[Experiment], dataset: Dataset, implied: np.ndarray, roi: np.ndarray,
    channels: Sequence[str],
) -> dict[str, dict[str, Any]]:
    """Per tested channel: what its lift tests pin down and what they leave open.

    A test measures the response to one spend change in one window: the slope of
    the channel's curve between the planned and the tested spend, there. It does
    not measure the average ROI, which also depends on the curve's shape down to
    zero spend; tests at two or more clearly different spend levels pin the shape
    between them. The posterior shows it: the implied lift's relative sd
    (``lift_cv``) is small where a test pins it, the ROI's (``roi_cv``) stays wide
    where the shape is open.

    Args:
        implied: ``(draw, experiment)`` model-implied lift of each experiment.
        roi: ``(draw, channel)`` posterior ROI.
    """
    out: dict[str, dict[str, Any]] = {}
    for c, channel in enumerate(channels):
        tests = [k for k, e in enumerate(experiments) if e.channel == channel]
        if not tests:
            continue
        levels = sorted(test_level(experiments[k], dataset) for k in tests)
        distinct = [levels[0]]
        for level in levels[1:]:
            if level - distinct[-1] > DISTINCT_LEVEL:
                distinct.append(level)
        lift_cv = float(np.median([
            implied[:, k].std() / max(abs(implied[:, k].mean()), 1e-12) for k in tests
        ]))
        roi_cv = float(roi[:, c].std() / max(abs(roi[:, c].mean()), 1e-12))
        tested = ", ".join(f"{level:+.0%}" for level in distinct)
        pins = (f"the response to a spend change of {tested} in the tested weeks "
                f"(the model's implied lift varies by ±{lift_cv:.0%})")
        if len(distinct) == 1:
            open_question = (
                f"the average ROI (±{roi_cv:.0%}) and the curve's shape away from {tested}: one spend level "
                "fixes the curve's slope there, not the curve. A second test at another spend level (e.g. "
                "going dark, or +50%) would pin the shape; `mixscope next-test` proposes one."
            )
        else:
            open_question = (
                f"the curve beyond the tested range ({tested}), and so part of the average ROI "
                f"(±{roi_cv:.0%})."
            )
        out[channel] = {
            "tests": len(tests), "spend_levels": distinct, "lift_cv": lift_cv, "roi_cv": roi_cv,
            "pins": pins, "leaves_open": open_question,
        }
    return out


# --------------------------------------------------------------------------- the report


def evidence_report(run: Run) -> EvidenceReport:
    """Prior vs posterior ROI per channel for a loaded run (:func:`mixscope.load_run`)."""
    require_native(run, "evidence")
    spec, dataset = run.spec, run.dataset
    experiments = run.experiments
    config = build_config(spec, dataset)
    prior_mu, prior_sd = _prior_log_moments(spec, dataset, config)
    posterior = run.idata.posterior
    roi = np.asarray(posterior["channel_roi"]).reshape(-1, len(config.channels))
    log_roi = np.log(np.maximum(roi, 1e-12))
    post_mu, post_sd = _log_moments(roi)

    without_sd: np.ndarray | None = None
    pareto_k = None
    rows: tuple[dict[str, Any], ...] = ()
    mode = spec.calibration.mode if experiments else None
    if experiments:
        rows = tuple(run.summary.get("calibration", {}).get("experiments", ()))
        log_w = _log_weights_without_experiments(run, experiments, config, roi)
        weights, pareto_k = psis_weights(log_w)
        without_sd = _weighted_sd(log_roi, weights)

    ratios, kl = post_sd / prior_sd, normal_kl(post_mu, post_sd, prior_mu, prior_sd)
    channels = []
    for c, name in enumerate(config.channels):
        ratio = float(ratios[c])
        prior_mean, prior_ci = _lognormal_summary(float(prior_mu[c]), float(prior_sd[c]))
        low, high = np.quantile(roi[:, c], [0.05, 0.95])
        channels.append(ChannelEvidence(
            channel=name,
            prior_mean=prior_mean,
            prior_ci_90=prior_ci,
            posterior_mean=float(roi[:, c].mean()),
            posterior_ci_90=(float(low), float(high)),
            sd_ratio=ratio,
            kl=float(kl[c]),
            prior_driven=is_prior_driven(ratio, float(kl[c])),
            sd_ratio_without_experiments=(
                None if without_sd is None else float(without_sd[c] / prior_sd[c])
            ),
            n_experiments=sum(e.channel == name for e in experiments),
        ))
    return EvidenceReport(tuple(channels), mode, rows, pareto_k)


def _log_weights_without_experiments(
    run: Run, experiments: Sequence[Experiment], config: ModelConfig, roi: np.ndarray
) -> np.ndarray:
    """``(draw,)`` log importance weights turning the calibrated posterior into the uncalibrated one."""
    spec, dataset = run.spec, run.dataset
    if spec.calibration.mode == "prior":
        log_w = np.zeros(roi.shape[0])
        for channel, evidence in roi_priors(experiments, dataset).items():
            c = config.channels.index(channel)
            if c not in config.roi_channels:
                continue
            mu, sigma = config.roi_prior[config.roi_channels.index(c)]
            exp_mu, exp_sigma = evidence.prior.lognormal_params()
            log_roi = np.log(roi[:, c])
            log_w += stats.norm.logpdf(log_roi, mu, sigma) - stats.norm.logpdf(log_roi, exp_mu, exp_sigma)
        return log_w
    scaling = compute_scaling(dataset)
    lift = build_lift_inputs(experiments, dataset, scaling, build_inputs(dataset, spec, scaling))
    implied_kpi = posterior_lift(flatten_draws(run.idata.posterior), lift, config)
    measured = np.array([e.incremental_kpi for e in experiments])
    se = np.array([e.standard_error for e in experiments])
    return -stats.norm.logpdf(measured[None, :], implied_kpi, se[None, :]).sum(axis=1)
