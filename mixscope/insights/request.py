"""A planner's question as a structured request, and the rule-based reader that needs no model.

A request names its kind (``whatif``, ``compare``, ``plan``, ``frontier``,
``marginal``, or ``none`` for a question outside these) and its spend changes
or constraints. Models write it in a one-line form (:func:`parse_line`)::

    whatif tv cut 20% search from tv        cut tv by 20% and move it to search
    whatif social x2                     double social
    whatif tv to 150000                    spend 150k on tv
    whatif tv cut 100000 search raise 100000     move 100k from tv to search
    compare tv raise 10% vs search raise 10%       (``vs current``: against the current plan)
    plan budget=1200000 change=30% lock=tv
    plan budget=x1.1                     10% more budget
    frontier
    marginal                             (``marginal tv x1.5``: at another plan)
    none

Questions are first normalised (:func:`normalise`): channel nicknames become
the run's channel names, amounts such as ``200k`` or ``$1.2M`` become plain
numbers, ``double``/``halve`` become ``x2``/``x0.5``, and the verbs of change
become ``cut`` and ``raise`` (the words a request line uses). Every number a request
holds must be one of the question's (:func:`question_numbers`), so a model
cannot invent an amount.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KINDS = ("whatif", "compare", "plan", "frontier", "marginal", "none")
QUESTION_LIMIT = 300  # characters of a question kept; a planner's question is a sentence or two

# Words planners use for a channel, by the channel name they usually mean. A nickname applies only when the
# run has that channel and no channel of the nickname's own name.
NICKNAMES: Mapping[str, tuple[str, ...]] = {
    "tv": ("television", "telly", "tv ads", "linear tv"),
    "search": ("paid search", "sem", "ppc", "google ads", "google", "adwords", "search ads"),
    "social": ("facebook", "fb", "meta", "instagram", "insta", "paid social", "social media", "tiktok"),
    "display": ("banners", "banner ads", "programmatic", "display ads"),
    "radio": ("audio", "radio ads"),
    "video": ("youtube", "online video", "olv"),
    "ooh": ("outdoor", "billboards", "out of home", "out-of-home"),
    "print": ("newspapers", "magazines", "press"),
}
# Verbs of change, written as the request line writes them (a small model copies words it was shown).
_VERBS = {"cut": ("reduce", "reducing", "lower", "lowering", "decrease", "decreasing", "trim", "trimming",
                  "cutting"),
          "raise": ("increase", "increasing", "boost", "boosting", "grow", "growing", "raising")}
_MULTIPLIER_WORDS = {"double": "x2", "doubled": "x2", "doubling": "x2", "triple": "x3", "tripled": "x3",
                     "tripling": "x3", "halve": "x0.5", "halved": "x0.5", "halving": "x0.5", "half": "x0.5"}
STOP_WORDS = re.compile(r"\b(?:stop|stopped|stopping|pause|paused|pausing|kill|killing|drop|dropped|"
                        r"turn(?:ed|ing)? off|switch(?:ed|ing)? off|zero out|cancel|cancell?ing)\b")
_AMOUNT = re.compile(r"(?<![\w.])(?:\$\s?)?(\d+(?:,\d{3})*(?:\.\d+)?)"
                     r"(?:\s?(k|m|mn|mm|million|thousand|bn|b))?\b(?!%)")
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9}


@dataclass(frozen=True)
class Change:
    """One channel's spend change: ``scale`` (a multiplier), ``set`` (an amount), ``add`` (a signed
    amount), or ``receive`` (what ``source`` gave up)."""

    channel: str
    op: str
    value: float | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"channel": self.channel, "op": self.op}
        if self.value is not None:
            out["value"] = self.value
        if self.source is not None:
            out["source"] = self.source
        return out


@dataclass(frozen=True)
class AskRequest:
    """What a question asks, in a form the surface and planner can run.

    ``changes``: the plan of a what-if or marginal question, or plan A of a comparison;
    ``versus``: plan B (empty: the current plan). ``budget`` / ``budget_scale``: a plan's
    total as an amount or a multiple of today's; ``max_change``: a fraction; ``locked``:
    channels kept at current spend.
    """

    kind: str
    changes: tuple[Change, ...] = ()
    versus: tuple[Change, ...] = ()
    budget: float | None = None
    budget_scale: float | None = None
    max_change: float | None = None
    locked: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.changes:
            out["changes"] = [change.to_dict() for change in self.changes]
        if self.versus:
            out["versus"] = [change.to_dict() for change in self.versus]
        for key in ("budget", "budget_scale", "max_change"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.locked:
            out["locked"] = list(self.locked)
        return out

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> AskRequest:
        def changes(key: str) -> tuple[Change, ...]:
            return tuple(Change(c["channel"], c["op"], c.get("value"), c.get("source"))
                         for c in payload.get(key, ()))

        return canonical(cls(
            payload["kind"], changes("changes"), changes("versus"), payload.get("budget"),
            payload.get("budget_scale"), payload.get("max_change"), tuple(payload.get("locked", ())),
        ))


def canonical(request: AskRequest) -> AskRequest:
    """One spelling per request: rounded numbers, a receive from an amount cut turned into that amount."""

    def tidy(changes: tuple[Change, ...]) -> tuple[Change, ...]:
        given = {c.channel: c for c in changes}
        out = []
        for change in changes:
            source = given.get(change.source or "")
            if change.op == "receive" and source is not None and source.op == "add" and source.value:
                change = Change(change.channel, "add", -source.value)
            value = None if change.value is None else round(float(change.value), 6)
            source_name = change.source if change.op == "receive" else None
            out.append(Change(change.channel, change.op, value, source_name))
        return tuple(sorted(out, key=lambda c: c.channel))

    def number(value: float | None) -> float | None:
        return None if value is None else round(float(value), 6)

    return AskRequest(request.kind, tidy(request.changes), tidy(request.versus), number(request.budget),
                      number(request.budget_scale), number(request.max_change),
                      tuple(sorted(set(request.locked))))


# ---------------------------------------------------------------------- normalising a question


def clean_question(question: str) -> str:
    """Printable, whitespace-collapsed, at most :data:`QUESTION_LIMIT` characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(question))
    return " ".join(text.split())[:QUESTION_LIMIT]


