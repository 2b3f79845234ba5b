"""Amounts, budgets, shares and plans written as text, read strictly into :class:`Constraints`.

The CLI's ``--budget``, ``--max-change``, ``--min``/``--max``, ``--spend``, ``--organic`` and
``--treatment`` and any caller of the planner with text in hand read amounts through these functions, so
"1.2x", "30%" and "tv=120000" mean the same everywhere. Every refusal is a
:class:`MixscopeError` (exit 2) that names the option, quotes what was given and
shows a value that works. Nothing here guesses: a bare ``30`` for a percentage is
refused rather than read as 3,000%.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from mixscope.errors import MAX_AMOUNT, MixscopeError, amount_text
from mixscope.plan.constraints import Constraints

# A budget range is LOW-HIGH; the dash must sit between two values (not lead, not be an exponent's sign).
_RANGE = re.compile(r"\s*([^-\s].*?)(?<![eE])-(.+)")


def parse_amount(text: str, current_total: float, option: str) -> float:
    """A positive amount: ``1500000`` (``_`` and ``,`` allowed) or a multiple of current spend, ``1.2x``."""
    cleaned = text.strip().lower().replace(",", "").replace("_", "")
    multiple = cleaned.endswith("x")
    number = _number(cleaned[:-1] if multiple else cleaned)
    if number is None:
        raise MixscopeError(
            f"{option}: '{text}' is not an amount (e.g. 1500000) or a multiple of current spend (e.g. 1.2x)."
        )
    value = number * current_total if multiple else number
    if not value > 0:
        raise MixscopeError(f"{option}: '{text}' must be more than zero (e.g. 1500000 or 1.2x).")
    _check_plausible(value, option, text)
    return value


def parse_budget(text: str, current_total: float) -> tuple[float | None, tuple[float, float] | None]:
    """``--budget``: ``(amount, None)`` for one total, ``(None, (low, high))`` for a range ``LOW-HIGH``."""
    match = _RANGE.fullmatch(text)
    if match is None:
        return parse_amount(text, current_total, "--budget"), None
    low, high = (parse_amount(part, current_total, "--budget") for part in match.groups())
    return None, (low, high)


def parse_fraction(text: str, option: str) -> float:
    """A share as ``30%`` or ``0.3``; zero or more. A bare number above 1 is refused as ambiguous."""
    cleaned = text.strip()
    percent = cleaned.endswith("%")
    number = _number(cleaned[:-1] if percent else cleaned)
    if number is None:
        raise MixscopeError(f"{option}: '{text}' is not a percentage (e.g. 30% or 0.3).")
    if number < 0:
        raise MixscopeError(f"{option}: '{text}' must be zero or more (e.g. 30%).")
    if not percent and number > 1:
        raise MixscopeError(
            f"{option}: '{text}' is ambiguous: write {cleaned}% for {cleaned} percent, or a fraction "
            f"such as {min(number / 100, 1):g}."
        )
    return number / 100 if percent else number


def parse_spend(text: str, option: str = "--spend") -> dict[str, float]:
    """``CHANNEL=AMOUNT,...``: each channel once, each amount a finite, plausible number."""
    plan: dict[str, float] = {}
    for name, amount, value in _named_numbers(text, option, "CHANNEL=AMOUNT", "tv=120000,search=80000",
                                              "amount"):
        _check_plausible(abs(value), f"{option} {name}", amount)
        if name in plan:
            raise MixscopeError(
                f"{option}: '{name}' is given twice ({amount_text(plan[name])} and {amount}); "
                "give each channel once."
            )
        plan[name] = value
    return plan


def parse_multiples(text: str, option: str = "--organic") -> dict[str, float]:
    """``NAME=CHANGE,...`` with each change a signed percentage (``+50%``, ``-20%``) or a multiple
    (``1.5x``) of the reference level: ``{name: multiple}``. A bare number or an unsigned percentage
    is refused as ambiguous (is ``50%`` a change or the level?)."""
    out: dict[str, float] = {}
    for name, change in _named_items(text, option, "NAME=CHANGE", "newsletter=+50%"):
        cleaned = change.strip().lower()
        if cleaned.endswith("x"):
            number = _number(cleaned[:-1])
            multiple = number
        elif cleaned.endswith("%") and cleaned[:1] in ("+", "-"):
            number = _number(cleaned[:-1])
            multiple = None if number is None else 1.0 + number / 100
        else:
            number = _number(cleaned.rstrip("%"))
            if number is not None:
                written = f"{name}=+{cleaned}" if cleaned.endswith("%") else f"{name}={cleaned}x"
                raise MixscopeError(
                    f"{option}: '{name}={change.strip()}' is ambiguous: write {written} (a "
                    f"{'change' if cleaned.endswith('%') else 'multiple'} of the reference level)."
                )
            multiple = None
        if multiple is None:
            raise MixscopeError(f"{option}: the change for '{name}' is not a signed percentage or a "
                                f"multiple: '{change.strip()}' (e.g. {name}=+50% or {name}=1.5x).")
        _check_once(out, name, option)
        out[name] = multiple
    return out


def parse_levels(text: str, option: str = "--treatment") -> dict[str, float]:
    """``NAME=LEVEL,...``: each name once, each level a finite number in the column's units."""
    out: dict[str, float] = {}
    for name, _, value in _named_numbers(text, option, "NAME=LEVEL", "price=9.99", "level"):
        _check_once(out, name, option)
        out[name] = value
    return out


