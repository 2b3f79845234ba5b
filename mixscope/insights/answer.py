"""Run an :class:`~mixscope.insights.request.AskRequest` on a surface and write its answer, verified.

Every figure of the answer comes from the surface or planner and is written
with the template's formatting; the answer is then checked by the narrative
verifier against facts built from those same figures, so a formatting slip or a
number taken from the wrong place fails the check (``verified: false``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixscope.errors import MixscopeError
from mixscope.insights.facts import FACTS_VERSION, Fact, Facts, Number
from mixscope.insights.formatting import fmt_amount, fmt_pct, fmt_ratio, fmt_signed_pct
from mixscope.insights.names import Channel, channel_table
from mixscope.insights.narrative import Narrative
from mixscope.insights.request import AskRequest, Change
from mixscope.insights.verify import verify

FRONTIER_LEVELS = (0.8, 0.9, 1.0, 1.1, 1.2, 1.5)  # a few levels: an answer, not the full table


def fmt_probability(value: float) -> str:
    """A probability with the digits the verifier's 10% needs: ``62%``, ``3.6%``, ``0.40%``."""
    percent = abs(value) * 100
    if percent == 0 or percent >= 10:
        return fmt_pct(value)
    return fmt_pct(value, min(int(1 - np.floor(np.log10(percent))), 3))


def fmt_change(value: float) -> str:
    """A relative change with the same care for small values: ``+48%``, ``-0.30%``."""
    return ("-" if value < 0 else "+") + fmt_probability(abs(value))


@dataclass(frozen=True)
class Answered:
    text: str
    verified: bool
    result: dict[str, Any]
    checks: tuple[dict[str, Any], ...]


class _Sheet:
    """The figures an answer states, as facts the verifier holds the answer's text against."""

    def __init__(self, channels: tuple[Channel, ...], originals: Sequence[str]) -> None:
        self.channels = channels
        self.facts: list[Fact] = []
        # Text names a channel by its label (an alias for a name that reads like an instruction).
        self.key = {name: channel.key for name, channel in zip(originals, channels, strict=True)}
        self.label = {name: channel.label for name, channel in zip(originals, channels, strict=True)}
        self.add("interval", "90% interval", [(0.9, "fraction")])  # the level every interval states

    def add(self, fact_id: str, shown: str, numbers: Sequence[tuple[float, str]], channel: str | None = None,
            topic: str = "answer") -> str:
        # The fact holds the figures, not the text: a number written wrongly then matches nothing.
        self.facts.append(Fact(fact_id, "", "",
                               tuple(Number(float(v), kind) for v, kind in numbers if np.isfinite(v)),
                               None if channel is None else self.key[channel], topic))
        return shown

    def interval(self, fact_id: str, summary: Mapping[str, Any], fmt: Any = fmt_amount, kind: str = "amount",
                 channel: str | None = None, topic: str = "answer") -> str:
        mean, (low, high) = float(summary["mean"]), summary["ci_90"]
        joiner = " to " if low < 0 < high or high < 0 else "–"
        return self.add(fact_id, f"{fmt(mean)} (90% interval {fmt(low)}{joiner}{fmt(high)})",
                        [(mean, kind), (low, kind), (high, kind)], channel, topic)

    def verify(self, text: str) -> tuple[bool, tuple[dict[str, Any], ...]]:
        facts = Facts(FACTS_VERSION, "KPI", "revenue", "revenue per unit of spend", self.channels,
                      tuple(self.facts), has_plan=False)
        result = verify(Narrative(text, (), ()), facts)
        return result.passed, tuple(check.to_dict() for check in result.checks)


