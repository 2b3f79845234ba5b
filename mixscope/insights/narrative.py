"""The shape of an explanation: a summary, findings and recommendations citing fact ids.

A model's answer becomes one through :func:`mixscope.insights.cited.read_cited`,
the template builds one directly; either is verified the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_ITEMS = 4  # findings, and recommendations, a narrative shows at most


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
