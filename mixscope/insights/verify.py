"""Check a narrative against its facts: numbers, channels, citations and claims.

- **Numbers**: every number in the prose (percentages, amounts with commas or
  k/M/B suffixes, ratios, both ends of ranges) must equal a fact's number to
  the precision the prose wrote it (``2.7M`` covers 2,650,000–2,750,000) and
  within 10% of it, so coarse rounding cannot turn 2.66 into "3". A number in a
  sentence about one channel must belong to that channel or to the whole run,
  and in a finding or recommendation to one of the facts it cites.
- **Channels**: names in quotes and common channel words (tv, email, ...)
  must be channels of this run.
- **Claims**: a recommendation to cut the channel with the highest marginal ROI
  or to raise the one with the lowest, a change against the direction of the
  recommended plan, any raise or cut when the planner's decision is to keep the
  current mix, a wrong "highest/lowest" ranking, a comparison between two
  channels that the intervals do not support (the wrong way round, or a
  difference called real when the two 90% intervals overlap heavily), or a
  saturation claim that contradicts the curve is rejected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mixscope.insights.facts import Fact, Facts
from mixscope.insights.narrative import Narrative

_RELATIVE_TOLERANCE = 0.10
_PLAN_MOVE = 0.05  # a plan change smaller than this is "keep", not a direction to contradict

_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.,])(?P<currency>[$€£¥])?\s?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?:\s?(?P<suffix>%|percent\b|per cent\b|bn\b|billion\b|million\b|thousand\b|[kKMB]\b|m\b|x\b|×))?"
)
_SCALE = {"k": 1e3, "K": 1e3, "thousand": 1e3, "m": 1e6, "M": 1e6, "million": 1e6, "B": 1e9, "bn": 1e9,
          "billion": 1e9}
_FACT_REF = re.compile(r"\[[A-Za-z0-9_.\-]+\]")
_QUOTED = re.compile(r"[\"“”]([^\"“”]{1,80})[\"“”]")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")

# Words that name a media channel in ordinary marketing prose: one the run does
# not have is an invented channel.
_CHANNEL_WORDS = frozenset(
    [
        "tv", "television", "search", "social", "display", "radio", "email", "e-mail", "print", "ooh",
        "outdoor", "affiliate", "affiliates", "video", "youtube", "facebook", "meta", "instagram", "google",
        "tiktok", "podcast", "podcasts", "influencer", "influencers", "sms", "programmatic", "ctv",
        "streaming", "billboard", "billboards", "sponsorship", "sponsorships", "seo", "sem", "snapchat",
        "pinterest", "linkedin", "bing", "amazon", "newspaper", "newspapers", "magazine", "magazines",
        "cinema", "audio", "native", "spotify", "twitter",
    ]
)
_UP = frozenset(
    [
        "increase", "increasing", "increased", "raise", "raising", "raised", "boost", "boosting", "boosted",
        "grow", "growing", "expand", "expanding", "expanded", "scale", "add", "adding", "invest",
        "investing", "double", "doubling", "prioritise", "prioritize", "prioritising", "prioritizing", "up",
        "more",
    ]
)
_DOWN = frozenset(
    [
        "cut", "cutting", "reduce", "reducing", "reduced", "decrease", "decreasing", "decreased", "lower",
        "lowering", "lowered", "trim", "trimming", "trimmed", "pause", "pausing", "paused", "stop",
        "stopping", "drop", "dropping", "divest", "divesting", "less", "down", "shrink", "shrinking",
        "eliminate", "remove",
    ]
)
_SHIFT = frozenset(
    ["shift", "shifting", "move", "moving", "reallocate", "reallocating", "redirect", "redirecting",
     "transfer"]
)
_NEGATION = frozenset(["not", "don't", "dont", "never", "avoid", "no", "without"])
# "A ... more than B", "A outperforms B": a claim that A's metric is above B's ("below" for the second set).
_ABOVE = re.compile(r"\b(?:(?:more|higher|better|greater|stronger|larger|bigger)\b[^.;]*?\bthan|outperforms?|"
                    r"outperforming|beats?|beating|exceeds?|exceeding|ahead of)\b", re.I)
_BELOW = re.compile(r"\b(?:(?:less|lower|worse|weaker|smaller)\b[^.;]*?\bthan|underperforms?|trails?|"
                    r"behind)\b", re.I)
# Two intervals overlapping by more than this share of the narrower one do not show a real difference.
HEAVY_OVERLAP = 0.5
_HIGH = frozenset(["highest", "best", "strongest", "largest", "top", "greatest", "biggest", "most"])
_LOW = frozenset(["lowest", "worst", "weakest", "smallest", "least", "poorest"])


@dataclass(frozen=True)
class Check:
    """One verification step: what was checked, whether it passed, and the details."""

    name: str
    passed: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.name, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class Verification:
    passed: bool
    checks: tuple[Check, ...]
    errors: tuple[str, ...]

    def feedback(self, limit: int = 8) -> str:
        """The errors as a short list to feed back to the model."""
        shown = list(self.errors[:limit])
        more = len(self.errors) - len(shown)
        return "\n".join(f"- {e}" for e in shown) + (f"\n- ... and {more} more" if more > 0 else "")


# ---------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class _Quoted:
    """A number as written: its value (percent units when ``percent``) and half its last digit."""

    text: str
    value: float
    half_ulp: float
    percent: bool
    multiple: bool


def extract_numbers(text: str) -> list[_Quoted]:
    out = []
    for match in _NUMBER.finditer(text):
        raw = match.group("num").replace(",", "")
        suffix = (match.group("suffix") or "").strip()
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        scale = _SCALE.get(suffix, 1.0)
        value = float(raw) * scale
        percent = suffix in ("%", "percent", "per cent")
        out.append(_Quoted(match.group(0).strip(), value, 0.5 * 10.0**-decimals * scale, percent,
                           suffix in ("x", "×")))
    return out


def _candidates(facts: Facts) -> list[tuple[str, str | None, float, bool]]:
    """``(fact id, channel, value, is_percent)`` for every number a fact licenses."""
    return [c for fact in facts.facts for c in _fact_candidates(fact, facts)]


def _fact_candidates(fact: Fact, facts: Facts) -> list[tuple[str, str | None, float, bool]]:
    out = []
    for number in fact.numbers:
        value = abs(number.value)
        if number.kind == "fraction":
            out.append((fact.id, fact.channel, value * 100, True))
        out.append((fact.id, fact.channel, value, False))
    # Whatever a fact's own wording shows (e.g. "90% interval") may be repeated as shown.
    for quoted in extract_numbers(_strip_names(f"{fact.label} {fact.display}", facts)):
        out.append((fact.id, fact.channel, quoted.value, quoted.percent))
    return out


def _matches(quoted: _Quoted, value: float, is_percent: bool) -> bool:
    if quoted.percent != is_percent:  # "$59.67" is not 59.67%, nor "60%" the ratio 60
        return False
    if quoted.value == value:
        return True
    slack = quoted.half_ulp * (1 + 1e-9) + 1e-12
    gap = abs(quoted.value - value)
    return gap <= slack and gap <= _RELATIVE_TOLERANCE * abs(value)


def _strip_names(text: str, facts: Facts) -> str:
    """Remove fact ids, channel labels and the run's dates before looking for numbers."""
    text = _FACT_REF.sub(" ", text)
    for date in facts.dates:
        text = text.replace(date, " ")
    for channel in sorted(facts.channels, key=lambda ch: -len(ch.label)):
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(channel.label)}(?![A-Za-z0-9])", " ", text, flags=re.I)
    return text


