"""Narratives whose numbers come from mixscope, never from the model.

The model sees the facts in words only (``{mroi.search} marginal ROI of search:
the highest``) and answers in a few labelled lines whose sentences cite facts
by id in braces::

    SUMMARY: search earns the most on the next unit of spend {mroi.search}.
    FINDING: radio returns the least {mroi.radio}.
    ACTION: raise search {plan.search} and cut radio {plan.radio}.

:func:`read_cited` checks the answer before anything is filled in (every id is
a fact's, no digit is written, every finding and action cites a fact) and
:func:`fill` replaces each ``{id}`` with the fact's display, formatted exactly
as the template formats it. The filled narrative then faces the same verifier
as any other, which checks its claims: rankings, directions against the plan
and comparisons against the intervals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mixscope.insights.facts import Facts
from mixscope.insights.narrative import MAX_ITEMS, Item, Narrative

LABELS = {"summary": "SUMMARY", "finding": "FINDING", "action": "ACTION"}
_LINE = re.compile(r"^\W*(summary|findings?|actions?|recommendations?)\W*:\s*(.*)$", re.I)
_CITATION = re.compile(r"\{([^{}\n]{1,80})\}")
_DIGIT = re.compile(r"\d+(?:[.,]\d+)*\s*%?")
_PLAN_MOVE = 0.05  # a plan change smaller than this is "keep about the same"


@dataclass(frozen=True)
class CitedAnswer:
    """A model's answer read and filled: the narrative, or the objections that stop it."""

    narrative: Narrative | None
    problems: tuple[str, ...]


# ---------------------------------------------------------------------- what the model sees


def _no_digits(text: str) -> str:
    return " ".join(_DIGIT.sub(" ", text).split())


def brief(facts: Facts, audience: str = "executive") -> list[str]:
    """The facts as the model sees them: short clauses that end with the id to cite, no number anywhere.

    A small model writes good sentences by joining clauses it was given, citations included; so each
    fact is a clause already true of the run ("search earns the most on the next unit of spend
    {mroi.search}", "cut radio {plan.radio}"). The executive brief holds what a summary, a finding and an
    action need: the best and worst next-unit returns, what the plan raises and cuts (or that it keeps
    the mix) and its gain; the analyst brief adds ROI so far and saturation of every channel.
    """
    analyst = audience == "analyst"
    name = {channel.key: channel.label for channel in facts.channels}
    lines = []
    mroi = facts.ranking("mroi")
    if len(mroi) >= 2:
        lines.append(f"{name[mroi[0]]} earns the most on the next unit of spend {{mroi.{mroi[0]}}}")
        lines.append(f"{name[mroi[-1]]} earns the least on the next unit of spend {{mroi.{mroi[-1]}}}")
    roi = facts.ranking("roi")
    if analyst and len(roi) >= 2:
        lines.append(f"{name[roi[0]]} has the highest ROI so far {{roi.{roi[0]}}}")
        lines.append(f"{name[roi[-1]]} has the lowest ROI so far {{roi.{roi[-1]}}}")
    for key in mroi if analyst else mroi[-1:]:
        saturation = facts.get(f"saturation.{key}")
        if saturation is not None:
            status = _no_digits(saturation.display.split(" (")[0])
            lines.append(f"{name[key]} is {status} {{saturation.{key}}}")
    if facts.moves_money:
        # The largest raise and the largest cut (every move for analysts): what an action line can hold.
        moves = sorted((change, key) for key in mroi if abs(facts.plan_change(key) or 0.0) >= _PLAN_MOVE
                       for change in [facts.plan_change(key)])
        for change, key in dict.fromkeys(moves if analyst else moves[-1:] + moves[:1]):
            lines.append(f"{'raise' if change > 0 else 'cut'} {name[key]} {{plan.{key}}}")
        lines.append("the recommended plan is expected to gain {plan.uplift}")
        if facts.get("plan.probability") is not None:
            lines.append("it beats the current plan with probability {plan.probability}")
    elif facts.get("plan.decision") is not None:
        lines.append("keep the current mix {plan.decision}")
    diagnostics = facts.get("diagnostics.status")
    if diagnostics is not None and diagnostics.display.startswith("FAILED"):
        lines.append("the model diagnostics failed, so treat the results as provisional {diagnostics.status}")
    return [f"- {line}" for line in lines]


def clause_openings(facts: Facts, audience: str = "executive") -> tuple[str, ...]:
    """How a SUMMARY or FINDING line may open: one of the brief's clauses, without its id (the model
    cites it next, under the citation grammar, and goes on in its own words). A 270M model otherwise
    opens with a claim of its own ("display earns the most") that the facts contradict."""
    return tuple(dict.fromkeys(_CITATION.sub("", line[2:]).strip() for line in brief(facts, audience)))


