"""Amounts written as text (mixscope.plan.amounts): read strictly, refused with the option named."""

from __future__ import annotations

import pytest

from mixscope.errors import MixscopeError, amount_text
from mixscope.plan import Constraints
from mixscope.plan.amounts import (
    check_target,
    parse_amount,
    parse_budget,
    parse_constraints,
    parse_fraction,
    parse_spend,
)


@pytest.mark.parametrize(("text", "value"), [
    ("1500000", 1_500_000.0), ("1,500,000", 1_500_000.0), ("1_500_000", 1_500_000.0), ("1.2x", 1200.0),
    (" 0.5X ", 500.0),
])
def test_amounts(text, value):
    assert parse_amount(text, 1000.0, "--budget") == pytest.approx(value)


@pytest.mark.parametrize(("text", "message"), [
    ("0", "must be more than zero"), ("-1x", "must be more than zero"), ("-5", "must be more than zero"),
    ("", "is not an amount"), ("x", "is not an amount"), ("nan", "is not an amount"),
    ("inf", "is not an amount"),
    ("1e999", "is not an amount"), ("1e308", "larger than any budget"), ("lots", "is not an amount"),
])
def test_bad_amounts_name_the_option(text, message):
    with pytest.raises(MixscopeError, match=message) as refused:
        parse_amount(text, 1000.0, "--budget")
    assert str(refused.value).startswith("--budget:")


def test_budgets_and_ranges():
    assert parse_budget("1.2x", 1000.0) == (pytest.approx(1200.0), None)
    assert parse_budget("0.9x-1.1x", 1000.0) == (None, (pytest.approx(900.0), pytest.approx(1100.0)))
    assert parse_budget("900000-1e6", 1.0) == (None, (900000.0, 1e6))
    assert parse_budget("1.5e-3x", 1000.0) == (pytest.approx(1.5), None)  # an exponent's sign is no range
    with pytest.raises(MixscopeError, match="'-1x' must be more than zero"):
        parse_budget("-1x", 1000.0)
    with pytest.raises(MixscopeError, match="'-2x' must be more than zero"):
        parse_budget("1x--2x", 1000.0)


@pytest.mark.parametrize(("text", "value"), [
    ("30%", 0.3), ("0.3", 0.3), ("0", 0.0), ("1", 1.0), ("150%", 1.5),
])
def test_fractions(text, value):
    assert parse_fraction(text, "--max-change") == pytest.approx(value)


@pytest.mark.parametrize(("text", "message"), [
    ("30", "ambiguous: write 30% for 30 percent, or a fraction such as 0.3"),
    ("-10%", "must be zero or more"), ("nan", "not a percentage"), ("inf%", "not a percentage"),
    ("thirty", "not a percentage"),
])
def test_bad_fractions(text, message):
    with pytest.raises(MixscopeError, match=message):
        parse_fraction(text, "--max-change")


def test_spend_plans():
    assert parse_spend("tv=120000, search=80_000") == {"tv": 120000.0, "search": 80000.0}
    assert parse_spend("[red]tv[/red]=5") == {"[red]tv[/red]": 5.0}  # a name is whatever was typed


@pytest.mark.parametrize(("text", "message"), [
    ("tv=1,tv=2", "'tv' is given twice (1 and 2); give each channel once"),
    ("tv=1e308", "larger than any budget"), ("tv=1e999", "not a number: '1e999'"),
    ("tv=nan", "not a number"), ("tv", "is not CHANNEL=AMOUNT"), ("=5", "is not CHANNEL=AMOUNT"),
    (",", "is empty"),
])
def test_bad_spend_plans(text, message):
    with pytest.raises(MixscopeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_spend(text, "--min")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0, 0.0])
def test_targets_must_be_positive_and_finite(value):
    with pytest.raises(MixscopeError, match="--target-roi must be a number above zero"):
        check_target(value, "--target-roi")
    assert check_target(None, "--target-roi") is None and check_target(2.0, "--target-roi") == 2.0


def test_amounts_in_messages_stay_short():
    assert amount_text(1_500_000.4) == "1,500,000"
    assert amount_text(1e308) == "1e+308" and amount_text(float("nan")) == "nan"


def test_constraints_from_text_read_every_amount_the_same_way():
    constraints = parse_constraints(
        1_000_000, budget="1x-1.3x", max_change="30%", minimum=["tv=100_000"],
        maximum=["search=2e5", "tv=4e5"],
        locked=["radio"], trust_region=False, target_roi=2.0,
    )
    assert constraints == Constraints(
        budget=None, budget_range=(1_000_000, 1_300_000), minimum={"tv": 100_000.0},
        maximum={"search": 200_000.0, "tv": 400_000.0}, max_change=0.3, locked=("radio",), trust_region=False,
        target_roi=2.0,
    )
    assert parse_constraints(1_000_000, budget="1.2x").budget == pytest.approx(1_200_000)
    assert parse_constraints(1_000_000) == Constraints()
    with pytest.raises(MixscopeError, match="--max-change: '30' is ambiguous"):
        parse_constraints(1_000_000, max_change="30")
    with pytest.raises(MixscopeError, match="--target-cpa must be a number above zero"):
        parse_constraints(1_000_000, target_cpa=-1.0)