# ---------------------------------------------------------------------- channels


def _mentions(text: str, facts: Facts) -> list[tuple[int, str]]:
    """``(word index, channel key)`` for each channel named in ``text``, in order."""
    words = [(m.start(), m.group(0)) for m in re.finditer(r"\S+", text)]
    found = []
    for channel in facts.channels:
        pattern = rf"(?<![A-Za-z0-9]){re.escape(channel.label)}(?![A-Za-z0-9])"
        variants = {pattern}
        if "_" in channel.label:  # "paid_search" is also written "paid search"
            variants.add(pattern.replace(r"\_", "[ _]").replace("_", "[ _]"))
        for variant in variants:
            for match in re.finditer(variant, text, flags=re.I):
                index = sum(1 for start, _ in words if start <= match.start()) - 1
                found.append((max(index, 0), channel.key))
    return sorted(set(found))


def _unknown_channels(text: str, facts: Facts) -> list[str]:
    known_tokens = set()
    for channel in facts.channels:
        known_tokens.update(t for t in re.split(r"[\s_\-/&+.]+", channel.label.lower()) if t)
        known_tokens.add(channel.label.lower())
    known_tokens.add(facts.kpi.lower())
    unknown = []
    stripped = _FACT_REF.sub(" ", text)
    for match in _QUOTED.finditer(stripped):
        name = match.group(1).strip().lower()
        if name not in known_tokens and name.replace(" ", "_") not in known_tokens:
            unknown.append(match.group(1).strip())
    for word in re.findall(r"[A-Za-z][A-Za-z\-]*", stripped):
        if word.lower() in _CHANNEL_WORDS and word.lower() not in known_tokens:
            unknown.append(word)
    alias = re.findall(r"\bchannel_(\d+)\b", stripped)
    labels = {ch.label.lower() for ch in facts.channels}
    unknown += [f"channel_{n}" for n in alias if f"channel_{n}" not in labels]
    return sorted(set(unknown), key=str.lower)


