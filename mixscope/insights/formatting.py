"""How insights write numbers: the rounded forms a narrative copies and the verifier reads back."""

from __future__ import annotations

import numpy as np


def fmt_amount(value: float) -> str:
    """Currency or KPI totals to 3 significant figures with a k/M/B suffix."""
    magnitude = abs(value)
    if magnitude < 0.5:  # optimiser dust such as 3.6e-09 is zero to a reader
        return "0"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= scale:
            return f"{fmt_sig(value / scale)}{suffix}"
    return fmt_sig(value)


def fmt_sig(value: float, digits: int = 3) -> str:
    """``digits`` significant figures, no suffix (e.g. a cost per conversion)."""
    if value == 0:
        return "0"
    decimals = max(digits - 1 - int(np.floor(np.log10(abs(value)))), 0)
    text = f"{value:.{decimals}f}"
    # 999.6 rounds to "1000" at 3 figures: that is fine, it is still within the rounding.
    return text


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}"


def fmt_pct(value: float, decimals: int = 0) -> str:
    return f"{value * 100:.{decimals}f}%"


def fmt_signed_pct(value: float, decimals: int = 0) -> str:
    return f"{value * 100:+.{decimals}f}%"


def with_currency(amount: str, currency: str | None) -> str:
    """A formatted amount with the spec's currency: an ISO code after it ("1,200 EUR"), a symbol
    before it and after any sign ("-€1,200"); unchanged when the spec names no currency."""
    if not currency:
        return amount
    if currency.isalpha() and currency.isascii():
        return f"{amount} {currency}"
    sign = amount[:1] if amount[:1] in "+-−" else ""
    return f"{sign}{currency}{amount[len(sign):]}"


def currency_label(currency: str | None) -> str:
    """The unit an axis or column of money names: the spec's currency, else the generic word."""
    return currency or "currency"
