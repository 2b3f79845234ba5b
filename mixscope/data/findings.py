"""Validation findings, the report that holds them, and the wording their messages share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from mixscope.errors import DataError

Level = Literal["error", "warning"]

MAX_LISTED = 8  # rows or values spelled out in a message before "and N more"


@dataclass(frozen=True)
class Finding:
    """One problem in the data: what, where (column, 1-based data rows) and what to do."""

    level: Level
    code: str
    message: str
    column: str | None = None
    rows: tuple[int, ...] = ()

    def format(self) -> str:
        return f"{self.level.upper()} [{self.code}] {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    """All findings for one data source; ``ok`` when none of them is an error."""

    source: str
    findings: tuple[Finding, ...] = ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.level == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.level == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (rows as lists)."""
        return {
            "source": self.source,
            "ok": self.ok,
            "n_errors": len(self.errors),
            "n_warnings": len(self.warnings),
            "findings": [
                {**asdict(finding), "rows": list(finding.rows)} for finding in self.findings
            ],
        }

    def format(self) -> str:
        """A header line with the counts, then one paragraph per finding."""
        if not self.findings:
            return f"Validation of {self.source}: no problems found."
        header = (
            f"Validation of {self.source}: {plural(len(self.errors), 'error')}, "
            f"{plural(len(self.warnings), 'warning')}."
        )
        if any(finding.rows for finding in self.findings):
            header += " Row numbers count data rows (row 1 is the first row after the header)."
        return "\n\n".join([header, *(finding.format() for finding in self.findings)])

    def raise_for_errors(self) -> None:
        """Raise :class:`DataError` with the formatted report if any finding is an error."""
        if self.errors:
            raise DataError(self.format())


def listing(items: Iterable[str]) -> str:
    items = list(items)
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def plural(count: int, noun: str, show: bool = True) -> str:
    word = noun if count == 1 else noun + "s"
    return f"{count} {word}" if show else word


def fmt_date(value: Any) -> str:
    stamp = pd.Timestamp(value)
    return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else str(stamp)


def fmt_value(value: Any) -> str:
    if isinstance(value, str) or not isinstance(value, int | float | np.number):
        return repr(str(value)) if not pd.isna(value) else "empty"
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    return f"{number:,.2f}" if abs(number) >= 1_000 else f"{number:.4g}"