# ---------------------------------------------------------------------- claims


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?;])\s+|\n+", text) if s.strip()]


def _directions(sentence: str, facts: Facts) -> list[tuple[str, str]]:
    """``(channel key, "up"|"down")`` for each channel the sentence says to move."""
    words = [w.lower().strip(".,;:!?()\"“”'") for w in sentence.split()]
    mentions = _mentions(sentence, facts)
    out = []
    previous = -1
    shift_seen = False
    for index, key in mentions:
        window = words[max(previous + 1, index - 8): index]
        shift_seen = shift_seen or any(w in _SHIFT for w in words[:index])
        direction = _cue(window, shift_seen)
        if direction is None:  # "search should be increased"
            direction = _cue(words[index + 1: index + 5], False, after=True)
        if direction:
            out.append((key, direction))
        previous = index
    return out


def _cue(window: list[str], shift_seen: bool, after: bool = False) -> str | None:
    positions = range(len(window)) if after else range(len(window) - 1, -1, -1)
    for i in positions:
        word = window[i]
        direction = None
        if word in ("from", "away"):
            direction = "down" if shift_seen else None
        elif word in ("to", "into", "towards", "toward"):
            direction = "up" if shift_seen else None
        elif word in _UP and word not in ("up", "more") or word == "more" and not after:
            direction = "up"
        elif word in _DOWN and word not in ("less", "down") or word == "less" and not after:
            direction = "down"
        if direction:
            if any(w in _NEGATION for w in window[max(i - 3, 0): i]):
                return None
            return direction
    return None


def _claim_errors(sentence: str, facts: Facts, recommendation: bool) -> list[str]:
    errors = []
    mroi_rank = facts.ranking("mroi")
    label = {ch.key: ch.label for ch in facts.channels}
    if recommendation or any(w in sentence.lower() for w in ("recommend", "should", "shift")):
        for key, direction in _directions(sentence, facts):
            if facts.has_plan and not facts.moves_money:
                errors.append(f"'{sentence}': the planner's decision is '{facts.decision}', so no channel "
                              f"should be {'raised' if direction == 'up' else 'cut'} ({label[key]})")
                continue
            change = facts.plan_change(key)
            if facts.has_plan and change is not None:
                if direction == "down" and change > _PLAN_MOVE:
                    errors.append(f"'{sentence}': the recommended plan raises {label[key]} "
                                  f"({change:+.0%}), it does not cut it")
                    continue
                if direction == "up" and change < -_PLAN_MOVE:
                    errors.append(f"'{sentence}': the recommended plan cuts {label[key]} "
                                  f"({change:+.0%}), it does not raise it")
                    continue
                agrees = change > _PLAN_MOVE if direction == "up" else change < -_PLAN_MOVE
                if agrees:
                    continue  # agrees with the plan, whatever the marginal ranking
            if len(mroi_rank) > 1 and direction == "down" and key == mroi_rank[0]:
                errors.append(f"'{sentence}': {label[key]} has the highest marginal ROI; "
                              "cutting it is not supported")
            if len(mroi_rank) > 1 and direction == "up" and key == mroi_rank[-1]:
                errors.append(f"'{sentence}': {label[key]} has the lowest marginal ROI; "
                              "raising it is not supported")
    errors += _superlative_errors(sentence, facts, label)
    errors += _comparison_errors(sentence, facts, label)
    errors += _saturation_errors(sentence, facts, label)
    return errors


