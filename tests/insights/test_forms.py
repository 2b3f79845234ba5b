"""What a question's numbers may become in a request line, from the words around each (pure, no model)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mixscope.insights.ask import (
    EXAMPLE_CHANNELS,
    EXAMPLE_TURNS,
    named_channels,
    question_grammar,
    request_grammar,
)
from mixscope.insights.forms import number_forms
from mixscope.insights.request import normalise, parse_line

QUESTIONS = json.loads((Path(__file__).parent / "questions.json").read_text(encoding="utf-8"))
CHANNELS = QUESTIONS["channels"]


def forms(question: str, channels=CHANNELS):
    normal = normalise(question, channels)
    return number_forms(normal, named_channels(normal, channels))


@pytest.mark.parametrize(("question", "changes", "options"), [
    # The words around a number fix its form: a multiple, an amount spent, added or cut, a percentage.
    ("what if we double facebook?", {"social": ("x2",)}, ()),
    ("what if we halve display", {"display": ("x0.5",)}, ()),
    ("what if tv were 3 times bigger?", {"tv": ("x3",)}, ()),
    ("what if we stop radio?", {"radio": ("to 0",)}, ()),
    ("what if we spend 150k on tv?", {"tv": ("to 150000",)}, ()),
    ("set tv at 2M", {"tv": ("to 2000000",)}, ()),
    ("what if we add $50k to paid search?", {"search": ("raise 50000",)}, ()),
    ("what if we put an extra 200k into fb", {"social": ("raise 200000",)}, ()),
    ("tv with 30k more", {"tv": ("raise 30000",)}, ()),
    ("what if we reduce google ads by 100k?", {"search": ("cut 100000",)}, ()),
    ("what if we increase search by 15%?", {"search": ("raise 15%",)}, ()),
    ("what would happen if we cut banners by 30%?", {"display": ("cut 30%",)}, ()),
    ("tv +20% vs display -20%", {"tv": ("raise 20%",), "display": ("cut 20%",)}, ()),
    # Bound to the channel of their clause: the same number, two forms.
    ("What if TV goes up 25% and radio down 25%?", {"tv": ("raise 25%",), "radio": ("cut 25%",)}, ()),
    ("which is better: +100k on tv or +100k on search?",
     {"tv": ("raise 100000",), "search": ("raise 100000",)}, ()),
    # Money moved: the source gives it up, the destination receives it (or what the source gave up).
    ("move 100k from radio to search",
     {"radio": ("cut 100000",), "search": ("raise 100000", "from radio")}, ()),
    ("shift 10% of TV into social", {"tv": ("cut 10%",), "social": ("from tv",)}, ()),
    ("what if we cut TV by 20% and move it to search?", {"tv": ("cut 20%",), "search": ("from tv",)}, ()),
    ("pause radio and give the money to search", {"radio": ("to 0",), "search": ("from radio",)}, ()),
    # Plan options: a budget, a multiple of today's, a limit on each channel's change.
    ("what's the best allocation for a 9M budget?", {}, ("budget=9000000",)),
    ("optimise the mix with 10% more budget", {}, ("budget=x1.1",)),
    ("what's the best split if we cut the budget by 10%?", {}, ("budget=x0.9",)),
    ("what's the optimal plan if no channel moves more than 20%?", {}, ("change=20%",)),
    ("best plan with a budget of 8M and tv locked", {"tv": ()}, ("budget=8000000",)),
    ("how should we allocate 10M, changing nothing by more than 30%?", {}, ("budget=10000000", "change=30%")),
])
def test_each_number_admits_the_forms_its_words_say(question, changes, options):
    read = forms(question)
    assert dict(read.changes) == changes
    assert read.options == options


def test_a_number_with_no_clear_words_keeps_every_form_of_its_notation():
    assert forms("tv and 20%?").changes["tv"] == (
        "cut 20%", "raise 20%")  # a percentage is never an amount or a multiple
    assert forms("tv and 20%?").options == ("change=20%", "budget=x1.2", "budget=x0.8")
    assert forms("what about tv at the 50k mark, or so").changes["tv"] == ("to 50000",)
    assert forms("tv 50k?").changes["tv"] == ("cut 50000", "raise 50000", "to 50000")
    assert forms("tv 50k?").options == ("budget=50000",)


def test_a_channel_whose_clause_holds_no_number_takes_the_others():
    # "cut tv and radio by 10%": the 10% sits in radio's clause, which says no direction (the "cut" is in
    # tv's): both directions stay, and tv, with no number of its own, may take radio's.
    read = forms("cut tv and radio by 10%")
    assert read.changes == {"tv": ("cut 10%", "raise 10%"), "radio": ("cut 10%", "raise 10%")}
    # Only a channel money is moved to may receive: no "from" without a move.
    assert "from tv" not in forms("what if tv goes up 10% and search goes up 5%?").changes["search"]


def _regex(body: str, rules: dict[str, str]) -> str:
    """A GBNF rule body as a regular expression (literals, rule names, ( ) | *: what request grammars use)."""
    out = []
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|([A-Za-z]\w*)|([()|*])|\s+', body):
        if m.group(1) is not None:
            text = re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1), m.group(1))
            out.append(re.escape(text))
        elif m.group(2):
            out.append(f"(?:{_regex(rules[m.group(2)], rules)})")
        elif m.group(3):
            out.append(m.group(3))
    return "".join(out)


def _admits(grammar: str, line: str) -> bool:
    """Whether the request grammar admits ``line`` (and its newline)."""
    rules = dict(rule.split(" ::= ", 1) for rule in grammar.strip().splitlines())
    return re.fullmatch(_regex(rules["root"], rules), line + "\n") is not None


@pytest.mark.parametrize("item", QUESTIONS["questions"], ids=[q["q"][:40] for q in QUESTIONS["questions"]])
def test_every_intended_request_is_admitted_by_its_questions_grammar(item):
    normal = normalise(item["q"], CHANNELS)
    grammar = question_grammar(normal, named_channels(normal, CHANNELS))
    assert _admits(grammar, item["request"]), grammar


@pytest.mark.parametrize(("question", "line"), EXAMPLE_TURNS, ids=[q[:40] for q, _ in EXAMPLE_TURNS])
def test_every_worked_example_is_admitted_by_its_questions_grammar(question, line):
    normal = normalise(question, EXAMPLE_CHANNELS)
    assert _admits(question_grammar(normal, named_channels(normal, EXAMPLE_CHANNELS)), line)


@pytest.mark.parametrize(("question", "wrong"), [
    ("What happens if we double facebook?",
     ["whatif social cut 2%", "whatif social raise 2", "whatif social to 2"]),
    ("what if we spend 150k on tv?", ["whatif tv cut 150000", "whatif tv raise 150000", "whatif tv x150000"]),
    ("What if we stop radio?", ["whatif radio x1", "whatif radio cut 0%"]),
    ("what if we halve display", ["whatif display cut 0.5%", "whatif display to 0.5"]),
    ("what if we add $50k to paid search?", ["whatif search to 50000", "whatif search cut 50000"]),
    ("What if TV goes up 25% and radio down 25%?",
     ["whatif tv cut 25% radio from tv", "whatif tv cut 25% radio raise 25%",
      "whatif tv raise 25% radio from tv"]),
    ("Optimise the mix with 10% more budget", ["plan budget=x10", "plan budget=10", "plan budget=x0.9"]),
])
def test_the_grammar_refuses_forms_the_words_rule_out(question, wrong):
    grammar = question_grammar(normalise(question, CHANNELS), named_channels(normalise(question, CHANNELS),
                                                                              CHANNELS))
    for line in wrong:
        parse_line(line, CHANNELS)  # a well-formed line: only the question's words rule it out
        assert not _admits(grammar, line), line


def test_injected_words_stay_inside_quoted_literals():
    # A channel named like grammar syntax or a question full of it cannot add a rule or an alternative.
    channels = ['tv" | "none', "search"]
    normal = normalise('what if we cut tv" | "none by 20% ::= root', channels)
    named = named_channels(normal, channels)
    grammar = request_grammar(named, number_forms(normal, named))
    assert len(grammar.strip().splitlines()) == 3  # root, c0, option: nothing the question wrote
    assert '"tv\\" | \\"none"' in grammar and "::= root" not in grammar
