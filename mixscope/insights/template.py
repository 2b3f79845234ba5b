"""The deterministic narrative: no model, every sentence built from fact displays.

It is the fallback when a model's answer fails verification, and it must
always pass the same verifier (tested): it copies numbers exactly as the facts
show them, cites every fact it uses, and follows the recommended plan.
"""

from __future__ import annotations

from mixscope.insights.facts import Facts
from mixscope.insights.narrative import Item, Narrative

_PLAN_MOVE = 0.05  # changes smaller than this are reported as "keep"


def _q(facts: Facts, key: str) -> str:
    return f'"{facts.channel(key).label}"'


def _head(display: str) -> str:
    """A display without its parenthesised interval: '1.57 (90% interval ...)' → '1.57'."""
    return display.split(" (")[0]


def _probability(facts: Facts) -> str:
    probability = facts.get("plan.probability")
    if probability is None:
        return ""
    return f", with a {probability.display} probability of beating the current plan"


def template_narrative(facts: Facts, audience: str = "executive") -> Narrative:
    analyst = audience == "analyst"
    findings: list[Item] = []
    recommendations: list[Item] = []
    ranking = facts.ranking("mroi")
    diagnostics = facts.get("diagnostics.status")
    failed = diagnostics is not None and diagnostics.display.startswith("FAILED")

    summary = []
    if failed:
        summary.append("The model diagnostics failed, so treat everything below as provisional.")
    if len(ranking) >= 2:
        best, worst = ranking[0], ranking[-1]
        summary.append(
            f"Of the {facts.get('data.channels').display} channels, {_q(facts, best)} earns the most on "
            f"the next unit of spend (marginal ROI {_head(facts.get(f'mroi.{best}').display)}) and "
            f"{_q(facts, worst)} the least ({_head(facts.get(f'mroi.{worst}').display)})."
        )
    if facts.moves_money:
        summary.append(f"Re-allocating the same budget as recommended is expected to gain "
                       f"{facts.get('plan.uplift').display}{_probability(facts)}.")
    elif facts.has_plan:
        summary.append(f"The planner's decision: {facts.get('plan.decision').display}.")
    else:
        summary.append("No prediction surface was built, so there is no recommended plan yet.")

    # ---------------------------------------------------------------- findings
    keys = ranking if analyst else ranking[:1] + ranking[-1:] if len(ranking) > 1 else ranking
    for position, key in enumerate(keys):
        mroi, roi = facts.get(f"mroi.{key}"), facts.get(f"roi.{key}")
        cited = [mroi.id]
        text = f"{_q(facts, key)} returns {mroi.display} on the next unit of spend"
        if roi is not None:
            text += f"; its ROI so far is {roi.display}"
            cited.append(roi.id)
        text += "."
        saturation = facts.get(f"saturation.{key}")
        if saturation is not None and (analyst or position > 0):
            text += f" It is {saturation.display}."
            cited.append(saturation.id)
        findings.append(Item(text, tuple(cited)))
    prior_driven = [f for f in facts.facts if f.topic == "prior"]
    if prior_driven:  # every such channel, whatever the audience: the ROI above may be only an assumption
        names = ", ".join(_q(facts, f.channel) for f in prior_driven)
        findings.append(Item(f"The ROI of {names} comes {prior_driven[0].display}.",
                             tuple(f.id for f in prior_driven)))
    shares = facts.ranking("share")
    if shares:
        top = facts.get(f"share.{shares[0]}")
        base = facts.get("baseline_share")
        text = f"{_q(facts, shares[0])} drives {top.display} of {facts.kpi}"
        cited = [top.id]
        if base is not None:
            text += f"; {base.display} is baseline, not driven by paid media"
            cited.append(base.id)
        findings.append(Item(text + ".", tuple(cited)))
    if diagnostics is not None and (analyst or failed):
        findings.append(Item(f"Model diagnostics {diagnostics.display}.", (diagnostics.id,)))
    if analyst:
        findings += [Item(f"Warning: {f.display}", (f.id,)) for f in facts.facts if f.topic == "warning"]

    # ---------------------------------------------------------------- recommendations
    if failed:
        recommendations.append(Item(
            "Do not act on these figures until the model diagnostics pass: refit with more warmup "
            "and draws, or simplify the model.", (diagnostics.id,)))
    if facts.has_plan and not facts.moves_money:
        decision = facts.get("plan.decision").display  # "keep the current mix: <why>"
        recommendations.append(Item(f"{decision[:1].upper()}{decision[1:]}.", ("plan.decision",)))
    elif facts.has_plan:
        for key in ranking:
            change = facts.plan_change(key)
            plan = facts.get(f"plan.{key}")
            if change is None or abs(change) < _PLAN_MOVE:
                if analyst:
                    recommendations.append(Item(f"Keep {_q(facts, key)} about where it is ({plan.display}).",
                                                (plan.id,)))
                continue
            verb = "Raise" if change > 0 else "Cut"
            recommendations.append(Item(f"{verb} {_q(facts, key)}: {plan.display}.", (plan.id,)))
        cited = ("plan.uplift", "plan.probability") if facts.get("plan.probability") else ("plan.uplift",)
        recommendations.append(Item(
            f"Together the changes are expected to add {facts.get('plan.uplift').display}"
            f"{_probability(facts)}.", cited))
        if analyst:
            for key in ranking:
                rng = facts.get(f"range.{key}")
                if rng is not None:
                    recommendations.append(Item(
                        f"Any {_q(facts, key)} budget in {rng.display} is near-optimal.", (rng.id,)))
            crossing = facts.get("frontier.mroi_below_1")
            if crossing is not None:
                recommendations.append(Item(
                    f"Before growing the total budget, note that beyond {crossing.display} an extra unit "
                    "of budget returns less than 1.", (crossing.id,)))
    elif len(ranking) >= 2:
        best, worst = ranking[0], ranking[-1]
        recommendations.append(Item(
            f"Shift budget in small steps from {_q(facts, worst)} (marginal ROI "
            f"{_head(facts.get(f'mroi.{worst}').display)}) towards {_q(facts, best)} (marginal ROI "
            f"{_head(facts.get(f'mroi.{best}').display)}), then re-check.",
            (f"mroi.{worst}", f"mroi.{best}")))
    return Narrative(" ".join(summary), tuple(findings), tuple(recommendations))
