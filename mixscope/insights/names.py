"""Channel and KPI names as data: sanitised for display, aliased when they could steer a model.

A name is printable, quote-free and length-limited everywhere it is shown; a
name that reads like prose or an instruction is replaced by a neutral alias
(``channel_3``) in everything a model sees, and the original, sanitised and
truncated, is kept only for display.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

NAME_LIMIT = 32  # characters of a channel/KPI name kept for display

# A plain name is short, uses only these characters and contains no word that
# could steer a model; anything else gets an alias in the prompt.
_PLAIN_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 _\-/&+.]*$")
_STEERING_WORDS = frozenset(
    [
        "ignore", "ignoring", "disregard", "forget", "instruction", "instructions", "previous", "prompt",
        "system", "assistant", "user", "say", "says", "respond", "reply", "output", "pretend", "override",
        "must", "should", "you", "your", "write", "answer", "roi", "mroi", "recommend", "recommendation",
        "json", "rule", "rules",
    ]
)
_SAFE_CHARS = re.compile(r"[^A-Za-z0-9 _\-/&+.]")


@dataclass(frozen=True)
class Channel:
    """A channel as the narrative may name it.

    ``label`` is what prose uses (the name itself when plain, else an alias),
    ``key`` its form inside fact ids, ``name`` the sanitised original for display.
    """

    key: str
    label: str
    name: str
    aliased: bool


def sanitize_name(name: Any, limit: int = NAME_LIMIT) -> str:
    """Printable, quote- and bracket-free, whitespace-collapsed, at most ``limit`` characters."""
    text = unicodedata.normalize("NFKC", str(name))
    text = _SAFE_CHARS.sub(" ", text)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or "unnamed"


def is_plain_name(original: str, clean: str) -> bool:
    """Whether ``original`` may be shown to a model as is: short, plain characters, no steering word."""
    if clean != str(original) or len(clean) > 24 or not _PLAIN_NAME.match(clean):
        return False
    words = re.split(r"[\s_\-/&+.]+", clean.lower())
    return len([w for w in words if w]) <= 3 and not any(w in _STEERING_WORDS for w in words)


def channel_table(names: Sequence[str]) -> tuple[Channel, ...]:
    """Channel labels for prose and keys for fact ids; aliases for anything not plainly a name."""
    out: list[Channel] = []
    seen: set[str] = set()
    for index, original in enumerate(names):
        clean = sanitize_name(original)
        plain = is_plain_name(str(original), clean)
        label = clean if plain else f"channel_{index + 1}"
        key = re.sub(r"[^A-Za-z0-9_\-]", "_", label)
        if key.lower() in seen:  # two names sanitising alike must stay distinguishable
            label = key = f"channel_{index + 1}"
            plain = False
        seen.add(key.lower())
        out.append(Channel(key=key, label=label, name=clean, aliased=not plain))
    return tuple(out)
