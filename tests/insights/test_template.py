"""The template narrative always passes the same verifier the models face."""

from __future__ import annotations

import pytest

from mixscope.insights.facts import facts_from_summary
from mixscope.insights.template import template_narrative
from mixscope.insights.verify import verify
from tests.insights.conftest import synthetic_summary


@pytest.mark.parametrize("audience", ["executive", "analyst"])
def test_template_verifies_with_a_plan(surface_facts, audience):
    narrative = template_narrative(surface_facts, audience)
    result = verify(narrative, surface_facts)
    assert result.passed, result.errors
    assert narrative.findings and narrative.recommendations
    assert all(item.facts for item in narrative.findings + narrative.recommendations)


VARIANTS = [{}, {"diagnostics_ok": False}, {"channels": ["paid_search", "tv", "ooh"]}]


@pytest.mark.parametrize("audience", ["executive", "analyst"])
@pytest.mark.parametrize("kwargs", VARIANTS)
def test_template_verifies_without_a_plan(audience, kwargs):
    facts = facts_from_summary(synthetic_summary(**kwargs))
    narrative = template_narrative(facts, audience)
    result = verify(narrative, facts)
    assert result.passed, result.errors
    assert "no recommended plan" in narrative.summary


def test_executive_is_shorter_than_analyst(surface_facts):
    executive = template_narrative(surface_facts, "executive")
    analyst = template_narrative(surface_facts, "analyst")
    assert len(executive.findings) < len(analyst.findings)
    assert len(executive.recommendations) < len(analyst.recommendations)


@pytest.mark.parametrize("decision", ["no confident change", "keep the current mix"])
def test_template_moves_no_money_when_the_decision_keeps_the_mix(surface_facts, decision):
    from dataclasses import replace

    shown = {"no confident change": "keep the current mix: no reallocation beats it with enough confidence",
             "keep the current mix": "keep the current mix: it is already the best plan found"}[decision]
    facts = tuple(replace(f, display=shown) if f.id == "plan.decision" else f for f in surface_facts.facts)
    held = replace(surface_facts, decision=decision, facts=facts)
    narrative = template_narrative(held)
    assert verify(narrative, held).passed
    actions = [item.text for item in narrative.recommendations]
    # A failed diagnostic puts its own warning first; the move is the keep.
    moves = [text for text in actions if not text.startswith("Do not act")]
    assert moves[0] == shown[:1].upper() + shown[1:] + "."
    assert not any("Raise" in text or "Cut" in text for text in actions)
