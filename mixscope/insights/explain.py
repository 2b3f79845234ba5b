"""``explain_run``: facts → a backend's narrative → verification → retries → template fallback.

The report and the web planner call :func:`explain_run` and show
:meth:`Explanation.to_dict` / :meth:`Explanation.markdown`, so every surface
shows the same verified narrative.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mixscope.choices import AUDIENCES
from mixscope.errors import MixscopeError
from mixscope.insights import prompt
from mixscope.insights.backends import (
    DEFAULT_MAX_TOKENS,
    BackendError,
    Decoding,
    HttpBackend,
    LlamaBackend,
    ModelBackend,
    TemplateBackend,
    resolve_model_path,
)
from mixscope.insights.cited import read_cited
from mixscope.insights.facts import Facts, build_facts
from mixscope.insights.narrative import Item
from mixscope.insights.verify import Check, verify


@dataclass(frozen=True)
class Explanation:
    """A narrative with its verification status and provenance."""

    summary: str
    findings: tuple[Item, ...]
    recommendations: tuple[Item, ...]
    verified: bool
    backend: str
    checks: tuple[dict[str, Any], ...]
    fallback_reason: str | None
    facts_version: int
    missing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "findings": [item.to_dict() for item in self.findings],
            "recommendations": [item.to_dict() for item in self.recommendations],
            "verified": self.verified,
            "backend": self.backend,
            "checks": [dict(check) for check in self.checks],
            "fallback_reason": self.fallback_reason,
            "facts_version": self.facts_version,
        }

    def markdown(self) -> str:
        lines = ["## Summary", "", self.summary, ""]
        for title, items in (("Findings", self.findings), ("Recommendations", self.recommendations)):
            if items:
                lines += [f"### {title}", ""]
                lines += [f"- {item.text} _(facts: {', '.join(item.facts)})_" for item in items]
                lines.append("")
        status = "verified" if self.verified else "NOT verified"
        lines.append(f"_Narrative by the {self.backend} backend, {status} against the run's facts "
                     f"(facts v{self.facts_version})._")
        if self.fallback_reason:
            lines.append(f"_Fallback: {self.fallback_reason}_")
        lines += ["", "Checks:"]
        lines += [f"- {'✓' if c['passed'] else '✗'} {c['check']}: {c['detail']}" for c in self.checks]
        return "\n".join(lines) + "\n"


def choose_backend(model: str | os.PathLike[str] | None, endpoint: str | None) -> ModelBackend | None:
    """HTTP when an endpoint is named (``model`` is then the server's model name), else a local
    GGUF from ``model`` or ``$MIXSCOPE_LLM_MODEL``, else None: the template."""
    if endpoint:
        return HttpBackend(endpoint, model=str(model) if model else "default")
    path = resolve_model_path(model)
    return LlamaBackend(path) if path is not None else None


def explain_run(
    run_dir: str | Path, *, model: str | os.PathLike[str] | None = None, endpoint: str | None = None,
    audience: str = "executive", max_retries: int = 2, max_tokens: int | None = None, seed: int = 0,
    facts: Facts | None = None, backend: ModelBackend | None = None,
) -> Explanation:
    """Explain a run in business language; every number stated is checked against its facts.

    Without ``model``/``endpoint`` (and ``$MIXSCOPE_LLM_MODEL`` unset) the
    deterministic template narrates. With a model, an answer that fails
    verification is retried with the problems fed back, at most ``max_retries``
    times, then replaced by the template narrative with ``fallback_reason`` set.
    """
    if audience not in AUDIENCES:
        raise MixscopeError(f"--audience must be one of {', '.join(AUDIENCES)}; got '{audience}'.")
    if max_retries < 0:
        raise MixscopeError(f"max_retries must be 0 or more, got {max_retries}.")
    facts = facts if facts is not None else build_facts(run_dir)
    backend = backend if backend is not None else choose_backend(model, endpoint)
    coverage = _coverage(facts)
    if backend is None:
        return _template(facts, audience, [], None, coverage)

    base = prompt.messages(facts, audience)
    messages = base
    max_tokens = max_tokens or DEFAULT_MAX_TOKENS
    attempts: list[dict[str, Any]] = []
    reason = ""
    for attempt in range(1, max_retries + 2):
        try:
            generation = backend.generate(messages, narrative_decoding(facts, audience),
                                          max_tokens=max_tokens, seed=seed + attempt - 1)
        except BackendError as error:
            reason = f"{backend.name} backend failed: {error}"
            attempts.append(Check(f"attempt {attempt} ({backend.name})", False, str(error)).to_dict())
            break
        cost = f"{generation.completion_tokens or '?'} tokens in {generation.seconds:.1f} s"
        answer = read_cited(generation.text, facts)
        narrative = answer.narrative
        if narrative is None:
            cut = " (the answer hit the token limit)" if generation.finish_reason == "length" else ""
            feedback = "\n".join(f"- {problem}" for problem in answer.problems[:8])
            attempts.append(Check(f"attempt {attempt} ({backend.name})", False,
                                  f"{cost}; unusable answer{cut}: {answer.problems[0]}").to_dict())
        else:
            verification = verify(narrative, facts)
            attempts.append(Check(
                f"attempt {attempt} ({backend.name})", verification.passed,
                f"{cost}; " + ("passed every check" if verification.passed
                               else f"{len(verification.errors)} problem(s): {verification.errors[0]}"),
            ).to_dict())
            if verification.passed:
                checks = tuple(attempts + [c.to_dict() for c in verification.checks] + coverage)
                return Explanation(
                    _with_missing(narrative.summary, facts), narrative.findings, narrative.recommendations,
                    True, backend.name, checks, None, facts.version, facts.missing,
                )
            feedback = verification.feedback()
        reason = f"{backend.name} backend: {attempt} attempt(s) failed verification"
        # Retry from the original prompt plus the last answer only: the context stays bounded.
        messages = prompt.retry_messages(base, generation.text, feedback)
    return _template(facts, audience, attempts, reason or "no answer", coverage)


def narrative_decoding(facts: Facts, audience: str = "executive") -> Decoding:
    """Free text with no digit in it: the model cites facts, mixscope writes every number. A run whose
    channel names hold digits (an alias such as channel_3) keeps digits; its answers are checked for
    numbers all the same. The model may cite only the facts its brief gives it."""
    named_with_digits = any(ch.isdigit() for channel in facts.channels for ch in channel.label)
    return Decoding(forbid_digits=not named_with_digits, scaffold=prompt.scaffold(facts, audience),
                    citations=prompt.citations(facts, audience))


def _template(facts: Facts, audience: str, attempts: list[dict[str, Any]], reason: str | None,
              coverage: list[dict[str, Any]]) -> Explanation:
    narrative = TemplateBackend().narrate(facts, audience)
    verification = verify(narrative, facts)
    if reason:
        reason += "; showing the template narrative instead"
    return Explanation(
        narrative.summary, narrative.findings, narrative.recommendations, verification.passed, "template",
        tuple(attempts + [c.to_dict() for c in verification.checks] + coverage), reason, facts.version,
        facts.missing,
    )


def _coverage(facts: Facts) -> list[dict[str, Any]]:
    if not facts.missing:
        return [Check("coverage", True, "summary, channel metrics, recommended plan and frontier").to_dict()]
    return [Check("coverage", False, "; ".join(facts.missing)).to_dict()]


def _with_missing(summary: str, facts: Facts) -> str:
    # A model may not mention what it was not given; the reader must still know.
    if facts.has_plan or "no recommended plan" in summary.lower():
        return summary
    return summary + " (No recommended plan: the run has no prediction surface yet.)"