def action_openings(facts: Facts) -> tuple[str, ...]:
    """How an ACTION line may open: the moves the facts support, so a local model chooses among true
    actions (the verifier checks the rest of the line as any other)."""
    name = {channel.key: channel.label for channel in facts.channels}
    mroi = facts.ranking("mroi")
    if facts.moves_money:
        moves = sorted((facts.plan_change(key), key) for key in mroi
                       if abs(facts.plan_change(key) or 0.0) >= _PLAN_MOVE)
        chosen = dict.fromkeys(moves[-1:] + moves[:1])
        return tuple(f"{'raise' if change > 0 else 'cut'} {name[key]}" for change, key in chosen) or ("keep",)
    if facts.has_plan:
        return ("keep the current mix",)
    if len(mroi) >= 2:
        return (f"raise {name[mroi[0]]}", f"cut {name[mroi[-1]]}", "shift budget")
    return ("keep",)


# ---------------------------------------------------------------------- reading the answer


def _resolve(raw: str, facts: Facts) -> list[str] | None:
    """The fact ids a ``{...}`` names (a comma list allowed, case and spaces forgiven); None if any is not a
    fact's id."""
    by_lower = {fact_id.lower(): fact_id for fact_id in facts.ids}
    out = []
    for part in raw.split(","):
        key = re.sub(r"\s+", "", part).lower()
        if key not in by_lower:
            return None
        out.append(by_lower[key])
    return out


def _strip_names(text: str, facts: Facts) -> str:
    for channel in sorted(facts.channels, key=lambda ch: -len(ch.label)):
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(channel.label)}(?![A-Za-z0-9])", " ", text, flags=re.I)
    return text


def fill(text: str, facts: Facts) -> str:
    """Each ``{id}`` replaced by its fact's display, in parentheses unless the model wrote them."""

    def value(match: re.Match[str]) -> str:
        ids = _resolve(match.group(1), facts) or []
        shown = "; ".join(facts.get(fact_id).display for fact_id in ids)
        before, after = text[max(match.start() - 1, 0):match.start()], text[match.end():match.end() + 1]
        inside = before == "(" and after == ")"
        return shown if inside else f"({shown})"

    filled = _CITATION.sub(value, text)
    return re.sub(r"\s+([.,;:])", r"\1", " ".join(filled.split()))


def read_cited(text: str, facts: Facts) -> CitedAnswer:
    """Read a labelled-line answer; objections (unknown ids, numbers, uncited lines) stop it unfilled."""
    summary: list[str] = []
    findings: list[tuple[str, tuple[str, ...]]] = []
    actions: list[tuple[str, tuple[str, ...]]] = []
    problems: list[str] = []
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match is None:
            continue  # chatter outside the labelled lines is never shown
        label, body = match.group(1).lower(), match.group(2).strip()
        if not body:
            continue
        cited: list[str] = []
        for citation in _CITATION.finditer(body):
            ids = _resolve(citation.group(1), facts)
            if ids is None:
                problems.append(f"{{{citation.group(1)}}} is not a fact id: cite only the ids listed")
            else:
                cited += ids
        digits = _DIGIT.findall(_CITATION.sub(" ", _strip_names(body, facts)))
        if digits:
            problems.append(f"'{body}' writes the number {digits[0].strip()}: write no numbers, cite the "
                            "fact id in braces and mixscope writes its value")
        if label == "summary":
            summary.append(body)
        elif not cited:
            problems.append(f"'{body}' cites no fact: end it with its fact's id in braces")
        elif label.startswith("finding"):
            findings.append((body, tuple(dict.fromkeys(cited))))
        elif facts.has_plan and not any(fact_id.startswith("plan.") for fact_id in cited):
            problems.append(f"'{body}' is not an action: an ACTION says what the recommended plan does and "
                            "cites its plan fact, such as {plan.uplift}")
        else:
            actions.append((body, tuple(dict.fromkeys(cited))))
    if not summary:
        problems.append("the answer has no SUMMARY: line")
    if problems:
        return CitedAnswer(None, tuple(dict.fromkeys(problems)))
    narrative = Narrative(
        fill(" ".join(summary), facts),
        tuple(Item(fill(body, facts), ids) for body, ids in findings[:MAX_ITEMS]),
        tuple(Item(fill(body, facts), ids) for body, ids in actions[:MAX_ITEMS]),
    )
    return CitedAnswer(narrative, ())
