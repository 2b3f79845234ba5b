"""Which kinds of request a question's words admit, and where a comparison splits its sides.

The model behind ``ask`` chooses the kind of request under a grammar
(:func:`mixscope.insights.ask.request_grammar`). A 270M model copies the kind of
the worked examples it saw last more often than it reads the question, so the
grammar narrows the kind by the same words the rule-based reader goes by
(:mod:`mixscope.insights.rules`)::

    next dollar, marginal, mROI             → marginal
    compare, vs, better than, beat, A or B?  → compare (when a named channel can be changed)
    frontier, how much should we spend       → frontier
    allocate, optimise, best plan/mix/split  → plan
    no channel, no number, no word about money or media → none

A frontier or plan cue leaves ``whatif`` open when the question also changes a
named channel ("what if we cut tv by 10% in the plan?"). A question with none of
these cues keeps every kind. A comparison whose words split it ("A than B",
"A with B", "A beat what we do now") is held to that split: the channels named
before the split word are one side, the rest (or the current plan) the other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mixscope.insights.request import question_numbers
from mixscope.insights.rules import (
    COMPARE_CUE,
    FRONTIER_CUE,
    MARGINAL_CUE,
    PLAN_CUE,
    current_plan,
    mark_channels,
    sides,
)

# Words that put a question about budgets, spend and returns within reach of a request.
_ABOUT_MONEY = re.compile(
    r"\b(?:spend\w*|spent|budget\w*|money|cost\w*|invest\w*|dollars?|euros?|pounds?|returns?|roi|mroi|"
    r"roas|sales|revenue|profit\w*|kpi|uplift|outcome\w*|channels?|media|marketing|ads?|advertising|"
    r"campaigns?|plan\w*|mix|split|allocat\w*|reallocat\w*|optimi[sz]\w*|frontier|marginal|cut|raise|"
    r"what if|compare)\b|\bx\d")


@dataclass(frozen=True)
class KindCues:
    """What a question's words say about its request: the kinds admitted (``None``: every kind) and, for a
    comparison, how many of the named channels make its first side (``split``) and whether the other side
    is the current plan (``versus_current``); ``None`` where the words do not say."""

    kinds: frozenset[str] | None = None
    split: int | None = None
    versus_current: bool | None = None

    def admits(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds


def kind_cues(normalised: str, named: Sequence[str], changes: Mapping[str, Sequence[str]]) -> KindCues:
    """The kinds a (normalised) question admits, given the channels it names (``named``, in order) and the
    change forms its numbers allow each of them (:attr:`NumberForms.changes`)."""
    text = mark_channels(normalised, named)
    changeable = bool(named) and bool(changes.get(named[0]))
    changes_a_channel = any(changes.get(name) for name in named)
    if MARGINAL_CUE.search(text):
        return KindCues(frozenset({"marginal"}))
    if COMPARE_CUE.search(text) and changeable:
        split, versus_current = _split(text, len(named))
        return KindCues(frozenset({"compare"}), split, versus_current)
    for cue, kind in ((FRONTIER_CUE, "frontier"), (PLAN_CUE, "plan")):
        if cue.search(text):
            return KindCues(frozenset({kind, "whatif"} if changes_a_channel else {kind}))
    if not named and not question_numbers(normalised) and not _ABOUT_MONEY.search(text):
        return KindCues(frozenset({"none"}))
    return KindCues()


def _split(marked: str, count: int) -> tuple[int | None, bool | None]:
    """How many named channels (``CH0`` ... in order) the first side of a comparison holds, and whether
    the second is the current plan; ``(None, None)`` when the sides are not the named channels in order."""
    parts = sides(marked)
    if len(parts) != 2:
        return None, None
    left, right = ({int(i) for i in re.findall(r"CH(\d+)", part)} for part in parts)
    split = len(left)
    if left != set(range(split)) or right - set(range(split, count)) or not split:
        return None, None
    if not right:
        return (split, True) if current_plan(parts[1]) else (None, None)
    return split, False