def resolve_changes(changes: Sequence[Change], current: Mapping[str, float]) -> dict[str, float]:
    """Spend per channel after ``changes`` (others unchanged); a receive gets what its source gave up."""
    spend = dict(current)
    freed: dict[str, float] = {}
    for change in changes:
        if change.op == "receive":
            continue
        before = spend[change.channel]
        value = float(change.value or 0.0)
        after = {"scale": before * value, "set": value, "add": before + value}[change.op]
        if after < 0:
            raise MixscopeError(f"That would take {change.channel} below zero ({fmt_amount(before)} now).")
        spend[change.channel] = after
        freed[change.channel] = before - after
    for change in changes:
        if change.op == "receive":
            if change.source not in freed:
                raise MixscopeError(f"{change.channel} receives from {change.source}, which does not change.")
            spend[change.channel] = max(spend[change.channel] + freed[change.source], 0.0)
    return spend


_UNCHANGED = 5e-4  # relative change below which a channel is reported unchanged


def _describe(sheet: _Sheet, label: str, spend: Mapping[str, float], current: Mapping[str, float]) -> str:
    # A move under half a basis point of the channel's spend is the optimiser's rounding: unchanged.
    moved = [name for name in spend
             if abs(spend[name] - current[name]) > _UNCHANGED * max(current[name], 1.0)]
    if not moved:
        return "the current plan"
    parts = []
    for name in moved:
        change = spend[name] / current[name] - 1 if current[name] > 0 else 1.0
        parts.append(f"{sheet.label[name]} " + sheet.add(
            f"{label}.{name}", f"{fmt_amount(current[name])} → {fmt_amount(spend[name])} "
            f"({fmt_change(change)})",
            [(current[name], "amount"), (spend[name], "amount"), (spend[name] - current[name], "amount"),
             (change, "fraction")], name))
    return ", ".join(parts)


def answer_request(surface: Any, request: AskRequest) -> Answered:
    """Run ``request`` on ``surface``; the answer's text, whether it verified, and the raw figures."""
    sheet = _Sheet(channel_table(surface.channels), surface.channels)
    current = surface.reference_spend
    writer = {"whatif": _whatif, "compare": _compare, "plan": _plan, "frontier": _frontier,
              "marginal": _marginal}[request.kind]
    text, result = writer(surface, request, sheet, current)
    verified, checks = sheet.verify(text)
    return Answered(text, verified, result, checks)


def _whatif(surface: Any, request: AskRequest, sheet: _Sheet, current: Mapping[str, float]):
    spend = resolve_changes(request.changes, current)
    result = surface.evaluate(spend)
    outcome = sheet.interval("outcome", result["outcome"])
    difference = sheet.interval("difference", result["difference"])
    probability = sheet.add("probability", fmt_probability(result["prob_beats_baseline_plan"]),
                            [(result["prob_beats_baseline_plan"], "fraction")])
    text = (f"With {_describe(sheet, 'spend', spend, current)}: expected outcome {outcome}; "
            f"{difference} against the current plan; probability of beating the current plan {probability}.")
    return text + _clarity(result["difference"]), {"spend": spend, "evaluation": result}


def _clarity(difference: Mapping[str, Any]) -> str:
    low, high = difference["ci_90"]
    return " The 90% interval of the difference spans zero: the data do not show a clear change." \
        if low < 0 < high else ""


def _compare(surface: Any, request: AskRequest, sheet: _Sheet, current: Mapping[str, float]):
    plan_a = resolve_changes(request.changes, current)
    plan_b = resolve_changes(request.versus, current)
    result = surface.compare(plan_a, plan_b)
    a = sheet.interval("outcome_a", result["outcome_a"])
    b = sheet.interval("outcome_b", result["outcome_b"])
    difference = sheet.interval("difference", result["difference"])
    chance = result["prob_a_beats_b"]
    probability = sheet.add("probability", fmt_probability(chance), [(chance, "fraction")])
    text = (f"Plan A ({_describe(sheet, 'a', plan_a, current)}): expected outcome {a}. "
            f"Plan B ({_describe(sheet, 'b', plan_b, current)}): expected outcome {b}. "
            f"A minus B: {difference}; probability A beats B {probability}.")
    return text + _clarity(result["difference"]), {"plan_a": plan_a, "plan_b": plan_b, "comparison": result}