def heavy_overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether two 90% intervals share more than :data:`HEAVY_OVERLAP` of the narrower one's width."""
    shared = min(a[1], b[1]) - max(a[0], b[0])
    narrower = min(a[1] - a[0], b[1] - b[0])
    if shared <= 0:
        return False
    return narrower <= 0 or shared / narrower > HEAVY_OVERLAP


def _comparison_errors(sentence: str, facts: Facts, label: dict[str, str]) -> list[str]:
    """"A earns more than B": right way round, and a difference the intervals show."""
    errors = []
    mentions = _mentions(sentence, facts)
    for pattern, above in ((_ABOVE, True), (_BELOW, False)):
        for match in pattern.finditer(sentence):
            cue = len(sentence[: match.start()].split())
            before = [key for index, key in mentions if index < cue]
            after = [key for index, key in mentions if index >= cue]
            if not before or not after or before[-1] == after[0]:
                continue
            first, second = before[-1], after[0]
            words = [w.lower().strip(".,;:!?()\"“”'") for w in sentence.split()]
            metric = _metric(words) or "mroi"
            a, b = facts.interval(f"{metric}.{first}"), facts.interval(f"{metric}.{second}")
            if a is None or b is None:
                continue
            if (a[0] > b[0]) != above:
                errors.append(f"'{sentence}': {label[first]}'s {metric} is not "
                              f"{'above' if above else 'below'} {label[second]}'s")
            elif heavy_overlap(a[1:], b[1:]):
                errors.append(f"'{sentence}': the 90% intervals of {label[first]} and {label[second]} "
                              f"({metric}) overlap heavily: the difference is not clear, do not compare them")
    return errors


def _metric(words: list[str]) -> str | None:
    joined = " ".join(words)
    if "marginal" in joined or "mroi" in joined or "next" in joined:
        return "mroi"
    if "roi" in words or "return" in joined or "efficient" in joined:
        return "roi"
    if "share" in joined or "contribut" in joined or "driv" in joined:
        return "share"
    if "spend" in joined or "budget" in joined:
        return "spend"
    return None


def _superlative_errors(sentence: str, facts: Facts, label: dict[str, str]) -> list[str]:
    words = [w.lower().strip(".,;:!?()\"“”'") for w in sentence.split()]
    mentions = _mentions(sentence, facts)
    errors = []
    if not mentions or len(facts.channels) < 2:
        return errors
    for i, word in enumerate(words):
        if word not in _HIGH and word not in _LOW:
            continue
        metric = _metric(words[i + 1: i + 5])
        if metric is None:
            continue
        ranking = facts.ranking(metric)
        if len(ranking) < 2:
            continue
        key = min(mentions, key=lambda m: (abs(m[0] - i), m[0] > i))[1]
        expected = ranking[0] if word in _HIGH else ranking[-1]
        if key != expected:
            errors.append(f"'{sentence}': the {word} {metric} is {label[expected]}'s, not {label[key]}'s")
    return errors


def _saturation_errors(sentence: str, facts: Facts, label: dict[str, str]) -> list[str]:
    lower = sentence.lower()
    says_saturated = re.search(
        r"(?<!not )(?<!far from )\b(saturated|close to saturation|near saturation)", lower
    )
    says_room = re.search(r"far from saturation|not saturated|room to grow|unsaturated", lower)
    if not (says_saturated or says_room):
        return []
    errors = []
    for _, key in _mentions(sentence, facts):
        status = facts.get(f"saturation.{key}")
        if status is None:
            continue
        if says_saturated and status.display.startswith(("far from", "early")):
            errors.append(f"'{sentence}': {label[key]} is {status.display.split(' (')[0]}, not saturated")
        if says_room and status.display.startswith("close to saturation"):
            errors.append(f"'{sentence}': {label[key]} is close to saturation")
    return errors


# ---------------------------------------------------------------------- entry point


