"""The shape of an explanation: a summary, findings and recommendations citing fact ids.

The same JSON schema constrains the model's output and is checked on parsing,
so a narrative from any backend is handled identically afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mixscope.errors import MixscopeError

SUMMARY_LIMIT = 600  # characters; keeps generations short on a 2-core machine
ITEM_LIMIT = 300
MAX_ITEMS = 4


class NarrativeError(MixscopeError):
    """A backend's output is not a narrative of the expected shape."""


@dataclass(frozen=True)
class Item:
    """One finding or recommendation and the ids of the facts it rests on."""

    text: str
    facts: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "facts": list(self.facts)}


@dataclass(frozen=True)
class Narrative:
    summary: str
    findings: tuple[Item, ...]
    recommendations: tuple[Item, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "findings": [item.to_dict() for item in self.findings],
            "recommendations": [item.to_dict() for item in self.recommendations],
        }

    def texts(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """``(where, text, cited ids)`` for every piece of prose."""
        out = [("summary", self.summary, ())]
        out += [(f"finding {i}", it.text, it.facts) for i, it in enumerate(self.findings, start=1)]
        out += [
            (f"recommendation {i}", it.text, it.facts)
            for i, it in enumerate(self.recommendations, start=1)
        ]
        return out

    @classmethod
    def parse(cls, raw: str | dict[str, Any]) -> Narrative:
        """Parse and shape-check a backend's JSON answer (raises :class:`NarrativeError`)."""
        if isinstance(raw, str):
            try:
                # strict=False: grammar-constrained strings may hold raw newlines, which mean no harm here.
                payload = json.loads(_strip_fences(raw), strict=False)
            except json.JSONDecodeError as error:
                where = f"{error.msg} at char {error.pos}"
                raise NarrativeError(f"the answer is not valid JSON ({where})") from None
        else:
            payload = raw
        if not isinstance(payload, dict):
            raise NarrativeError("the answer must be a JSON object")
        summary = payload.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            raise NarrativeError("'summary' must be a non-empty string")
        return cls(
            summary.strip(), _items(payload, "findings"), _items(payload, "recommendations")
        )


def _strip_fences(text: str) -> str:
    # Models served over HTTP without a schema like to wrap JSON in ``` fences.
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text


def _items(payload: dict[str, Any], key: str) -> tuple[Item, ...]:
    values = payload.get(key)
    if not isinstance(values, list):
        raise NarrativeError(f"'{key}' must be a list")
    items = []
    for i, value in enumerate(values, start=1):
        if not isinstance(value, dict) or not isinstance(value.get("text"), str):
            raise NarrativeError(f"{key}[{i}] must be an object with a 'text' string")
        facts = value.get("facts", [])
        if not isinstance(facts, list) or not all(isinstance(f, str) for f in facts):
            raise NarrativeError(f"{key}[{i}].facts must be a list of fact ids")
        if value["text"].strip():
            items.append(Item(value["text"].strip(), tuple(facts)))
    return tuple(items)


def json_schema(fact_ids: Sequence[str], max_tokens: int | None = None) -> dict[str, Any]:
    """The output schema: fact ids are an enum, so a citation can only name a real fact.

    String lengths and item counts are sized to ``max_tokens`` (about 3 characters
    a token, after the JSON's own tokens), so a constrained answer closes its
    JSON before the token limit instead of being cut off.
    """
    summary_limit, item_limit, max_items = SUMMARY_LIMIT, ITEM_LIMIT, MAX_ITEMS
    if max_tokens is not None and max_tokens < 400:
        max_items = 1 if max_tokens < 250 else 2
        chars = max(max_tokens - 20 - 2 * max_items * 22, 20) * 3
        summary_limit = max(chars * 2 // 5, 30)
        item_limit = max((chars - summary_limit) // (2 * max_items), 30)
    item = {
        "type": "object",
        "properties": {
            "text": {"type": "string", "maxLength": item_limit},
            "facts": {"type": "array", "items": {"type": "string", "enum": list(fact_ids)},
                      "minItems": 1, "maxItems": 3 if max_items > 1 else 1},
        },
        "required": ["text", "facts"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "maxLength": summary_limit},
            "findings": {"type": "array", "items": item, "maxItems": max_items},
            "recommendations": {"type": "array", "items": item, "maxItems": max_items},
        },
        "required": ["summary", "findings", "recommendations"],
        "additionalProperties": False,
    }
