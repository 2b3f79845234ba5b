"""A truth zoo: simulated histories whose data-generating processes are drawn at random.

The project must hold up on data it has never seen, so its benchmarks and
accuracy tests score it on a *family* of truths rather than on hand-picked
ones. Every case is drawn from a fixed seed:

- carryover: geometric or delayed (peak at lag 1-3), decay 0.1-0.8, and a true
  carryover length of 8 or 13 weeks (the model's default window is 8);
- saturation: Hill with slope 0.8-3 (S-shaped above 1) or exponential, with
  half-saturation 0.3-3x the channel's typical weekly spend;
- flighting: always-on, or pulsed (dark blocks of 2-6 weeks); spend levels that
  drift up or down over the years, and weekly noise of 20-60%;
- confounding: none, or one channel whose spend chases an unobserved demand
  driver that also moves revenue, from mild to strong;
- revenue noise 2-8% a week; media explaining 10-35% of revenue;
- the history's mix: near its own optimum (marginal ROIs about equal), or
  misallocated (ROIs drawn independently, so marginal returns differ widely).

:func:`national_cases` and :func:`geo_cases` give the fixed benchmark family;
:func:`draw_case` draws one more case from any seed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from mixscope.simulate.history import ChannelTruth, SimulatedData, SimulatedTest, simulate, true_contribution

CHANNEL_POOL = ("tv", "search", "social", "display", "radio", "video", "ooh", "print")
ALLOCATIONS = ("near-optimal", "misallocated")
N_WEEKS = 156
WEEKLY_REVENUE = 1_000_000.0
_ROI_RANGE = (0.2, 8.0)
_ELASTICITY_STEP = 0.01


@dataclass(frozen=True)
class ZooCase:
    """One randomly drawn data-generating process (everything :func:`simulate` needs).

    Attributes:
        name: e.g. ``"national-07"``.
        seed: the simulation seed (spend noise, revenue noise, geo effects).
        n_geos: 1 for national data.
        channels: the channels' true carryover, saturation, spend and ROI.
        noise: sd of the weekly multiplicative revenue noise.
        max_lag: true carryover length in weeks.
        confounder: the channel whose spend chases hidden demand, or ``None``.
        confounder_strength: how strongly (0 with no confounder).
        allocation: ``"near-optimal"`` or ``"misallocated"`` history.
    """

    name: str
    seed: int
    n_geos: int
    channels: tuple[ChannelTruth, ...]
    noise: float
    max_lag: int
    confounder: str | None
    confounder_strength: float
    allocation: str

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(channel.name for channel in self.channels)

    def lift_tests(self, weeks: int = 8, relative_se: float = 0.15) -> tuple[SimulatedTest, ...]:
        """One holdout-style test per channel: spend halved for ``weeks`` weeks, staggered in time.

        Each channel's window is the one with the most spend within 20 weeks of its
        staggered slot, so a pulsed channel is tested while it is live.
        """
        n = len(self.channels)
        slots = np.linspace(30, N_WEEKS - weeks - 30, n).astype(int)
        weekly = self.simulate().spend.sum(axis=0)  # (time, channel); tests don't move other spend
        tests = []
        for c, (name, slot) in enumerate(zip(self.channel_names, slots, strict=True)):
            starts = np.arange(max(0, slot - 20), min(N_WEEKS - weeks, slot + 20) + 1)
            in_window = [weekly[start : start + weeks, c].sum() for start in starts]
            start = int(starts[int(np.argmax(in_window))])
            tests.append(SimulatedTest(name, start, weeks, spend_multiplier=0.5, relative_se=relative_se))
        return tuple(tests)

    def simulate(self, experiments: tuple[SimulatedTest, ...] = ()) -> SimulatedData:
        """The case's data (with ``experiments`` run in its history) and truth."""
        data = simulate(
            n_geos=self.n_geos, n_weeks=N_WEEKS, seed=self.seed, channels=self.channels,
            noise=self.noise, weekly_revenue=WEEKLY_REVENUE, max_lag=self.max_lag,
            confounder=self.confounder, confounder_strength=self.confounder_strength,
            experiments=experiments,
        )
        data.truth["zoo"] = {
            "name": self.name, "allocation": self.allocation,
            "confounder_strength": self.confounder_strength,
        }
        return data

    def describe(self) -> dict[str, object]:
        """A JSON-ready summary of the truth's shape (for bench output)."""
        return {
            "channels": len(self.channels),
            "geos": self.n_geos,
            "allocation": self.allocation,
            "confounded": self.confounder or "none",
            "noise": round(self.noise, 3),
            "max_lag": self.max_lag,
            "s_shaped": [c.name for c in self.channels if c.saturation == "hill" and c.slope > 1.5],
        }


