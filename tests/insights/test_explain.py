"""explain_run: the contract, retries with feedback, and the fallback."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from mixscope.errors import MixscopeError
from mixscope.insights import explain_run
from mixscope.insights.backends import BackendError, Generation
from mixscope.insights.facts import facts_from_summary
from mixscope.insights.template import template_narrative
from tests.insights.conftest import synthetic_summary, write_run

KEYS = {"summary", "findings", "recommendations", "verified", "backend", "checks", "fallback_reason",
        "facts_version"}


@dataclass
class ScriptedBackend:
    """Answers from a list, recording the messages it was sent."""

    answers: list[str]
    name: str = "scripted"
    seen: list[list[dict[str, str]]] = field(default_factory=list)

    def generate(self, messages, decoding, *, max_tokens, seed):
        self.seen.append(messages)
        answer = self.answers[min(len(self.seen) - 1, len(self.answers) - 1)]
        if isinstance(answer, Exception):
            raise answer
        return Generation(answer, 0.01, 10, "stop")


@pytest.fixture
def run_dir(tmp_path):
    return write_run(tmp_path / "run", synthetic_summary())


GOOD = (
    "SUMMARY: search earns the most on the next unit of spend {mroi.search} and radio the least "
    "{mroi.radio}.\n"
    "FINDING: search returns the most on the next unit of spend {mroi.search}.\n"
    "ACTION: shift budget from radio to search {mroi.radio, mroi.search}.\n"
)
# A number written by the model, an invented channel and a cut of the best channel.
BAD = (
    "SUMMARY: Email is the best channel, with an ROI of 4.2.\n"
    "FINDING: search returns {mroi.search}.\n"
    "ACTION: Cut search {mroi.search}.\n"
)
# Well-formed, but its claims are wrong: the verifier, not the reader, rejects it.
WRONG_CLAIM = (
    "SUMMARY: radio earns the most on the next unit of spend {mroi.radio}.\n"
    "FINDING: search returns the most on the next unit of spend {mroi.search}.\n"
    "ACTION: cut search {mroi.search}.\n"
)


def test_template_without_a_model(run_dir, monkeypatch):
    monkeypatch.delenv("MIXSCOPE_LLM_MODEL", raising=False)
    explanation = explain_run(run_dir)
    payload = explanation.to_dict()
    assert set(payload) == KEYS
    assert payload["verified"] and payload["backend"] == "template" and payload["fallback_reason"] is None
    assert payload["facts_version"] == 2
    assert all({"check", "passed", "detail"} == set(c) for c in payload["checks"])
    # No surface: the plan parts are reported missing, in the checks and the summary.
    coverage = next(c for c in payload["checks"] if c["check"] == "coverage")
    assert not coverage["passed"] and "mixscope surface" in coverage["detail"]
    assert "no recommended plan" in payload["summary"]
    text = explanation.markdown()
    assert text.startswith("## Summary") and "### Recommendations" in text and "verified" in text


def test_verified_model_answer_is_used(run_dir):
    backend = ScriptedBackend([GOOD])
    explanation = explain_run(run_dir, backend=backend)
    assert explanation.verified and explanation.backend == "scripted" and explanation.fallback_reason is None
    assert explanation.findings[0].facts == ("mroi.search",)
    # mixscope wrote the numbers: the fact's display, exactly as the template formats it.
    assert explanation.findings[0].text == (
        "search returns the most on the next unit of spend (1.57 (90% interval 1.23–1.94)).")
    assert explanation.recommendations[0].facts == ("mroi.radio", "mroi.search")
    assert "No recommended plan" in explanation.summary  # what the model was not given is still said
    assert len(backend.seen) == 1


def test_retry_feeds_the_errors_back(run_dir):
    backend = ScriptedBackend([BAD, GOOD])
    explanation = explain_run(run_dir, backend=backend)
    assert explanation.verified and explanation.backend == "scripted"
    retry = backend.seen[1]
    assert retry[-2] == {"role": "assistant", "content": BAD}
    assert "failed verification" in retry[-1]["content"] and "writes the number 4.2" in retry[-1]["content"]
    attempts = [c for c in explanation.checks if c["check"].startswith("attempt")]
    assert [c["passed"] for c in attempts] == [False, True]


def test_claims_are_verified_after_filling(run_dir):
    backend = ScriptedBackend([WRONG_CLAIM, GOOD])
    explanation = explain_run(run_dir, backend=backend)
    feedback = backend.seen[1][-1]["content"]
    assert "the most mroi is search's, not radio's" in feedback
    assert "search has the highest marginal ROI; cutting it is not supported" in feedback
    assert explanation.verified and explanation.backend == "scripted"


def test_fallback_after_bounded_retries(run_dir):
    backend = ScriptedBackend([BAD, "no labelled lines at all"])
    explanation = explain_run(run_dir, backend=backend, max_retries=2)
    assert len(backend.seen) == 3
    assert explanation.backend == "template" and explanation.verified
    assert "3 attempt(s) failed verification" in explanation.fallback_reason
    assert "template narrative" in explanation.fallback_reason
    facts = facts_from_summary(synthetic_summary())
    assert explanation.summary == template_narrative(facts).summary
    assert "Fallback:" in explanation.markdown()


def test_backend_failure_falls_back_at_once(run_dir):
    backend = ScriptedBackend([BackendError("connection refused")])
    explanation = explain_run(run_dir, backend=backend)
    assert len(backend.seen) == 1 and explanation.backend == "template"
    assert "connection refused" in explanation.fallback_reason


def test_configuration_errors_are_raised(run_dir, tmp_path):
    with pytest.raises(MixscopeError, match="--audience"):
        explain_run(run_dir, audience="board")
    with pytest.raises(MixscopeError, match="does not exist"):
        explain_run(run_dir, model=tmp_path / "missing.gguf")
    with pytest.raises(MixscopeError, match="http"):
        explain_run(run_dir, endpoint="ftp://example")
    with pytest.raises(MixscopeError, match="summary.json"):
        explain_run(tmp_path)


def test_with_surface_uses_the_plan(national_surface_dir):
    explanation = explain_run(national_surface_dir, audience="analyst")
    assert explanation.verified
    cited = {fact for item in explanation.recommendations for fact in item.facts}
    assert "plan.uplift" in cited
    assert all(c["passed"] for c in explanation.checks)


def test_a_citation_after_a_channels_name_is_that_channels_or_the_runs():
    from mixscope.insights.backends import citable

    citations = (("mroi.tv", "tv"), ("mroi.ctv", "ctv"), ("plan.tv", "tv"), ("plan.uplift", ""))
    assert citable(citations, "SUMMARY: tv earns the most ") == ["mroi.tv", "plan.tv", "plan.uplift"]
    # A name inside another (tv in ctv) is not that channel; the last name since the last citation counts.
    assert citable(citations, "raise tv {plan.tv} and ctv ") == ["mroi.ctv", "plan.uplift"]
    assert citable(citations, "the plan is expected to gain ") == [fact_id for fact_id, _ in citations]


def test_the_model_may_cite_only_what_its_brief_gives_it():
    from mixscope.insights.explain import narrative_decoding
    from mixscope.insights.prompt import brief

    facts = facts_from_summary(synthetic_summary())
    citations = narrative_decoding(facts).citations
    briefed = "\n".join(brief(facts))
    assert citations and all(f"{{{fact_id}}}" in briefed for fact_id, _ in citations)
    labels = {channel.key: channel.label for channel in facts.channels}
    assert all(label == labels.get(facts.get(fact_id).channel or "", "") for fact_id, label in citations)


def test_grammar_literals_hold_whatever_a_name_holds():
    # Openings and citations are written into GBNF from channel names: quotes and backslashes stay inside
    # their literal, so a name cannot add an alternative.
    import re

    from mixscope.insights.backends import gbnf_alternatives
    from tests.insights.test_forms import _regex

    values = ['raise tv" | "cut', "a\\b"]
    body = f"({gbnf_alternatives(values)})"
    pattern = _regex(body, {})
    assert all(re.fullmatch(pattern, value) for value in values)
    assert not re.fullmatch(pattern, "raise tv") and not re.fullmatch(pattern, "cut")
