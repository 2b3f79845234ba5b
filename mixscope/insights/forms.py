"""What each number of a question can mean in a request line, read from the words around it.

``ask``'s grammar (:func:`mixscope.insights.ask.request_grammar`) lets a model write
only the question's own numbers; this module narrows each one further to the forms
its context admits, so the request holds the question's numbers *by construction*
and the model keeps the reading (the kind, the channels, the sides of a comparison,
the plan options)::

    double / x2 social           → social x2                 spend 150000 on tv  → tv to 150000
    stop / pause radio           → radio to 0                add 50000 to search → search raise 50000
    tv up 25%, radio down 25%    → tv raise 25%, radio cut 25%
    move 100000 from tv to radio → tv cut 100000, radio raise 100000 (or radio from tv)
    a 9000000 budget             → plan budget=9000000        10% more budget     → plan budget=x1.1
    no channel moves more than 20% → plan change=20%

A number whose words say nothing clear keeps every form of its notation (an amount:
cut, raise, to, budget=; a percentage: cut, raise, change=, budget=x), as the grammar
admitted before. Numbers bind to the channel their clause names (clauses end at
``and``, ``,``, ``vs``, ``or``, ``than``, ``with`` ...); a channel whose clause holds no
number takes the numbers no channel holds, or failing that every number's forms. A
channel the question moves money *to* ("move it to search") may also receive what an
earlier channel gave up (``from CHANNEL``); no other may.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mixscope.insights.request import STOP_WORDS, whole_word
from mixscope.insights.rules import FREED, MOVES

_CLAUSE_END = re.compile(r"[,;:?!]|\b(?:and|vs\.?|versus|or|(?<!more )(?<!less )than|with|against|but|then|"
                         r"beats?)\b")
_NUMBER = re.compile(r"(?<![\w.])([+-])?(x)?(\d+(?:\.\d+)?)(%)?")
_ZERO = re.compile(rf"{STOP_WORDS.pattern}|\bnothing\b|\bzero\b")
# Words that say which way a number moves spend; the nearest one before the number decides.
_WORDS = {
    "down": {"cut", "cutting", "reduce", "reducing", "lower", "lowering", "decrease", "decreasing", "trim",
             "trimming", "drop", "dropping", "down", "less", "fewer", "minus", "smaller", "reduced"},
    "up": {"raise", "raising", "increase", "increasing", "boost", "boosting", "grow", "growing", "up",
           "lift", "more", "extra", "additional", "another", "add", "adding", "plus", "higher", "bigger",
           "increased"},
    "set": {"spend", "spent", "spending", "set", "setting", "at", "cap", "capping"},
    "put": {"put", "putting", "invest", "investing"},
    "move": {"move", "moving", "shift", "shifting", "transfer", "transferring", "reallocate", "reallocating",
             "redirect", "redirecting", "give", "giving", "send", "sending"},
}
_LIMIT = re.compile(r"(?:more than|over|within|at most|up to|beyond|max(?:imum)?(?: change)?(?: of)?)\s+"
                    r"(?:\+/-\s*|±\s*)?$")
# Where money is moved to: "move 100000 from tv to CHANNEL", "cut tv and give the money to CHANNEL".
_RECEIVER = re.compile(rf"\b{MOVES}\b.*\b(?:to|into|onto|towards)\s+(?:the\s+)?$|"
                       rf"\b{MOVES}\s+{FREED}\s+(?:all\s+)?(?:to|into|onto|towards|on|in)\s+(?:the\s+)?$")
_BUDGET = re.compile(r"\bbudget\b|\ballocate\b|\btotal of\b")
_WINDOW = 6  # words before a number searched for its direction


@dataclass(frozen=True)
class NumberForms:
    """The change forms each named channel may take (``cut 20%``, ``x2``, ``to 0``, ``from tv`` ...) and
    the plan options the question's numbers may fill (``budget=9000000``, ``budget=x1.1``, ``change=20%``);
    every number among them is one the question wrote (or its stated multiple of today's budget)."""

    changes: Mapping[str, tuple[str, ...]]
    options: tuple[str, ...]
    # Per written number, in order, the plan options it may fill (empty: it can only be a change).
    option_groups: tuple[tuple[str, ...], ...] = ()
    # The channels a number of their own clause changes ("tv down 40% and fb up 40%"): a what-if changes
    # every one of them.
    own: frozenset[str] = frozenset()


def mentions(normalised: str, name: str) -> list[int]:
    """Where a (normalised) question names channel ``name``, as a whole word."""
    return [m.start() for m in re.finditer(whole_word(name.lower()), normalised)]


def _clauses(text: str) -> list[tuple[int, int]]:
    starts = [0] + [m.end() for m in _CLAUSE_END.finditer(text)]
    ends = [m.start() for m in _CLAUSE_END.finditer(text)] + [len(text)]
    return list(zip(starts, ends, strict=True))


def _direction(before: str, after: str) -> str | None:
    """The nearest direction word before the number (within its clause), else the word right after it."""
    if _LIMIT.search(before):
        return "limit"
    following = (after.split() or [""])[0]
    comparative = {"more": "up", "extra": "up", "less": "down", "fewer": "down"}.get(following)
    for word in reversed(before.split()[-_WINDOW:]):
        if _NUMBER.fullmatch(word):
            break
        for direction, words in _WORDS.items():
            if word in words:
                # "gives us 20% more": a comparative right after the number says more than a verb of moving
                return comparative if comparative and direction in ("set", "put", "move") else direction
    return comparative


def _scale(value: str, sign: int) -> str:
    return f"budget=x{1 + sign * float(value) / 100:.6g}"


def _forms(sign: str | None, times: bool, value: str, percent: bool, before: str, after: str,
           budget_clause: bool = False) -> list[str]:
    """Every form one written number admits, by its notation and the words around it (``budget_clause``:
    its clause speaks of the budget and names no channel)."""
    near_budget = budget_clause or any(_BUDGET.search(" ".join(words))
                                       for words in (before.split()[-3:], after.split()[:3]))
    if times or re.match(r"\s*(?:times\b|x\b)", after):
        return [f"budget=x{value}" if near_budget else f"x{value}"]
    direction = {"+": "up", "-": "down"}.get(sign or "") or _direction(before, after)
    if percent:
        if direction == "limit":
            return [f"change={value}%"]
        if near_budget:
            signs = {"up": [1], "down": [-1]}.get(direction or "", [1, -1])
            return [_scale(value, s) for s in signs]
        if direction in ("up", "down"):
            return [f"{'raise' if direction == 'up' else 'cut'} {value}%"]
        if direction == "move":
            return [f"cut {value}%"]
        return [f"cut {value}%", f"raise {value}%", f"change={value}%", _scale(value, 1), _scale(value, -1)]
    if near_budget:
        return [f"budget={value}"]
    return {"up": [f"raise {value}"], "down": [f"cut {value}"], "set": [f"to {value}"],
            "put": [f"raise {value}", f"to {value}"], "move": [f"cut {value}"]}.get(
        direction or "", [f"cut {value}", f"raise {value}", f"to {value}", f"budget={value}"])


def _shrinks(form: str) -> bool:
    return form.startswith("x") and float(form[1:]) < 1


def _is_option(form: str) -> bool:
    return form.startswith(("budget=", "change="))


def number_forms(normalised: str, named: Sequence[str]) -> NumberForms:
    """The forms the numbers of a normalised question admit, per channel it names (``named``, in order)."""
    # "the tv budget" is tv's spend, not the total budget.
    text = normalised
    for name in named:
        text = re.sub(rf"({whole_word(name.lower())})\s+budget\b", r"\1 spend", text)
    clauses = _clauses(text)
    bound: dict[str, list[str]] = {name: [] for name in named}
    loose: list[str] = []  # change forms of numbers in a clause that names no channel
    every: list[str] = []
    options: list[str] = []
    found: list[tuple[int, list[str]]] = []
    for m in _NUMBER.finditer(text):
        start, end = next((s, e) for s, e in clauses if s <= m.start() <= e)
        clause = text[start:end]
        budget_clause = bool(_BUDGET.search(clause)) and not any(mentions(clause, name) for name in named)
        found.append((m.start(), _forms(m.group(1), bool(m.group(2)), m.group(3), bool(m.group(4)),
                                        text[start:m.start()], text[m.end():end], budget_clause)))
    groups = tuple(tuple(form for form in forms if _is_option(form)) for _, forms in found)
    found += [(m.start(), ["to 0"]) for m in _ZERO.finditer(text)]
    for position, forms in sorted(found):
        start, end = next((s, e) for s, e in clauses if s <= position <= e)
        clause = text[start:end]
        changes = [form for form in forms if not _is_option(form)]
        options += [form for form in forms if _is_option(form)]
        every += changes
        here = sorted((spot, name) for name in named for spot in mentions(clause, name))
        source = next((name for spot, name in here if re.search(r"\b(?:from|of)\s+(?:our\s+|the\s+)?$",
                                                                 clause[:spot])), None)
        target = next((name for spot, name in here if re.search(r"\b(?:to|into|onto|towards)\s+(?:the\s+)?$",
                                                                 clause[:spot])), None)
        if source and re.search(rf"\b{MOVES}\b", clause):
            bound[source] += changes
            if target and target != source:
                bound[target] += [form.replace("cut", "raise") for form in changes
                                  if form.startswith("cut") and not form.endswith("%")]
        elif here:
            for name in dict.fromkeys(name for _, name in here):
                bound[name] += changes
        else:
            loose += changes
    # A channel money is moved to receives what an earlier channel gave up; with no such channel ("put an
    # extra 300k into search or into tv") it is no receiver.
    gives = {name for name in named if any(form.startswith("cut") or form == "to 0" or _shrinks(form)
                                           for form in bound[name])}
    receivers = {name for index, name in enumerate(named) if gives & set(named[:index])
                 for spot in mentions(text, name) if _RECEIVER.search(text[:spot])}
    table = {}
    for index, name in enumerate(named):
        ops = bound[name] or ([] if name in receivers else loose or every)
        if name in receivers:
            ops = ops + [f"from {source}" for source in named[:index]]
        table[name] = tuple(dict.fromkeys(ops))
    return NumberForms(table, tuple(dict.fromkeys(options)), groups,
                       frozenset(name for name in named if bound[name]))