def nickname_table(channels: Sequence[str]) -> dict[str, str]:
    """Phrase → channel for this run: each channel's own name, and the usual nicknames of the ones it has."""
    table = {name.lower(): name for name in channels}
    for name in channels:
        table.setdefault(name.lower().replace("_", " "), name)
        for nickname in NICKNAMES.get(name.lower(), ()):
            table.setdefault(nickname, name)
    return table


def _amount_text(match: re.Match[str]) -> str:
    value = float(match.group(1).replace(",", "")) * _SCALE.get((match.group(2) or "").lower(), 1.0)
    return f"{value:.10g}"


def whole_word(phrase: str) -> str:
    """A pattern matching ``phrase`` (a channel name or nickname, lower case) as a whole word: names hold
    spaces and hyphens, so ``tv`` must not match inside ``ctv`` or ``tv-led``."""
    return rf"(?<![\w-]){re.escape(phrase)}(?![\w-])"


def normalise(question: str, channels: Sequence[str]) -> str:
    """Lower case; nicknames → channel names; ``200k``/``$1.2M`` → ``200000``/``1200000``; ``double`` →
    ``x2``; ``stop tv`` → ``tv =0``. Channel names are matched as whole words."""
    text = clean_question(question).lower().replace("’", "'")
    for phrase, name in sorted(nickname_table(channels).items(), key=lambda item: -len(item[0])):
        text = re.sub(whole_word(phrase), f"\x00{channels.index(name)}\x00", text)
    text = _AMOUNT.sub(_amount_text, text)
    text = re.sub(r"(\d)\s?(?:percent|per cent|pct)\b", r"\1%", text)
    for word, multiplier in _MULTIPLIER_WORDS.items():
        text = re.sub(rf"\b{word}\b", multiplier, text)
    for verb, synonyms in _VERBS.items():
        text = re.sub(rf"\b(?:{'|'.join(synonyms)})\b", verb, text)
    text = re.sub(r"\x00(\d+)\x00", lambda m: channels[int(m.group(1))], text)
    return " ".join(text.split())


def question_numbers(normalised: str) -> list[str]:
    """The numbers a request may hold: those written in the (normalised) question, and 0 when it says stop."""
    found = re.findall(r"(?<![\w.])x?(\d+(?:\.\d+)?)", normalised)
    if STOP_WORDS.search(normalised) or re.search(r"\bnothing\b|\bzero\b", normalised):
        found.append("0")
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------------- the one-line form


class RequestError(ValueError):
    """A request line that does not parse, or holds something the question did not say."""


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise RequestError(f"'{text}' is not a number") from None


