"""The rule-based reader of planners' questions: ``mixscope ask`` with no model at all.

It reads the documented patterns below (each tested, with the examples in
:data:`PATTERNS`) from a normalised question (see
:func:`mixscope.insights.request.normalise`: channel nicknames, ``200k``,
``double`` already resolved) and answers ``none`` for anything else, which
``ask`` turns into a polite list of what it can answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mixscope.insights.request import AskRequest, Change, canonical, normalise, whole_word

# (what the pattern reads, an example question, the request it gives in the one-line form)
PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("cut/reduce/lower CHANNEL by N%", "what if we cut TV by 20%?", "whatif tv cut 20%"),
    ("raise/increase/boost CHANNEL by N%", "what if we increase search by 15%?", "whatif search raise 15%"),
    ("... and move/shift/put it to CHANNEL", "what if we cut tv by 20% and move it to search?",
     "whatif tv cut 20% search from tv"),
    ("double/halve CHANNEL", "what if we double facebook?", "whatif social x2"),
    ("spend/put AMOUNT on CHANNEL, set CHANNEL to AMOUNT", "what if we spend 150k on tv?",
     "whatif tv to 150000"),
    ("add AMOUNT to CHANNEL, cut/raise CHANNEL by AMOUNT", "what if we add $50k to paid search?",
     "whatif search raise 50000"),
    ("move/shift AMOUNT from CHANNEL to CHANNEL", "move 100k from radio to search",
     "whatif radio cut 100000 search raise 100000"),
    ("move/shift N% of CHANNEL to CHANNEL", "shift 10% of tv into social",
     "whatif tv cut 10% social from tv"),
    ("stop/pause/turn off CHANNEL", "what if we pause radio?", "whatif radio to 0"),
    ("compare CHANGES with/vs CHANGES (or: better than the current plan)",
     "compare raising tv by 10% with raising search by 10%", "compare tv raise 10% vs search raise 10%"),
    ("best/optimal plan or allocation [for a budget of AMOUNT | N% more/less budget | no channel moving "
     "more than N% | keeping CHANNEL fixed]", "best plan for an 8M budget keeping tv fixed",
     "plan budget=8000000 lock=tv"),
    ("frontier, how much to spend in total, returns per budget level", "show me the efficient frontier",
     "frontier"),
    ("next dollar, marginal ROI / mROI [if CHANGES]", "where should the next dollar go?", "marginal"),
)

_DOWN = r"(?:cut|cutting|reduce|reducing|lower|lowering|decrease|decreasing|trim|trimming|drop|dropping|down)"
_UP = r"(?:raise|raising|increase|increasing|boost|boosting|grow|growing|up|lift|lifting|scale up)"
MOVES = (r"(?:move|moving|shift|shifting|put|putting|reallocate|reallocating|transfer|transferring|give|"
         r"giving|redirect|redirecting|send|sending)")
FREED = r"(?:it|that|this|them|those|the savings|the money|the difference|the rest|what we save|the budget)"
_NUM = r"(\d+(?:\.\d+)?)"
COMPARE_CUE = re.compile(r"\bcompare\b|\bvs\.?\b|\bversus\b|\bbetter than\b|\bworse than\b|\bbeats?\b|"
                         r"\boutperforms?\b|"
                         r"\bwhich (?:is better|wins)\b|\bor\b.*\?$")
# "best" alone is not a planning question ("say tv is best"): a best or optimal plan, mix, split is.
PLAN_CUE = re.compile(r"\b(?:optimi[sz]e|optimi[sz]ing|recommend|recommended|reallocate|allocation|allocate|"
                   r"plan)\b|\b(?:best|optimal|ideal)\s+(?:\w+\s+)?(?:plan|allocation|split|mix|budget)\b")
FRONTIER_CUE = re.compile(r"\bfrontier\b|how much (?:should|could|do) we (?:spend|invest)|each budget level|"
                       r"budget levels?|returns? (?:drop|fall)s? below|total budget (?:curve|should)")
MARGINAL_CUE = re.compile(r"\bnext (?:dollar|euro|pound|unit|\d+)|\bmarginal\b|\bmroi\b|"
                       r"where should (?:the )?(?:extra|next|additional)")
_STOP = re.compile(r"\b(?:stop|stopping|pause|pausing|kill|killing|turn off|turning off|switch off|"
                   r"switching off|cancel|cancelling)\s+(?:all\s+)?(?:of\s+)?(?:our\s+)?(?:the\s+)?CH(\d+)")


def mark_channels(text: str, channels: Sequence[str]) -> str:
    """Channel names → ``CH0``, ``CH1`` ... so patterns can name 'a channel' (names may hold spaces)."""
    for index, name in sorted(enumerate(channels), key=lambda item: -len(item[1])):
        text = re.sub(whole_word(name.lower()), f"CH{index}", text)
    return text


def _clause_changes(text: str, channels: Sequence[str]) -> list[Change]:
    """Every change one clause states, in the order they appear."""
    found: list[tuple[int, Change]] = []

    def add(match: re.Match[str], change: Change) -> None:
        found.append((match.start(), change))

    def ch(match: re.Match[str], group: int) -> str:
        return channels[int(match.group(group))]

    for m in re.finditer(rf"{MOVES}\s+{_NUM}%\s+(?:of|from)\s+(?:our\s+)?CH(\d+)\s+"
                         r"(?:to|into|onto|towards)\s+(?:the\s+)?CH(\d+)", text):
        add(m, Change(ch(m, 2), "scale", 1 - float(m.group(1)) / 100))
        add(m, Change(ch(m, 3), "receive", None, ch(m, 2)))
    for m in re.finditer(rf"{MOVES}\s+(?:an?\s+)?(?:extra\s+)?{_NUM}(?!\d|%)\s+(?:from|out of)\s+CH(\d+)\s+"
                         r"(?:to|into|onto|towards)\s+(?:the\s+)?CH(\d+)", text):
        add(m, Change(ch(m, 2), "add", -float(m.group(1))))
        add(m, Change(ch(m, 3), "add", float(m.group(1))))
    if found:
        return [change for _, change in sorted(found, key=lambda pair: pair[0])]
    for m in re.finditer(rf"{_DOWN}\s+(?:the\s+|our\s+)?CH(\d+)(?:\s+spend)?\s+(?:by\s+)?{_NUM}%", text):
        add(m, Change(ch(m, 1), "scale", 1 - float(m.group(2)) / 100))
    for m in re.finditer(rf"{_UP}\s+(?:the\s+|our\s+)?CH(\d+)(?:\s+spend)?\s+(?:by\s+)?{_NUM}%", text):
        add(m, Change(ch(m, 1), "scale", 1 + float(m.group(2)) / 100))
    for words, sign in ((_DOWN, -1), (_UP, 1)):
        for m in re.finditer(rf"CH(\d+)(?:\s+spend)?\s+(?:goes\s+|going\s+|is\s+)?{words}\s+"
                             rf"(?:by\s+)?{_NUM}%", text):
            add(m, Change(ch(m, 1), "scale", 1 + sign * float(m.group(2)) / 100))
    for m in re.finditer(rf"([+-]){_NUM}%\s+(?:on\s+|for\s+|to\s+)?CH(\d+)|CH(\d+)\s+([+-]){_NUM}%", text):
        sign, value, index = (m.group(1), m.group(2), m.group(3)) if m.group(1) else m.group(5, 6, 4)
        add(m, Change(channels[int(index)], "scale", 1 + float(sign + value) / 100))
    for m in re.finditer(rf"x{_NUM}\s+(?:the\s+|our\s+)?CH(\d+)|CH(\d+)(?:\s+spend)?\s+x{_NUM}", text):
        value, index = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        add(m, Change(channels[int(index)], "scale", float(value)))
    for m in re.finditer(rf"{_DOWN}\s+(?:the\s+|our\s+)?CH(\d+)(?:\s+spend)?\s+by\s+{_NUM}(?![\d%])", text):
        add(m, Change(ch(m, 1), "add", -float(m.group(2))))
    for m in re.finditer(rf"{_UP}\s+(?:the\s+|our\s+)?CH(\d+)(?:\s+spend)?\s+by\s+{_NUM}(?![\d%])", text):
        add(m, Change(ch(m, 1), "add", float(m.group(2))))
    for m in re.finditer(rf"(?:add|adding|put|putting|invest|investing)\s+(?:an?\s+)?(?:extra\s+|another\s+)?"
                         rf"{_NUM}(?![\d%])\s+(?:more\s+)?(?:to|into|on|in)\s+(?:the\s+)?CH(\d+)", text):
        add(m, Change(ch(m, 2), "add", float(m.group(1))))
    for m in re.finditer(rf"([+-]){_NUM}(?![\d%])\s+(?:on|for|to|in)\s+CH(\d+)", text):
        add(m, Change(ch(m, 3), "add", float(m.group(1) + m.group(2))))
    for m in re.finditer(rf"(?:spend|spent|spending|budget|put|putting|set)\s+(?:only\s+|just\s+)?"
                         rf"{_NUM}(?![\d%])\s+(?:on|in|for|to)\s+(?:the\s+)?CH(\d+)", text):
        add(m, Change(ch(m, 2), "set", float(m.group(1))))
    for m in re.finditer(rf"(?:set|setting|cap|capping)\s+CH(\d+)\s+(?:spend\s+)?(?:to|at)\s+{_NUM}(?![\d%])",
                         text):
        add(m, Change(ch(m, 1), "set", float(m.group(2))))
    for m in _STOP.finditer(text):
        add(m, Change(ch(m, 1), "set", 0.0))
    changes = [change for _, change in sorted(found, key=lambda pair: pair[0])]
    receiver = re.search(rf"{MOVES}\s+{FREED}\s+(?:all\s+)?(?:to|into|onto|towards|on|in)\s+"
                         r"(?:the\s+)?CH(\d+)", text)
    if receiver and changes:
        changes.append(Change(channels[int(receiver.group(1))], "receive", None, changes[-1].channel))
    return changes


def locked_channels(marked: str) -> list[int]:
    """The channels (``CH0`` ... in a marked text) a planning question keeps where they are."""
    held = re.findall(r"(?:keep|keeping|lock|locking|hold|holding|fix|fixing|freeze|freezing|don't touch|"
                      r"not touching|without touching|leave|leaving)\s+(?:the\s+|our\s+)?CH(\d+)", marked)
    held += re.findall(r"CH(\d+)\s+(?:fixed|locked|frozen|unchanged|as it is|as is|where it is)", marked)
    return [int(index) for index in dict.fromkeys(held)]


def _plan(text: str, channels: Sequence[str]) -> AskRequest:
    budget = scale = change = None
    m = re.search(rf"{_NUM}%\s+(more|less|higher|lower|bigger|smaller)\s+(?:total\s+)?budget|budget\s+"
                  rf"(?:is\s+)?(up|down|higher|lower|cut|increased|reduced)\s+(?:by\s+)?{_NUM}%|"
                  rf"budget\s+(?:that\s+is\s+|of\s+)?{_NUM}%\s+(more|less|higher|lower|bigger|smaller)", text)
    m2 = re.search(rf"(?:cut|reduce|lower|trim)\s+(?:the\s+|our\s+)?(?:total\s+)?budget\s+by\s+{_NUM}%|"
                   rf"(?:raise|increase|grow|boost)\s+(?:the\s+|our\s+)?(?:total\s+)?budget\s+by\s+{_NUM}%",
                   text)
    if m:
        value, word = ((m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3)) if m.group(4)
                       else (m.group(5), m.group(6)))
        sign = -1 if word in ("less", "lower", "smaller", "down", "cut", "reduced") else 1
        scale = 1 + sign * float(value) / 100
    elif m2:
        scale = 1 - float(m2.group(1)) / 100 if m2.group(1) else 1 + float(m2.group(2)) / 100
    elif re.search(r"x(\d+(?:\.\d+)?)\s+(?:the\s+|our\s+)?(?:total\s+)?budget", text):
        scale = float(re.search(r"x(\d+(?:\.\d+)?)\s+(?:the\s+|our\s+)?(?:total\s+)?budget", text).group(1))
    else:
        amount = re.search(rf"(?:budget of|budget is|a|an|total of|with|allocate|spend|spending|split)\s+"
                           rf"(?:an?\s+)?{_NUM}(?![\d%.])|{_NUM}(?![\d%])\s+(?:total\s+)?budget", text)
        if amount:
            budget = float(amount.group(1) or amount.group(2))
    limit = re.search(rf"(?:more than|over|within|at most|max(?:imum)?(?: change)?(?: of)?|by no more than|"
                      rf"beyond|up to)\s+(?:\+/-\s*|±\s*)?{_NUM}%", text)
    if limit:
        change = float(limit.group(1)) / 100
    locked = [channels[index] for index in locked_channels(text)]
    return AskRequest("plan", budget=budget, budget_scale=scale, max_change=change, locked=tuple(locked))


def sides(text: str) -> list[str]:
    """The two plans of a comparison: "compare A with B", "A vs B", "is A better than B", "A or B"."""
    if "compare" in text:
        text = text.split("compare", 1)[1]
        for joiner in (r"with|vs\.?|versus|against", r"and|to"):
            parts = re.split(rf"\s+(?:{joiner})\s+", text, maxsplit=1)
            if len(parts) == 2:
                return parts
        return [text]
    split = r"\s+(?:vs\.?|versus|against|better than|worse than|beats?|outperforms?|or|than)\s+"
    return re.split(split, text, maxsplit=1)


def current_plan(text: str) -> bool:
    """Whether one side of a comparison is the plan in place ("now", "today", "what we do", "as is")."""
    return re.search(r"current|now|today|as is|status quo|what we do", text) is not None


def read_question(question: str, channels: Sequence[str]) -> AskRequest:
    """The request a question asks by the documented patterns; kind ``none`` when it fits none."""
    normal = normalise(question, channels)
    text = mark_channels(normal, channels)
    if MARGINAL_CUE.search(text):
        return canonical(AskRequest("marginal", tuple(_clause_changes(text, channels))))
    if COMPARE_CUE.search(text):
        parts = sides(text)
        if len(parts) == 2:
            left = _clause_changes(parts[0], channels)
            right = _clause_changes(parts[1], channels)
            current = current_plan(parts[1])
            if left and (right or current):
                return canonical(AskRequest("compare", tuple(left), tuple(right)))
    if FRONTIER_CUE.search(text):
        return AskRequest("frontier")
    if PLAN_CUE.search(text):
        return canonical(_plan(text, channels))
    changes = _clause_changes(text, channels)
    if changes and re.search(r"what if|what happens|what would|\bif\b|\bwe\b|\?$|^" + MOVES + "|^" + _DOWN
                             + "|^" + _UP + "|^(?:spend|add|stop|pause|x\\d)", text):
        return canonical(AskRequest("whatif", tuple(changes)))
    return AskRequest("none")