def _plan(surface: Any, request: AskRequest, sheet: _Sheet, current: Mapping[str, float]):
    from mixscope.plan import Constraints, optimize

    total = sum(current.values())
    budget = request.budget if request.budget is not None else (
        request.budget_scale * total if request.budget_scale is not None else None)
    constraints = Constraints(budget=budget, max_change=request.max_change, locked=request.locked)
    result = optimize(surface, constraints).to_dict()
    allocation = result["allocation"]
    total_budget = result["total_budget"]
    budget_text = sheet.add("budget", fmt_amount(total_budget), [(total_budget, "amount")])
    outcome = sheet.interval("outcome", result["expected_outcome"])
    uplift = sheet.interval("uplift", result["uplift"])
    text = (f"Decision: {result['decision']}. Recommended plan for a total of {budget_text}: "
            f"{_describe(sheet, 'plan', allocation, current)}; expected outcome {outcome}; "
            f"{uplift} against the current plan")
    if result["prob_beats_current"] is not None:
        probability = sheet.add("probability", fmt_probability(result["prob_beats_current"]),
                                [(result["prob_beats_current"], "fraction")])
        text += f"; probability of beating the current plan {probability}"
    return text + ".", {"plan": result}


def _frontier(surface: Any, request: AskRequest, sheet: _Sheet, current: Mapping[str, float]):
    from mixscope.plan import frontier

    table = frontier(surface, levels=np.array(FRONTIER_LEVELS))
    parts = []
    for row in table.itertuples(index=False):
        if not row.feasible:
            continue
        level = f"{fmt_signed_pct(row.budget_level - 1)} budget"
        shown = sheet.interval(f"level.{row.budget_level:g}", {"mean": row.outcome_mean,
                                                             "ci_90": [row.outcome_q05, row.outcome_q95]})
        sheet.add(f"level_name.{row.budget_level:g}", level, [(row.budget_level - 1, "fraction"),
                                                             (row.total_spend, "amount")])
        parts.append(f"{level} ({fmt_amount(row.total_spend)}): best outcome {shown}")
    text = "Best expected outcome by total budget: " + "; ".join(parts) + "."
    crossing = [r for r in table.itertuples(index=False) if r.feasible and r.crosses_target]
    if crossing:
        level = crossing[0].budget_level
        shown = sheet.add("crossing", fmt_signed_pct(level - 1), [(level - 1, "fraction"), (1.0, "ratio")])
        text += f" Beyond a {shown} budget an extra unit of budget returns less than 1."
    records = [{key: (None if isinstance(v, float) and not np.isfinite(v) else v) for key, v in row.items()}
               for row in table.to_dict(orient="records")]
    return text, {"frontier": records}


def _marginal(surface: Any, request: AskRequest, sheet: _Sheet, current: Mapping[str, float]):
    from mixscope.plan import marginal_returns

    spend = resolve_changes(request.changes, current)
    result = marginal_returns(surface, spend)
    where = "the current plan" if not request.changes else _describe(sheet, "spend", spend, current)
    parts = [f"{sheet.label[name]} "
             + sheet.interval(f"mroi.{name}", summary, fmt_ratio, "ratio", name, "mroi")
             for name, summary in result["marginal_roi"].items()]
    text = f"Return on the next unit of spend (marginal ROI) at {where}: " + "; ".join(parts) + "."
    move = result.get("next_dollar")
    if move:
        probability = sheet.add("probability", fmt_probability(move["prob_to_beats_from"]),
                                [(move["prob_to_beats_from"], "fraction")])
        best, worst = sheet.label[move["to"]], sheet.label[move["from"]]
        text += (f" The next unit earns most in {best} and least in {worst} "
                 f"(probability {best} returns more than {worst}: {probability}).")
    return text, {"spend": spend, "marginal": result}