def _named_items(text: str, option: str, form: str, example: str) -> list[tuple[str, str]]:
    """``NAME=VALUE`` items of a comma-separated option, names stripped; at least one."""
    items = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise MixscopeError(f"{option}: '{item}' is not {form}. Example: {option} {example}")
        items.append((name, value))
    if not items:
        raise MixscopeError(f"{option} is empty. Example: {option} {example}")
    return items


def _named_numbers(
    text: str, option: str, form: str, example: str, what: str
) -> list[tuple[str, str, float]]:
    """:func:`_named_items` with each value a finite number: ``(name, as written, number)``."""
    out = []
    for name, written in _named_items(text, option, form, example):
        value = _number(written.replace("_", ""))
        if value is None:
            raise MixscopeError(f"{option}: the {what} for '{name}' is not a number: '{written.strip()}'.")
        out.append((name, written, value))
    return out


def _check_once(seen: dict[str, float], name: str, option: str) -> None:
    if name in seen:
        raise MixscopeError(f"{option}: '{name}' is given twice; give each once.")


def parse_constraints(
    current_total: float, *, budget: str | None = None, max_change: str | None = None,
    minimum: Sequence[str] = (), maximum: Sequence[str] = (), locked: Sequence[str] = (),
    trust_region: bool = True, target_roi: float | None = None, target_cpa: float | None = None,
) -> Constraints:
    """:class:`Constraints` from text: ``budget`` "1.2x", "1500000" or "1x-1.3x" (multiples of
    ``current_total``), ``max_change`` "30%", ``minimum``/``maximum`` items "CHANNEL=AMOUNT"."""
    fixed, budget_range = parse_budget(budget, current_total) if budget is not None else (None, None)
    return Constraints(
        budget=fixed, budget_range=budget_range,
        minimum=parse_spend(",".join(minimum), "--min") if minimum else {},
        maximum=parse_spend(",".join(maximum), "--max") if maximum else {},
        max_change=None if max_change is None else parse_fraction(max_change, "--max-change"),
        locked=tuple(locked), trust_region=trust_region, target_roi=check_target(target_roi, "--target-roi"),
        target_cpa=check_target(target_cpa, "--target-cpa"),
    )


def check_target(value: float | None, option: str) -> float | None:
    """A target ROI or CPA: None (not set), or a finite number above zero."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise MixscopeError(f"{option} must be a number above zero (e.g. {option} 2), got {value}.")
    return value


def _number(text: str) -> float | None:
    """The finite number ``text`` spells, or None (``nan``, ``inf`` and overflow are not amounts)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _check_plausible(value: float, option: str, text: str) -> None:
    if value > MAX_AMOUNT:
        raise MixscopeError(
            f"{option}: '{text.strip()}' is larger than any budget ({amount_text(MAX_AMOUNT)}); "
            "check the number of digits."
        )
