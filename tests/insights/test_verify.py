"""The verifier on hand-written texts: what it accepts and what it catches."""

from __future__ import annotations

import pytest

from mixscope.insights.narrative import Item, Narrative
from mixscope.insights.verify import extract_numbers, verify

SUMMARY = "search earns 1.57 on the next unit of spend."


def narrative(summary: str, findings=(), recommendations=()) -> Narrative:
    return Narrative(summary, tuple(Item(t, tuple(f)) for t, f in findings),
                     tuple(Item(t, tuple(f)) for t, f in recommendations))


def errors_of(facts, summary: str, findings=(), recommendations=()) -> tuple[str, ...]:
    return verify(narrative(summary, findings, recommendations), facts).errors


def test_number_formats_are_read():
    text = "$2,699,185, 2.7M, 635k, 97%, 0.73–2.03, 1.2 million"
    found = [(q.value, q.percent) for q in extract_numbers(text)]
    assert found == [(2699185, False), (2.7e6, False), (635e3, False), (97, True), (0.73, False),
                     (2.03, False), (1.2e6, False)]


@pytest.mark.parametrize("text", [
    "search returns 1.57 on the next unit of spend.",
    "search returns 1.6 on the next unit of spend.",  # within the rounding the text chose
    "Current tv spend is 2.7M, or $2,699,185 exactly, or 2,699k.",
    "search drives 9% of revenue (90% interval 4.5%–15.6%).",
    "The ROI of tv is 1.27, with a 90% interval from 0.73 to 2.03.",
    "The model saw 156 periods from 2022-01-03 to 2024-12-23 across 3 channels.",
    "Baseline is 85.8% of revenue.",
])
def test_numbers_within_rounding_pass(summary_facts, text):
    assert errors_of(summary_facts, text) == ()


@pytest.mark.parametrize("text, needle", [
    ("search returns 2.2 on the next unit of spend.", "'2.2' is not in the facts"),
    ("Current tv spend is 3M.", "'3M' is not in the facts"),  # coarser than 10%: not a rounding
    ("search drives 9.5% of revenue.", "'9.5%' is not in the facts"),
    ("radio returns 1.57 on the next unit of spend.", "is a figure for search, not for radio"),
    ("ROI is 100 for every channel.", "'100' is not in the facts"),
])
def test_wrong_numbers_are_caught(summary_facts, text, needle):
    errors = errors_of(summary_facts, text)
    assert any(needle in e for e in errors), errors


def test_unknown_channels_are_caught(summary_facts):
    errors = errors_of(summary_facts, 'Email and "podcasts" both outperform tv.')
    assert any("'Email'" in e for e in errors) and any("'podcasts'" in e for e in errors), errors
    assert errors_of(summary_facts, "channel_7 is the strongest.")
    assert errors_of(summary_facts, 'tv, "search" and radio are the channels.') == ()


@pytest.mark.parametrize("text, needle", [
    ("Cut search to fund other channels.", "highest marginal ROI; cutting it"),
    ("Increase radio spend next quarter.", "lowest marginal ROI; raising it"),
    ("Shift budget from search to radio.", "highest marginal ROI"),
    ("radio has the highest marginal ROI.", "the highest mroi is search's"),
    ("tv has the lowest ROI of all channels.", "the lowest roi is radio's"),
])
def test_contradicted_claims_are_caught(summary_facts, text, needle):
    errors = errors_of(summary_facts, SUMMARY, recommendations=[(text, ["mroi.search"])])
    assert any(needle in e for e in errors), errors


@pytest.mark.parametrize("text", [
    "Shift budget from radio to search.",
    "Do not cut search.",
    "search has the highest marginal ROI and radio the lowest.",
    "Keep tv where it is.",
])
def test_supported_claims_pass(summary_facts, text):
    cited = ["mroi.search", "mroi.radio", "mroi.tv"]
    assert errors_of(summary_facts, SUMMARY, recommendations=[(text, cited)]) == ()


def test_citations(summary_facts):
    errors = errors_of(summary_facts, SUMMARY, findings=[("search returns 1.57.", [])])
    assert any("cites no fact" in e for e in errors)
    errors = errors_of(summary_facts, SUMMARY, findings=[("search returns 1.57.", ["roi.search"])])
    assert any("does not cite" in e for e in errors), errors
    errors = errors_of(summary_facts, SUMMARY, findings=[("search returns 1.57.", ["nope.search"])])
    assert any("not a fact" in e for e in errors)
    assert errors_of(summary_facts, SUMMARY, findings=[("search returns 1.57.", ["mroi.search"])]) == ()


def test_plan_direction_is_checked(surface_facts):
    raised = [ch.key for ch in surface_facts.channels if (surface_facts.plan_change(ch.key) or 0) > 0.05]
    cut = [ch.key for ch in surface_facts.channels if (surface_facts.plan_change(ch.key) or 0) < -0.05]
    assert raised and cut
    # No figure in the summary: these facts come from a real fit, whose numbers vary by CPU.
    summary = f"The plan moves budget towards {raised[0]}."

    def recommend(text: str, fact: str) -> tuple[str, ...]:
        return errors_of(surface_facts, summary, recommendations=[(text, [fact])])

    assert recommend(f"Raise {raised[0]} as planned.", f"plan.{raised[0]}") == ()
    errors = recommend(f"Cut {raised[0]} this quarter.", f"plan.{raised[0]}")
    assert any("raises" in e for e in errors), errors
    cut_text = f"Increase {cut[-1]} this quarter."
    errors = errors_of(surface_facts, summary, recommendations=[(cut_text, [f"plan.{cut[-1]}"])])
    assert any("cuts" in e for e in errors), errors
    # The uplift and its probability can be quoted as the facts round them.
    uplift = surface_facts.get("plan.uplift").display.split(" (")[0]
    probability = surface_facts.get("plan.probability").display
    text = f"The plan adds about {uplift} with a {probability} chance of beating the current plan."
    assert errors_of(surface_facts, text) == ()


def test_saturation_claims(summary_facts):
    assert summary_facts.get("saturation.radio").display.startswith("close to saturation")
    assert summary_facts.get("saturation.tv").display.startswith("far from saturation")
    def check(text: str, fact: str) -> tuple[str, ...]:
        return errors_of(summary_facts, SUMMARY, findings=[(text, [fact])])

    assert any("close to saturation" in e for e in check("radio is far from saturation.", "saturation.radio"))
    assert any("not saturated" in e for e in check("tv is saturated.", "saturation.tv"))
    assert check("radio is close to saturation.", "saturation.radio") == ()


def test_empty_or_generic_prose_is_rejected(summary_facts):
    assert any("too short" in e for e in errors_of(summary_facts, "Yes."))
    generic = "The results of this marketing mix model are shown in the table below for all media channels."
    errors = errors_of(summary_facts, SUMMARY, findings=[(generic, ["data.periods", "data.channels"])])
    assert any("uses none of the facts it cites" in e for e in errors), errors
    assert any("names no channel" in e for e in errors_of(summary_facts, "The model is fitted on the data."))
