"""The facts an explanation may use: a compact, versioned JSON built from stored results only.

Everything a narrative states must come from here, so this module is also what
the verifier checks against. Each fact has an id (cited by findings and
recommendations), a label, a ``display`` string (the rounded form a narrative
should copy, :mod:`mixscope.insights.formatting`) and the numbers it licenses,
each with its kind.

Channel and KPI names are data (:mod:`mixscope.insights.names`): sanitised, and
aliased in everything a model sees when they read like prose or an instruction.

ROI, mROI, contribution shares and CPA are summary.json's, so ``explain`` states
the numbers ``fit``, ``summary`` and the report show; the saturation ratio is
:func:`mixscope.metrics.saturation_ratio` of those. The surface adds current
spend over its reference window and the planner's facts.

No JAX: ``summary.json`` and ``manifest.json`` are read as JSON; the surface
and planner are NumPy-only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mixscope import metrics
from mixscope.errors import RunError
from mixscope.insights.formatting import fmt_amount, fmt_pct, fmt_ratio, fmt_sig, fmt_signed_pct
from mixscope.insights.names import Channel, channel_table, is_plain_name, sanitize_name

FACTS_VERSION = 2  # 2: the plan's decision (reallocate / no confident change / keep the current mix)
_MAX_WARNINGS = 6
_WARNING_LIMIT = 200  # characters of each data-quality warning passed on


@dataclass(frozen=True)
class Number:
    """One number a fact licenses: ``kind`` is amount, ratio, fraction, count or year."""

    value: float
    kind: str


@dataclass(frozen=True)
class Fact:
    """One citable fact. ``channel`` is the channel key it is about (None: the whole run)."""

    id: str
    label: str
    display: str
    numbers: tuple[Number, ...] = ()
    channel: str | None = None
    topic: str = ""  # roi, mroi, share, spend, saturation, plan, ... (claims are checked by topic)

    def line(self) -> str:
        return f"[{self.id}] {self.label}: {self.display}"


@dataclass(frozen=True)
class Facts:
    """Every fact about one run, plus what could not be included and why."""

    version: int
    kpi: str
    kpi_type: str
    roi_units: str
    channels: tuple[Channel, ...]
    facts: tuple[Fact, ...]
    has_plan: bool
    missing: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    source: dict[str, Any] = field(default_factory=dict)
    # The planner's decision: "reallocate", "no confident change" or "keep the current mix" (None: no plan).
    # Only "reallocate" licenses a recommendation to move money.
    decision: str | None = None

    # ------------------------------------------------------------------ lookup

    def get(self, fact_id: str) -> Fact | None:
        return self._by_id.get(fact_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(fact.id for fact in self.facts)

    @property
    def _by_id(self) -> dict[str, Fact]:
        return {fact.id: fact for fact in self.facts}

    def channel(self, key: str) -> Channel:
        return next(ch for ch in self.channels if ch.key == key)

    def value(self, fact_id: str) -> float | None:
        fact = self.get(fact_id)
        return fact.numbers[0].value if fact is not None and fact.numbers else None

    def ranking(self, topic: str) -> list[str]:
        """Channel keys by the first number of their ``topic`` fact, highest first."""
        scored = [
            (self.value(f"{topic}.{ch.key}"), ch.key) for ch in self.channels
            if self.value(f"{topic}.{ch.key}") is not None
        ]
        return [key for _, key in sorted(scored, key=lambda pair: -pair[0])]

    @property
    def moves_money(self) -> bool:
        """Whether the recommended plan reallocates (a narrative may then say raise or cut)."""
        return self.has_plan and self.decision == "reallocate"

    def interval(self, fact_id: str) -> tuple[float, float, float] | None:
        """``(mean, low, high)`` of a fact stated with its 90% interval, else None."""
        fact = self.get(fact_id)
        if fact is None or len(fact.numbers) < 3 or "interval" not in fact.display:
            return None
        mean, low, high = (number.value for number in fact.numbers[:3])
        return mean, low, high

    def plan_change(self, key: str) -> float | None:
        """Relative change the recommended plan makes to a channel (None without a plan)."""
        fact = self.get(f"plan.{key}")
        if fact is None:
            return None
        return next((n.value for n in fact.numbers if n.kind == "fraction"), None)

    # ------------------------------------------------------------------ output

    def prompt_lines(self, topics: Iterable[str] | None = None) -> list[str]:
        wanted = None if topics is None else set(topics)
        return [fact.line() for fact in self.facts if wanted is None or fact.topic in wanted]

    def to_dict(self) -> dict[str, Any]:
        return {
            "facts_version": self.version,
            "kpi": self.kpi,
            "kpi_type": self.kpi_type,
            "roi_units": self.roi_units,
            "channels": [asdict(ch) for ch in self.channels],
            "facts": [
                {**asdict(fact), "numbers": [asdict(n) for n in fact.numbers]} for fact in self.facts
            ],
            "has_plan": self.has_plan,
            "missing": list(self.missing),
            "dates": list(self.dates),
            "source": self.source,
            "decision": self.decision,
        }

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> Facts:
        if payload.get("facts_version") != FACTS_VERSION:
            raise RunError(
                f"Facts version {payload.get('facts_version')!r} is not {FACTS_VERSION}; rebuild them."
            )
        return cls(
            version=FACTS_VERSION, kpi=payload["kpi"], kpi_type=payload["kpi_type"],
            roi_units=payload["roi_units"],
            channels=tuple(Channel(**ch) for ch in payload["channels"]),
            facts=tuple(
                Fact(**{**f, "numbers": tuple(Number(**n) for n in f["numbers"])}) for f in payload["facts"]
            ),
            has_plan=payload["has_plan"], missing=tuple(payload["missing"]),
            dates=tuple(payload.get("dates", ())), source=dict(payload.get("source", {})),
            decision=payload.get("decision"),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _interval(summary: Mapping[str, Any]) -> tuple[float, float, float]:
    lo, hi = summary["ci_90"]
    return float(summary["mean"]), float(lo), float(hi)


# ---------------------------------------------------------------------- saturation


def saturation_status(ratio: float) -> str:
    """Where spend sits on the response curve, from :func:`mixscope.metrics.saturation_ratio`.

    On a concave curve the next unit of spend earns less than the average unit
    so far; the ratio falls from 1 (linear, untouched) towards 0 (flat).
    """
    if ratio > 1.05:
        return "early on its curve (returns per unit still rising)"
    if ratio >= 0.75:
        return "far from saturation"
    if ratio >= 0.4:
        return "in diminishing returns"
    return "close to saturation"


# ---------------------------------------------------------------------- building


class _Builder:
    def __init__(self, channels: tuple[Channel, ...], originals: Sequence[str]) -> None:
        self.facts: list[Fact] = []
        self.key = {orig: ch.key for orig, ch in zip(originals, channels, strict=True)}
        self.label = {orig: ch.label for orig, ch in zip(originals, channels, strict=True)}

    def add(self, fact_id: str, label: str, display: str, numbers: Iterable[tuple[float, str]] = (),
            channel: str | None = None, topic: str = "") -> None:
        nums = tuple(Number(float(v), kind) for v, kind in numbers if v is not None and np.isfinite(v))
        self.facts.append(Fact(fact_id, label, display, nums, channel, topic or fact_id.split(".")[0]))

    def q(self, original: str) -> str:
        """A channel as prose shows it: its label, quoted."""
        return f'"{self.label[original]}"'

    def scrub(self, text: str) -> str:
        """Our own messages (warnings, constraint reasons) with channel names replaced by labels.

        They may embed a channel name, which is data; the rest is mixscope's own wording, so
        punctuation stays, but control characters and quotes go and the length is capped.
        """
        for original in sorted(self.label, key=len, reverse=True):
            if original and self.label[original] != original:
                text = text.replace(original, self.label[original])
        text = " ".join("".join(ch if ch.isprintable() and ch not in '"`{}' else " " for ch in text).split())
        return text if len(text) <= _WARNING_LIMIT else text[: _WARNING_LIMIT - 1] + "…"


def build_facts(run_dir: str | Path, surface: Any = None, *, plan: bool = True) -> Facts:
    """Facts for ``run_dir`` from ``summary.json`` and, when built, its surface and planner.

    ``surface`` may be passed when already loaded; ``plan=False`` skips the
    optimiser (faster) and records that the plan facts are missing.
    """
    run_dir = Path(run_dir)
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        raise RunError(f"{run_dir} has no summary.json: is it a run directory (`mixscope fit ... --out`)?")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    missing: list[str] = []
    if surface is None and plan:
        surface = _load_surface(run_dir, missing)
    elif surface is None:
        missing.append("plan: not requested")
    return facts_from_summary(summary, surface=surface, plan=plan, missing=missing,
                              source={"run_dir": run_dir.name})


def _load_surface(run_dir: Path, missing: list[str]) -> Any:
    from mixscope.errors import SurfaceError

    if not (run_dir / "surface").is_dir():
        missing.append(
            "plan: the run has no surface, so there is no recommended plan, near-optimal range or "
            "frontier; run `mixscope surface RUN_DIR` to add them"
        )
        return None
    from mixscope.surface import Surface

    try:
        return Surface.load(run_dir)
    except SurfaceError as error:
        missing.append(f"plan: the surface could not be loaded ({error})")
        return None


def facts_from_summary(
    summary: Mapping[str, Any], *, surface: Any = None, plan: bool = True,
    missing: Sequence[str] = (), source: Mapping[str, Any] | None = None,
) -> Facts:
    """Facts from a ``summary.json`` dict (and optionally a loaded surface)."""
    originals = [str(name) for name in summary["channels"]]
    channels = channel_table(originals)
    b = _Builder(channels, originals)
    missing = list(missing)
    kpi = sanitize_name(summary.get("kpi", "KPI"))
    if not is_plain_name(str(summary.get("kpi", "KPI")), kpi):
        kpi = "KPI"
    kpi_type = "conversions" if summary.get("kpi_type") == "conversions" else "revenue"
    roi_units = str(summary.get("roi_units", "revenue per unit of spend"))
    if roi_units not in ("revenue per unit of spend", "KPI units per unit of spend"):
        roi_units = "revenue per unit of spend"

    periods = summary.get("periods", {})
    dates = tuple(str(periods.get(k, ""))[:10] for k in ("start", "end") if periods.get(k))
    b.add("data.periods", "history the model was fitted on",
          f"{periods.get('count', '?')} periods from {' to '.join(dates)}",
          [(periods.get("count"), "count")] + [(int(d[:4]), "year") for d in dates if d[:4].isdigit()])
    b.add("data.channels", "number of media channels", str(len(channels)), [(len(channels), "count")])

    _channel_facts(b, summary, surface, originals, kpi_type)
    base = summary.get("baseline_share")
    if base:
        mean, lo, hi = _interval(base)
        media = "paid or organic media" if summary.get("organic") else "paid media"
        b.add("baseline_share", f"share of {kpi} not driven by {media} (baseline)",
              f"{fmt_pct(mean, 1)} (90% interval {fmt_pct(lo, 1)}–{fmt_pct(hi, 1)})",
              [(mean, "fraction"), (lo, "fraction"), (hi, "fraction")], topic="baseline")
    _non_media_facts(b, summary, kpi)
    for name, share in summary.get("organic_contribution_share", {}).items():  # no spend, so no ROI
        mean, lo, hi = _interval(share)
        b.add(f"organic_share.{sanitize_name(name)}",
              f"share of {kpi} driven by organic media {sanitize_name(name)} (no spend, never in the budget)",
              f"{fmt_pct(mean, 1)} (90% interval {fmt_pct(lo, 1)}–{fmt_pct(hi, 1)})",
              [(mean, "fraction"), (lo, "fraction"), (hi, "fraction")], topic="organic")
    _diagnostic_facts(b, summary)

    decision = None
    if surface is not None and plan:
        decision = _plan_facts(b, surface, originals, missing)
    elif not any(m.startswith("plan") for m in missing):
        missing.append("plan: no surface was given")
    return Facts(
        version=FACTS_VERSION, kpi=kpi, kpi_type=kpi_type, roi_units=roi_units, channels=channels,
        facts=tuple(b.facts), has_plan=decision is not None, missing=tuple(missing), dates=dates,
        source=dict(source or {}), decision=decision,
    )


def _channel_facts(
    b: _Builder, summary: Mapping[str, Any], surface: Any, originals: Sequence[str], kpi_type: str
) -> None:
    window = "over the whole history"
    if surface is not None:
        current = surface.reference_spend
        window = "over the reference window (last {} periods)".format(
            surface.manifest.get("reference", {}).get("periods", "?")
        )
    else:
        current = {name: float(v) for name, v in summary.get("spend", {}).items()}
    for name in originals:
        key, q = b.key[name], b.q(name)
        if name in current:
            b.add(f"spend.{key}", f"current spend on {q} {window}", fmt_amount(current[name]),
                  [(current[name], "amount")], key)
        if name in summary.get("roi", {}):
            mean, lo, hi = _interval(summary["roi"][name])
            b.add(f"roi.{key}", f"ROI of {q} (return per unit of spend)",
                  f"{fmt_ratio(mean)} (90% interval {fmt_ratio(lo)}–{fmt_ratio(hi)})",
                  [(mean, "ratio"), (lo, "ratio"), (hi, "ratio")], key)
        if name in summary.get("prior_driven", ()):
            b.add(f"prior.{key}", f"where the ROI of {q} comes from",
                  "mostly the prior: the data barely narrowed or moved the assumed ROI, so treat it as "
                  "an assumption until a lift test measures it", channel=key, topic="prior")
        if name in summary.get("mroi", {}):
            mean, lo, hi = _interval(summary["mroi"][name])
            b.add(f"mroi.{key}", f"marginal ROI of {q} at its historical spend (return on the next unit)",
                  f"{fmt_ratio(mean)} (90% interval {fmt_ratio(lo)}–{fmt_ratio(hi)})",
                  [(mean, "ratio"), (lo, "ratio"), (hi, "ratio")], key)
        if name in summary.get("contribution_share", {}):
            mean, lo, hi = _interval(summary["contribution_share"][name])
            b.add(f"share.{key}", f"share of the KPI driven by {q}",
                  f"{fmt_pct(mean, 1)} (90% interval {fmt_pct(lo, 1)}–{fmt_pct(hi, 1)})",
                  [(mean, "fraction"), (lo, "fraction"), (hi, "fraction")], key)
        if name in summary.get("reach_frequency", {}):  # reach & frequency channels (issue 19)
            entry = summary["reach_frequency"][name]
            optimal = entry["optimal_frequency"]
            lo, hi = optimal["ci_90"]
            b.add(f"frequency.{key}",
                  f"frequency at which {q} returns the most per unit of spend (reach x Hill of frequency); "
                  "plans and what-ifs keep its historical frequency",
                  f"{fmt_ratio(optimal['median'])} (90% interval {fmt_ratio(lo)}–{fmt_ratio(hi)}); "
                  f"historical {fmt_ratio(entry['historical_frequency'])}",
                  [(optimal["median"], "ratio"), (lo, "ratio"), (hi, "ratio"),
                   (entry["historical_frequency"], "ratio")], key, topic="frequency")
        if kpi_type == "conversions" and name in summary.get("cpa", {}):
            mean, lo, hi = _interval(summary["cpa"][name])
            b.add(f"cpa.{key}", f"cost per incremental conversion of {q}",
                  f"{fmt_sig(mean)} (90% interval {fmt_sig(lo)}–{fmt_sig(hi)})",
                  [(mean, "amount"), (lo, "amount"), (hi, "amount")], key)
        ratio = None
        if name in summary.get("roi", {}) and name in summary.get("mroi", {}):
            ratio = metrics.saturation_ratio(summary["mroi"][name]["mean"], summary["roi"][name]["mean"])
        if ratio is not None:
            b.add(f"saturation.{key}", f"saturation of {q}",
                  f"{saturation_status(ratio)} (the next unit of spend earns {fmt_pct(ratio)} "
                  "of the average unit so far)",
                  [(ratio, "fraction")], key)


def _non_media_facts(b: _Builder, summary: Mapping[str, Any], kpi: str) -> None:
    """Each holiday's, event's and treatment's share of the KPI (``summary.json`` ``non_media``).

    Their names are data (an event level is whatever the column holds): one that is not a
    plain name is shown as its kind and number instead.
    """
    for kind, entries in (summary.get("non_media") or {}).items():
        singular = kind.removesuffix("s")
        for number, (name, entry) in enumerate(entries.items(), start=1):
            clean = sanitize_name(name)
            shown = clean if is_plain_name(str(name), clean) else f"{singular} {number}"
            mean, lo, hi = _interval(entry["share"])
            b.add(f"non_media.{singular}.{number}", f"share of {kpi} from the {singular} {shown}",
                  f"{fmt_pct(mean, 1)} (90% interval {fmt_pct(lo, 1)}–{fmt_pct(hi, 1)})",
                  [(mean, "fraction"), (lo, "fraction"), (hi, "fraction")], topic="baseline")


def _diagnostic_facts(b: _Builder, summary: Mapping[str, Any]) -> None:
    diag = summary.get("diagnostics", {}) or {}
    ok = bool(summary.get("diagnostics_ok", True))
    parts, numbers = [], []
    if diag.get("max_rhat") is not None:
        parts.append(f"largest R-hat {diag['max_rhat']:.3f}")
        numbers.append((diag["max_rhat"], "ratio"))
    if diag.get("min_ess_bulk") is not None:
        parts.append(f"smallest bulk ESS {diag['min_ess_bulk']:.0f}")
        numbers.append((diag["min_ess_bulk"], "count"))
    if diag.get("divergences") is not None:
        parts.append(f"{int(diag['divergences'])} divergent transitions")
        numbers.append((diag["divergences"], "count"))
    verdict = "passed" if ok else "FAILED: treat the results as unreliable"
    b.add("diagnostics.status", "model diagnostics",
          verdict + (f" ({', '.join(parts)})" if parts else ""), numbers, topic="diagnostics")
    for metric, label in (("r2", "R² of the fit"), ("mape", "mean absolute percentage error of the fit"),
                          ("holdout_mape", "MAPE on held-out periods"),
                          ("ppc_coverage_90", "share of periods inside the 90% predictive interval")):
        value = diag.get(metric)
        if value is None:
            continue
        if metric == "r2":
            b.add(f"fit.{metric}", label, f"{value:.2f}", [(value, "ratio")], topic="fit")
        else:
            b.add(f"fit.{metric}", label, fmt_pct(value, 1), [(value, "fraction")], topic="fit")
    for i, warning in enumerate(list(summary.get("warnings", []))[:_MAX_WARNINGS], start=1):
        text = b.scrub(str(warning))
        numbers = [(float(x.replace(",", "")), "ratio") for x in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]
        b.add(f"warning.{i}", "data or model warning", text, numbers, topic="warning")


_DECISIONS = {
    "reallocate": "reallocate the same budget as recommended below",
    "no confident change": "keep the current mix: no reallocation beats it with enough confidence",
    "keep the current mix": "keep the current mix: it is already the best plan found",
}


def _plan_facts(b: _Builder, surface: Any, originals: Sequence[str], missing: list[str]) -> str | None:
    """The recommended plan's facts; returns the planner's decision (None: no plan)."""
    from mixscope.plan import PlanError, frontier, optimize

    try:
        result = optimize(surface).to_dict()
    except PlanError as error:
        missing.append(f"plan: the optimiser found no plan ({error})")
        return None
    decision = str(result.get("decision", "reallocate"))
    if decision not in _DECISIONS:
        decision = "reallocate"
    best = result.get("best_found") or {}
    numbers = [(best.get("prob_beats_status_quo"), "fraction")] if best else []
    shown = _DECISIONS[decision]
    if best.get("prob_beats_status_quo") is not None:
        chance = fmt_pct(best["prob_beats_status_quo"])
        shown += f" (the best plan found beats it with probability {chance}, under the confidence required)"
    b.add("plan.decision", "the planner's decision", shown, numbers, topic="decision")
    total = result["total_budget"]
    b.add("plan.budget", "budget of the recommended plan (same total as now)", fmt_amount(total),
          [(total, "amount")], topic="plan")
    mean, lo, hi = _interval(result["uplift"])
    b.add("plan.uplift", "expected gain of the recommended plan over the current one",
          f"{fmt_amount(mean)} (90% interval {fmt_amount(lo)} to {fmt_amount(hi)}), "
          f"{fmt_signed_pct(result['uplift_relative'], 1)}",
          [(mean, "amount"), (lo, "amount"), (hi, "amount"), (result["uplift_relative"], "fraction")],
          topic="plan")
    mean, lo, hi = _interval(result["expected_outcome"])
    b.add("plan.outcome", "expected outcome of the recommended plan",
          f"{fmt_amount(mean)} (90% interval {fmt_amount(lo)}–{fmt_amount(hi)})",
          [(mean, "amount"), (lo, "amount"), (hi, "amount")], topic="plan")
    if result["prob_beats_current"] is not None:  # None: the recommendation is the current plan
        b.add("plan.probability", "probability the recommended plan beats the current one",
              fmt_pct(result["prob_beats_current"]), [(result["prob_beats_current"], "fraction")],
              topic="plan")
    for name in originals:
        key, q = b.key[name], b.q(name)
        now, new = result["current"][name], result["allocation"][name]
        change = new / now - 1 if now > 0 else (1.0 if new > 0 else 0.0)
        b.add(f"plan.{key}", f"recommended spend on {q} (current → recommended)",
              f"{fmt_amount(now)} → {fmt_amount(new)} ({fmt_signed_pct(change)})",
              [(now, "amount"), (new, "amount"), (new - now, "amount"), (change, "fraction")], key,
              topic="plan_channel")
        ranges = result["near_optimal_ranges"][name]
        b.add(f"range.{key}", f"near-optimal share of budget for {q} (within "
              f"{fmt_pct(result['near_optimal_tolerance'])} of the best outcome)",
              f"{fmt_pct(ranges['share_min'])}–{fmt_pct(ranges['share_max'])} of the budget "
              f"({fmt_amount(ranges['spend_min'])}–{fmt_amount(ranges['spend_max'])})",
              [(ranges["share_min"], "fraction"), (ranges["share_max"], "fraction"),
               (ranges["spend_min"], "amount"), (ranges["spend_max"], "amount"),
               (result["near_optimal_tolerance"], "fraction")], key, topic="range")
    for name, reason in result.get("binding_constraints", {}).items():
        b.add(f"constraint.{b.key[name]}", f"constraint on {b.q(name)}", b.scrub(reason), (), b.key[name],
              topic="constraint")
    move = result.get("next_dollar_at_current")
    if move:
        b.add("next_dollar", "where the next unit of budget earns most and least at current spend",
              f"most in {b.q(move['to'])}, least in {b.q(move['from'])}; moving one unit gains "
              f"{fmt_ratio(move['gain_per_dollar'])} (probability {fmt_pct(move['prob_to_beats_from'])})",
              [(move["gain_per_dollar"], "ratio"), (move["prob_to_beats_from"], "fraction")],
              topic="next_dollar")
    _frontier_facts(b, surface, frontier, missing)
    return decision


def _frontier_facts(b: _Builder, surface: Any, frontier_fn: Any, missing: list[str]) -> None:
    # A coarse grid keeps this to a few optimiser runs: highlights, not the full table.
    levels = np.array([0.8, 0.9, 1.0, 1.1, 1.2])
    try:
        table = frontier_fn(surface, levels=levels)
    except Exception as error:  # noqa: BLE001 - frontier highlights are optional extras
        missing.append(f"frontier: not computed ({type(error).__name__})")
        return
    rows = {round(float(r.budget_level), 2): r for r in table.itertuples(index=False) if r.feasible}
    base = rows.get(1.0)
    for level in (0.9, 1.1, 1.2):
        row = rows.get(level)
        if row is None or base is None:
            continue
        delta = row.outcome_mean - base.outcome_mean
        ret = delta / (row.total_spend - base.total_spend)
        label = f"best outcome with a {fmt_signed_pct(level - 1)} budget"
        b.add(f"frontier.{int(round(level * 100))}", label,
              f"{fmt_amount(row.outcome_mean)} ({'+' if delta >= 0 else '−'}{fmt_amount(abs(delta))} vs the "
              f"best plan at today's budget); return on the budget change {fmt_ratio(ret)}",
              [(row.outcome_mean, "amount"), (delta, "amount"), (level, "ratio"), (level - 1, "fraction"),
               (ret, "ratio")], topic="frontier")
    crossing = [r for r in table.itertuples(index=False) if r.feasible and r.crosses_target]
    if crossing:
        level = float(crossing[0].budget_level)
        b.add("frontier.mroi_below_1",
              "budget level beyond which an extra unit of budget returns less than 1",
              f"{level:.1f}x today's budget ({fmt_signed_pct(level - 1)})",
              [(level, "ratio"), (level - 1, "fraction"), (1.0, "ratio")], topic="frontier")