def draw_case(seed: int, n_geos: int = 1, name: str | None = None) -> ZooCase:
    """Draw one data-generating process from ``seed`` (see the module docstring for the ranges)."""
    rng = np.random.default_rng([seed, 16])
    n_channels = int(rng.integers(4, 7))
    names = tuple(rng.choice(CHANNEL_POOL, n_channels, replace=False))
    allocation = ALLOCATIONS[int(rng.random() < 0.7)]
    channels = [_draw_channel(rng, str(channel)) for channel in names]
    # Spend shares and a total that makes media explain 10-35% of revenue at the ROIs drawn.
    shares = rng.dirichlet(np.full(n_channels, 2.0))
    media_share = rng.uniform(0.10, 0.35)
    noise = float(rng.uniform(0.02, 0.08))
    max_lag = int(rng.choice([8, 13]))
    confounded = rng.random() < 0.5
    confounder = str(rng.choice(names)) if confounded else None
    strength = float(rng.uniform(0.3, 1.5)) if confounded else 0.0
    case = ZooCase(
        name or f"{'geo' if n_geos > 1 else 'national'}-{seed:02d}", seed, n_geos,
        tuple(channels), noise, max_lag, confounder, strength, allocation,
    )
    if allocation == "near-optimal":
        case = _equalise_marginal_roi(case, float(rng.uniform(0.6, 1.6)), rng)
    mean_roi = float(np.dot(shares, [c.roi for c in case.channels]))
    total = media_share * WEEKLY_REVENUE / mean_roi
    spend = [replace(c, weekly_spend=float(total * share)) for c, share in zip(case.channels, shares,
                                                                              strict=True)]
    return replace(case, channels=tuple(spend))


def national_cases(count: int = 24, first_seed: int = 1) -> tuple[ZooCase, ...]:
    """The benchmark's national family: ``count`` cases from consecutive seeds."""
    return tuple(draw_case(seed) for seed in range(first_seed, first_seed + count))


def geo_cases(count: int = 4, first_seed: int = 101, n_geos: int = 8) -> tuple[ZooCase, ...]:
    """The benchmark's geo family (``n_geos`` geos each)."""
    return tuple(draw_case(seed, n_geos) for seed in range(first_seed, first_seed + count))


def _draw_channel(rng: np.random.Generator, name: str) -> ChannelTruth:
    delayed = rng.random() < 0.25
    exponential = rng.random() < 0.2
    pulsed = rng.random() < 0.4
    return ChannelTruth(
        name=name,
        weekly_spend=1.0,  # set once the mix is drawn
        roi=float(np.clip(rng.lognormal(np.log(1.5), 0.6), *_ROI_RANGE)),
        decay=float(rng.uniform(0.1, 0.8)),
        half_saturation=float(np.exp(rng.uniform(np.log(0.3), np.log(3.0)))),
        slope=float(rng.uniform(0.8, 3.0)),
        flighting=float(rng.uniform(0.3, 0.6)) if pulsed else 0.0,
        adstock="delayed" if delayed else "geometric",
        peak=float(rng.uniform(1.0, 3.0)) if delayed else 0.0,
        saturation="exponential" if exponential else "hill",
        burst_weeks=int(rng.integers(2, 7)) if pulsed else 1,
        growth=float(rng.uniform(-0.5, 0.8)),
        spend_noise=float(rng.uniform(0.2, 0.6)),
    )


def _equalise_marginal_roi(case: ZooCase, marginal: float, rng: np.random.Generator) -> ZooCase:
    """Set each channel's ROI so its marginal ROI over the history is about ``marginal``.

    A channel's marginal ROI is its ROI times its elasticity (the relative change
    of its incremental revenue per relative change of its spend), a property of
    its curve and spend pattern only; so one simulation at unit ROIs gives every
    elasticity, and equal marginal ROIs put the history near its optimum (up to
    a 10% perturbation).
    """
    probe = replace(case, allocation="misallocated").simulate()
    spend = probe.spend
    base = true_contribution(probe.truth, spend).sum(axis=(0, 1))
    stepped = true_contribution(probe.truth, spend * (1 + _ELASTICITY_STEP)).sum(axis=(0, 1))
    elasticity = (stepped - base) / (_ELASTICITY_STEP * base)
    channels = tuple(
        replace(channel, roi=float(np.clip(marginal * rng.lognormal(0.0, 0.1) / max(e, 1e-3), *_ROI_RANGE)))
        for channel, e in zip(case.channels, elasticity, strict=True)
    )
    return replace(case, channels=channels)