def _change(channel: str, op: str, channels: Sequence[str]) -> Change:
    if channel not in channels:
        raise RequestError(f"'{channel}' is not a channel of this run")
    verb, _, amount = op.strip().partition(" ")
    if verb == "from":
        if amount not in channels or amount == channel:
            raise RequestError(f"'{op}': the source must be another channel")
        return Change(channel, "receive", None, amount)
    if verb.startswith("x") and not amount:
        return Change(channel, "scale", _number(verb[1:]))
    if verb in ("cut", "raise") and amount.endswith("%"):
        return Change(channel, "scale", 1 + (1 if verb == "raise" else -1) * _number(amount[:-1]) / 100)
    if verb in ("cut", "raise"):
        return Change(channel, "add", (1 if verb == "raise" else -1) * _number(amount))
    if verb == "to":
        return Change(channel, "set", _number(amount))
    raise RequestError(f"'{op}' is not a change (cut N%, raise N%, cut N, raise N, to N, xN or from CHANNEL)")


def _changes(text: str, channels: Sequence[str]) -> tuple[Change, ...]:
    """``tv -20% search from tv`` → changes: each is a channel, then its change."""
    names = "|".join(re.escape(name) for name in sorted(channels, key=len, reverse=True))
    one = re.compile(rf"\s*({names})\s+((?:from|cut|raise|to)\s+[^\s,]+|x[^\s,]+)\s*,?")
    out, position, text = [], 0, text.strip()
    while position < len(text):
        match = one.match(text, position)
        if match is None:
            raise RequestError(f"'{text[position:][:40]}' is not CHANNEL CHANGE")
        out.append(_change(match.group(1), match.group(2), channels))
        position = match.end()
    return tuple(out)


def parse_line(line: str, channels: Sequence[str]) -> AskRequest:
    """A request from its one-line form (see the module docstring); :class:`RequestError` otherwise."""
    words = line.strip().split(None, 1)
    if not words or words[0] not in KINDS:
        raise RequestError(f"'{line.strip()[:60]}' does not start with one of {', '.join(KINDS)}")
    kind, rest = words[0], (words[1] if len(words) > 1 else "").strip()
    if kind in ("frontier", "none"):
        if rest:
            raise RequestError(f"'{kind}' takes nothing after it")
        return AskRequest(kind)
    if kind in ("whatif", "marginal"):
        changes = _changes(rest, channels) if rest else ()
        if kind == "whatif" and not changes:
            raise RequestError("a what-if needs at least one change")
        return canonical(AskRequest(kind, changes))
    if kind == "compare":
        left, sep, right = rest.partition(" vs ")
        if not sep:
            raise RequestError("a comparison is 'compare CHANGES vs CHANGES' or 'compare CHANGES vs current'")
        versus = () if right.strip() == "current" else _changes(right, channels)
        return canonical(AskRequest(kind, _changes(left, channels), versus))
    return canonical(_plan_options(rest, channels))


def _plan_options(text: str, channels: Sequence[str]) -> AskRequest:
    budget = scale = change = None
    locked: list[str] = []
    for option in text.split():
        key, sep, value = option.partition("=")
        if not sep:
            raise RequestError(f"'{option}' is not OPTION=VALUE")
        if key == "budget" and value.startswith("x"):
            scale = _number(value[1:])
        elif key == "budget":
            budget = _number(value)
        elif key == "change" and value.endswith("%"):
            change = _number(value[:-1]) / 100
        elif key == "lock" and value in channels:
            locked.append(value)
        else:
            raise RequestError(f"'{option}' is not budget=N, budget=xN, change=N% or lock=CHANNEL")
    return AskRequest("plan", budget=budget, budget_scale=scale, max_change=change, locked=tuple(locked))


def _spellings(multiplier: float) -> set[float]:
    """How a question may write a multiplier: itself (x2, x0.5) or as a percentage change (+10%, -20%)."""
    return {round(multiplier, 6), round(abs(multiplier - 1) * 100, 6)}


def unsupported_numbers(request: AskRequest, allowed: Iterable[str]) -> list[str]:
    """Numbers in ``request`` that the question did not write (a model must not invent an amount), as
    the question could have written them."""
    values = {round(float(a), 6) for a in allowed}
    written: list[set[float]] = []
    for change in (*request.changes, *request.versus):
        if change.op == "scale" and change.value is not None:
            written.append(_spellings(change.value))
        elif change.value is not None:
            written.append({round(abs(change.value), 6)})
    if request.budget is not None:
        written.append({round(request.budget, 6)})
    if request.budget_scale is not None:
        written.append(_spellings(request.budget_scale))
    if request.max_change is not None:
        written.append({round(request.max_change * 100, 6)})
    return [" or ".join(f"{value:g}" for value in sorted(spellings, reverse=True))
            for spellings in written if not spellings & values]
