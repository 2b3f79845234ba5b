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
these cues keeps every kind. A plan keeps the channels the words hold ("keep tv
fixed", "don't touch search"). A comparison whose words split it ("A than B",
"A with B", "A beat what we do now") is held to that split: the channels named
before the split word are one side, those named after it (or the current plan)
the other.
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
    locked_channels,
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
    comparison, the named channels (indices into the question's channels, in order) on each side
    (``sides``; an empty second side is the current plan); ``None`` where the words do not say."""

    kinds: frozenset[str] | None = None
    sides: tuple[tuple[int, ...], tuple[int, ...]] | None = None
    locked: tuple[int, ...] = ()  # named channels a plan keeps where they are ("keep tv fixed")

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
        return KindCues(frozenset({"compare"}), _sides(text))
    locked = tuple(locked_channels(text))
    for cue, kind in ((FRONTIER_CUE, "frontier"), (PLAN_CUE, "plan")):
        if cue.search(text):
            return KindCues(frozenset({kind, "whatif"} if changes_a_channel else {kind}), locked=locked)
    if not named and not question_numbers(normalised) and not _ABOUT_MONEY.search(text):
        return KindCues(frozenset({"none"}))
    return KindCues(locked=locked)


def _sides(marked: str) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """The named channels (``CH0`` ... in the marked text) on each side of a comparison, each side in the
    order it names them (a channel may be on both: "80k from tv to radio, or 80k from tv to search");
    ``()`` for a second side that is the current plan; None when the words do not split the sides."""
    parts = sides(marked)
    if len(parts) != 2:
        return None
    left, right = (tuple(dict.fromkeys(int(i) for i in re.findall(r"CH(\d+)", part))) for part in parts)
    if not left or (not right and not current_plan(parts[1])):
        return None
    return left, right
