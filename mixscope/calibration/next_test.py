"""Which lift test to run next: preposterior analysis on the posterior draws.

For each channel, a hypothetical test changes its spend by a fraction
(default −100%: go dark) over the last ``weeks`` periods of the data, taken
as a stand-in for the next ones. Each posterior draw implies a lift for that
test (:mod:`mixscope.calibration.lift`). A test outcome is simulated from a
draw plus measurement noise, and the posterior after seeing it is the current
draws reweighted by its likelihood — no refit. Averaging over simulated
outcomes gives what the test is expected to teach:

- **EVSI** (expected value of sample information), in outcome units: the
  decision is to move 10% of one channel's budget to another (or not), valued
  per draw with the channels' marginal ROIs. EVSI is how much better that
  decision is expected to be after the test than now; zero when no plausible
  result would change it.
- the channel's **ROI sd** now and expected after the test.

Channels are ranked by EVSI, then by the expected reduction of their ROI sd
times their spend (uncertainty about incremental outcome in currency). The
test's standard error, unless given, is the model's residual noise summed
over the periods the lift is measured on, times sqrt(2) for estimating the
counterfactual as well.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from mixscope import metrics
from mixscope.calibration.evidence import DISTINCT_LEVEL, test_level
from mixscope.calibration.lift import _Change, stack_changes
from mixscope.data.dataset import Dataset
from mixscope.errors import MixscopeError
from mixscope.model.evaluate import MROI_STEP, evaluate_posterior, flatten_draws, posterior_lift
from mixscope.model.inputs import Scaling, build_inputs, compute_scaling
from mixscope.model.mmm import build_config
from mixscope.run import Run, require_native

SHIFT = 0.10  # the budget decision valued by EVSI: move 10% of a channel's spend to another
DURATIONS = (2, 4, 6, 8, 10, 12, 16)  # weeks scanned for the duration a test needs
TARGET_SD_REDUCTION = 0.5  # "needs N weeks": to halve the channel's ROI sd
MAX_DRAWS = 1000  # posterior draws used (thinned evenly); enough for the weighted moments
N_OUTCOMES = 256  # simulated test outcomes per candidate
DEFAULT_CHANGE = -1.0  # go dark: the largest, cleanest contrast
SECOND_LEVEL = 0.5  # for a channel already tested dark: +50%, the other side of current spend


@dataclass(frozen=True)
class TestOption:
    """One hypothetical lift test and what it is expected to teach."""

    channel: str
    weeks: int
    spend_change: float  # currency over the window (negative: cut)
    change_fraction: float
    standard_error: float  # of the measured lift, KPI units
    expected_lift: float  # posterior mean of the lift, KPI units
    evsi: float  # outcome units (revenue when the KPI maps to it)
    roi_sd_now: float
    roi_sd_after: float
    weeks_needed: int | None  # shortest scanned duration halving the ROI sd (None: none does)
    min_ess: float  # smallest effective sample size of the reweighted draws (reliability)
    tested_levels: tuple[float, ...] = ()  # relative spend changes this channel was already tested at

    @property
    def sd_reduction(self) -> float:
        return 1.0 - self.roi_sd_after / self.roi_sd_now if self.roi_sd_now > 0 else 0.0


@dataclass(frozen=True)
class NextTestReport:
    options: tuple[TestOption, ...]  # ranked, best first
    weeks: int
    change_fraction: float
    current_decision: str
    outcome_units: str

    @property
    def best(self) -> TestOption | None:
        return self.options[0] if self.options else None

    def recommendation(self) -> str:
        best = self.best
        if best is None:
            return "No channel can be tested: every channel was dark over the recent window."
        action = "cut" if best.spend_change < 0 else "raise"
        second = ""
        if best.tested_levels:
            done = ", ".join(f"{level:+.0%}" for level in best.tested_levels)
            second = (f" This is a second spend level: its tests so far pinned the response at {done}, "
                      "not the curve's shape, which this test measures.")
        needed = (
            f"{best.weeks_needed} weeks would halve its ROI uncertainty"
            if best.weeks_needed is not None
            else f"no test up to {max(DURATIONS)} weeks halves its ROI uncertainty; a larger change would"
        )
        return (
            f"Test {best.channel} next: {action} its spend by {abs(best.change_fraction):.0%} "
            f"({best.spend_change:+,.0f}) for {best.weeks} weeks. Expected to narrow its ROI sd from "
            f"{best.roi_sd_now:.2f} to {best.roi_sd_after:.2f} and worth {best.evsi:,.0f} "
            f"({self.outcome_units}) in better budget decisions; {needed}.{second}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "weeks": self.weeks,
            "change_fraction": self.change_fraction,
            "current_decision": self.current_decision,
            "outcome_units": self.outcome_units,
            "recommendation": self.recommendation(),
            "options": [{**asdict(o), "sd_reduction": o.sd_reduction} for o in self.options],
        }


def next_test(
    run: Run, weeks: int = 8, change: float | None = None, standard_error: float | None = None,
    seed: int = 0,
) -> NextTestReport:
    """Rank channels by what a ``weeks``-long test changing spend by ``change`` would teach.

    Args:
        run: a loaded run (:func:`mixscope.load_run`).
        weeks: test duration in periods.
        change: relative spend change in the window, e.g. -1 (go dark) or 0.5 (+50%).
            ``None``: per channel, going dark, or for a channel already tested near that
            level, :data:`SECOND_LEVEL` (a test at a second spend level pins the curve's
            shape, which one level leaves open).
        standard_error: the test's standard error in KPI units; by default from the
            model's residual noise (see module docstring).
    """
    require_native(run, "next-test")
    if weeks < 1:
        raise MixscopeError(f"--weeks must be at least 1, got {weeks}.")
    if change is not None and (not -1.0 <= change <= 5.0 or change == 0):
        raise MixscopeError(
            f"--change must be a non-zero relative spend change between -1 (go dark) and 5, got {change}."
        )
    if standard_error is not None and not standard_error > 0:
        raise MixscopeError(f"--se must be positive, got {standard_error}.")
    spec, dataset = run.spec, run.dataset
    if weeks > dataset.n_times:
        raise MixscopeError(f"--weeks {weeks} is longer than the data ({dataset.n_times} periods).")
    rng = np.random.default_rng(seed)
    scaling = compute_scaling(dataset)
    inputs, config = build_inputs(dataset, spec, scaling), build_config(spec, dataset)
    draws = flatten_draws(run.idata.posterior)
    n_draws = next(iter(draws.values())).shape[0]
    keep = np.unique(np.linspace(0, n_draws - 1, min(n_draws, MAX_DRAWS)).astype(int))
    draws = {key: value[keep] for key, value in draws.items()}

    evaluation = evaluate_posterior(draws, inputs, config, scaling.kpi_scale)
    spend = dataset.spend.sum(axis=(0, 1))
    roi = metrics.roi(evaluation.incremental_outcome, spend)
    mroi = metrics.mroi(
        evaluation.incremental_outcome, evaluation.incremental_outcome_step, spend, MROI_STEP
    )
    values, labels = _action_values(mroi, spend, config.channels)
    current = int(np.argmax(values.mean(axis=0)))

    durations = tuple(sorted(set(DURATIONS) | {weeks}))
    candidates = [
        (c, d) for c in range(dataset.n_channels) for d in durations if d <= dataset.n_times
    ]
    tested = _tested_levels(run, dataset)
    level = {c: _candidate_level(change, tested.get(name, ())) for c, name in enumerate(config.channels)}
    changes, deltas, feasible = [], [], []
    for c, d in candidates:
        built = _hypothetical_change(dataset, scaling, inputs.tail, c, d, level[c])
        if built is not None:
            changes.append(built[0])
            deltas.append(built[1])
            feasible.append((c, d))
    report_change = DEFAULT_CHANGE if change is None else change
    if not changes:
        return NextTestReport((), weeks, report_change, labels[current], _units(run))
    zeros = np.zeros(len(changes))
    media = np.asarray(inputs.media, float)
    frequency = None if inputs.frequency is None else np.asarray(inputs.frequency, float)
    lift = stack_changes(changes, media, scaling.kpi_scale, inputs.tail, zeros, zeros, frequency)
    implied = posterior_lift(draws, lift, config)  # (draw, candidate) KPI units
    noise = _residual_sd(run, scaling.kpi_scale, keep)

    results: dict[tuple[int, int], tuple[float, float, float, float]] = {}
    for k, (c, d) in enumerate(feasible):
        se = standard_error or noise * math.sqrt(2 * (d + inputs.tail - 1))
        results[(c, d)] = (se, *_preposterior(implied[:, k], se, values, roi[:, c], rng))
    options = []
    for k, (c, d) in enumerate(feasible):
        if d != weeks:
            continue
        se, evsi, sd_after, ess = results[(c, d)]
        sd_now = float(roi[:, c].std())
        halved = [dd for dd in durations if results.get((c, dd), (0, 0, np.inf))[2]
                  <= TARGET_SD_REDUCTION * sd_now]
        needed = halved[0] if halved else None
        options.append(TestOption(
            channel=config.channels[c],
            weeks=d,
            spend_change=float(deltas[k]),
            change_fraction=level[c],
            standard_error=float(se),
            expected_lift=float(implied[:, k].mean()),
            evsi=float(evsi),
            roi_sd_now=sd_now,
            roi_sd_after=float(sd_after),
            weeks_needed=needed,
            min_ess=float(ess),
            tested_levels=tested.get(config.channels[c], ()),
        ))
    options.sort(key=lambda o: (-round(o.evsi, 6), -(o.roi_sd_now - o.roi_sd_after) * spend[
        config.channels.index(o.channel)]))
    return NextTestReport(tuple(options), weeks, report_change, labels[current], _units(run))


def _tested_levels(run: Run, dataset: Dataset) -> dict[str, tuple[float, ...]]:
    """Per channel, the distinct relative spend changes its lift tests already ran."""
    levels: dict[str, list[float]] = {}
    for experiment in run.experiments:
        levels.setdefault(experiment.channel, []).append(test_level(experiment, dataset))
    out = {}
    for channel, values in levels.items():
        distinct: list[float] = []
        for value in sorted(values):
            if not distinct or value - distinct[-1] > DISTINCT_LEVEL:
                distinct.append(value)
        out[channel] = tuple(distinct)
    return out


def _candidate_level(change: float | None, tested: tuple[float, ...]) -> float:
    """The relative spend change to simulate for a channel (see :func:`next_test`)."""
    if change is not None:
        return change
    if any(abs(level - DEFAULT_CHANGE) <= DISTINCT_LEVEL for level in tested):
        return SECOND_LEVEL
    return DEFAULT_CHANGE


def _units(run: Run) -> str:
    return "revenue" if run.summary.get("roi_units", "").startswith("revenue") else "KPI units"


def _action_values(
    mroi: np.ndarray, spend: np.ndarray, channels: Sequence[str]
) -> tuple[np.ndarray, list[str]]:
    """``(draw, action)`` value of each budget move (first: no change), linear in mROI."""
    columns, labels = [np.zeros(mroi.shape[0])], ["keep the current budget"]
    for a in range(len(channels)):
        for b in range(len(channels)):
            if a != b and spend[a] > 0:
                columns.append(SHIFT * spend[a] * (mroi[:, b] - mroi[:, a]))
                labels.append(f"move {SHIFT:.0%} of {channels[a]} to {channels[b]}")
    return np.stack(columns, axis=1), labels


def _hypothetical_change(
    dataset: Dataset, scaling: Scaling, tail: int, channel: int, weeks: int, change: float
) -> tuple[_Change, float] | None:
    """Media with and without a test over the last ``weeks`` periods; ``None`` if nothing to cut."""
    window = slice(dataset.n_times - weeks, dataset.n_times)
    spend = dataset.spend[:, window, channel]
    if spend.sum() <= 0:
        if change < 0:
            return None  # nothing runs there to cut
        # A dark channel: test at its average weekly spend, spread evenly.
        spend = np.broadcast_to(dataset.spend[..., channel].mean(axis=1, keepdims=True), spend.shape)
    delta_spend = np.zeros(dataset.spend.shape[:2])
    delta_spend[:, window] = change * spend
    cells = delta_spend != 0
    ratio_spend = dataset.spend[..., channel][cells].sum()
    ratio = dataset.media[..., channel][cells].sum() / ratio_spend if ratio_spend > 0 else 1.0
    scale = scaling.media_scale[:, None, channel]
    current = np.concatenate([dataset.media[..., channel] / scale, np.zeros((dataset.n_geos, tail))], axis=1)
    delta = np.concatenate([delta_spend * ratio / scale, np.zeros((dataset.n_geos, tail))], axis=1)
    built = _Change(
        channel=channel,
        first=dataset.n_times - weeks,
        last=dataset.n_times - 1,
        with_test=np.maximum(current + delta, 0.0),
        without=current,
        geo_mask=np.ones(dataset.n_geos, dtype=bool),
    )
    return built, float(delta_spend.sum())


def _residual_sd(run: Run, kpi_scale: np.ndarray, keep: np.ndarray) -> float:
    """Posterior mean residual sd of the national KPI per period, KPI units."""
    noise = np.asarray(run.idata.posterior["noise_sd"]).reshape(-1, len(kpi_scale))
    per_geo = noise.mean(axis=0) * kpi_scale
    return float(np.sqrt((per_geo**2).sum()))


def _preposterior(
    lift: np.ndarray, se: float, values: np.ndarray, roi: np.ndarray, rng: np.random.Generator
) -> tuple[float, float, float]:
    """EVSI, expected posterior ROI sd, and the smallest effective sample size.

    ``lift``: ``(draw,)`` implied lift of the test; ``values``: ``(draw, action)``;
    ``roi``: ``(draw,)`` the tested channel's ROI. Outcomes are simulated from
    randomly chosen draws plus noise, so they follow the current predictive.
    """
    n = len(lift)
    truth = rng.choice(n, size=min(N_OUTCOMES, n), replace=n < N_OUTCOMES)
    outcomes = lift[truth] + se * rng.standard_normal(len(truth))
    log_w = -0.5 * ((outcomes[:, None] - lift[None, :]) / se) ** 2  # (outcome, draw)
    weights = np.exp(log_w - log_w.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    # Per outcome: best action after seeing it minus the action chosen now, both valued
    # under that outcome's posterior; non-negative term by term, so Monte Carlo noise
    # cannot make the estimate negative.
    current = int(np.argmax(values.mean(axis=0)))
    expected = weights @ values  # (outcome, action)
    evsi = (expected.max(axis=1) - expected[:, current]).mean()
    mean = weights @ roi
    variance = weights @ roi**2 - mean**2
    ess = 1.0 / (weights**2).sum(axis=1)
    return float(evsi), float(np.sqrt(np.maximum(variance, 0).mean())), float(ess.min())