def verify(narrative: Narrative, facts: Facts) -> Verification:
    """Every check on every piece of prose; passes only when all of them do."""
    candidates = _candidates(facts)
    fact_channel = {fact.id: fact.channel for fact in facts.facts}
    number_errors, channel_errors, claim_errors, citation_errors = [], [], [], []
    substance_errors: list[str] = []
    numbers_seen = 0
    for where, text, cited in narrative.texts():
        problem = _substance_problem(text, cited, facts)
        if problem:
            substance_errors.append(f"{where}: {problem}")
        for fact_id in cited:
            if facts.get(fact_id) is None:
                citation_errors.append(f"{where} cites '{fact_id}', which is not a fact")
        if where != "summary" and not cited:
            citation_errors.append(f"{where} cites no fact")
        for unknown in _unknown_channels(text, facts):
            channel_errors.append(f"{where} names '{unknown}', which is not a channel of this run")
        for sentence in _sentences(text):
            mentioned = {key for _, key in _mentions(sentence, facts)}
            for quoted in extract_numbers(_strip_names(sentence, facts)):
                numbers_seen += 1
                matching = [c for c in candidates if _matches(quoted, c[2], c[3])]
                problem = _number_problem(quoted.text, matching, mentioned, cited, fact_channel, facts)
                if problem:
                    number_errors.append(f"{where}: {problem}")
            claim_errors += [f"{where}: {e}" for e in _claim_errors(sentence, facts, where.startswith("rec"))]
    checks = (
        _check("numbers", number_errors,
               f"{numbers_seen} numbers, each matched to a fact within its rounding"),
        _check("channels", channel_errors, f"only the run's {len(facts.channels)} channels are named"),
        _check("citations", citation_errors, "every finding and recommendation cites existing facts"),
        _check("claims", claim_errors, "no ranking, direction or saturation claim contradicts the facts"),
        _check("substance", substance_errors, "every piece of prose says something about its facts"),
    )
    errors = tuple(number_errors + channel_errors + citation_errors + claim_errors + substance_errors)
    return Verification(not errors, checks, errors)


def _substance_problem(text: str, cited: Iterable[str], facts: Facts) -> str | None:
    """Empty or generic prose ("Yes", "The model is fitted on the data") passes every other
    check vacuously. The summary must name a channel or a number; a finding or
    recommendation must use a fact it cites: quote one of its numbers, name the channel it
    is about, or, for a worded fact (diagnostics, a constraint, a warning), share its words."""
    if len(text.split()) < (4 if not cited else 3):
        return f"'{text}' is too short to say anything"
    named = {key for _, key in _mentions(text, facts)}
    quoted = extract_numbers(_strip_names(text, facts))
    cited = [facts.get(fact_id) for fact_id in cited if facts.get(fact_id) is not None]
    if not cited:
        return None if named or quoted else f"'{text}' names no channel and no number"
    words = {w.lower() for w in _WORD.findall(text) if len(w) > 4}
    for fact in cited:
        if fact.channel is not None and fact.channel in named:
            return None
        if any(_matches(q, c[2], c[3]) for q in quoted for c in _fact_candidates(fact, facts)):
            return None
        shown = {w.lower() for w in _WORD.findall(f"{fact.label} {fact.display}") if len(w) > 4}
        if fact.topic in _WORDED_TOPICS and words & shown:
            return None
    return f"'{text}' uses none of the facts it cites ({', '.join(f.id for f in cited)})"


_WORDED_TOPICS = frozenset(["diagnostics", "constraint", "warning", "saturation", "decision"])


def _number_problem(
    text: str, matching: list[tuple[str, str | None, float, bool]], mentioned: set[str],
    cited: Iterable[str], fact_channel: dict[str, str | None], facts: Facts,
) -> str | None:
    if not matching:
        return f"'{text}' is not in the facts (copy numbers as the facts write them)"
    label = {ch.key: ch.label for ch in facts.channels}
    ids = {m[0] for m in matching}
    if mentioned:
        fitting = {i for i in ids if fact_channel[i] is None or fact_channel[i] in mentioned}
        if not fitting:
            owners = sorted({label[fact_channel[i]] for i in ids if fact_channel[i]})
            about = ", ".join(sorted(label[k] for k in mentioned))
            return f"'{text}' is a figure for {', '.join(owners)}, not for {about}"
        ids = fitting
    cited = set(cited)
    if cited and not ids & cited:
        return f"'{text}' comes from {', '.join(sorted(ids))}, which this item does not cite"
    return None


def _check(name: str, errors: list[str], ok: str) -> Check:
    if not errors:
        return Check(name, True, ok)
    return Check(name, False, f"{len(errors)} problem(s): " + "; ".join(errors[:3]))
