"""Round axis ticks: steps of 1, 2, 2.5 or 5 times a power of ten, starting from zero.

Plotly picks round ticks for an axis on its own, except where it lines one axis's
ticks up with another's (a right-hand axis overlaying the left one): there the
ticks read 3.613M, 2.99M, 2.367M. Such axes get their ticks from here instead,
fixed in the figure's JSON so every viewer draws the same ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)  # at most two significant digits
TARGET_TICKS = 5


@dataclass(frozen=True)
class RoundAxis:
    """An axis range from ``start`` to ``stop`` in ticks every ``step``, all multiples of ``step``."""

    start: float
    stop: float
    step: float

    def layout(self) -> dict[str, Any]:
        """Plotly axis settings drawing exactly these ticks."""
        return {"tickmode": "linear", "tick0": 0.0, "dtick": self.step, "range": [self.start, self.stop]}


def nice_step(span: float, target: int = TARGET_TICKS) -> float:
    """The round step giving about ``target`` intervals over ``span``."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / target
    power = 10.0 ** math.floor(math.log10(raw))
    return min((step * power for step in NICE_STEPS), key=lambda step: abs(step - raw))


def round_axis(low: float, high: float, target: int = TARGET_TICKS) -> RoundAxis:
    """The range holding ``[low, high]`` with round ends and round ticks in between."""
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = 0.0, 1.0
    if high <= low:
        low, high = low - max(abs(low), 1.0) * 0.5, high + max(abs(high), 1.0) * 0.5
    step = nice_step(high - low, target)
    return RoundAxis(_tidy(math.floor(low / step) * step), _tidy(math.ceil(high / step) * step), step)


def _tidy(value: float) -> float:
    """``value`` without the last bits of float noise (-0.6000000000000001 → -0.6)."""
    return float(f"{value:.12g}")


def significant_digits(value: float) -> int:
    """How many significant digits ``value`` needs (0 for zero): 2.5e6 needs 2, 3.613e6 needs 4."""
    if value == 0:
        return 0
    digits = f"{abs(value):.12e}".split("e")[0].replace(".", "").rstrip("0")
    return len(digits)
