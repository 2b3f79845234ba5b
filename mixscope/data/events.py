"""Event columns: a categorical column (Robyn's ``events``) becomes one indicator per level.

The reference level (``"na"``, ``"none"``, empty and the like: no event) gets no
column, so each event's effect is measured against ordinary periods. The data gate
(:func:`check_event_columns`) refuses columns that do not look categorical: a numeric
column with many levels is a control, not a set of events.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mixscope.data.findings import Finding

REFERENCE_LEVELS = frozenset({"", "na", "n/a", "nan", "none", "null", "no", "no event", "0", "0.0", "false"})
MAX_EVENT_LEVELS = 20  # more distinct levels than this is an ID or a measurement, not events
MAX_NUMERIC_LEVELS = 5  # a numeric column with more levels than this is a quantity (a control)


def event_label(value: object) -> str | None:
    """A cell's event level, ``None`` for the reference level (no event)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return None if text.lower() in REFERENCE_LEVELS else text


def event_levels(values: Sequence[object]) -> tuple[str, ...]:
    """The distinct non-reference levels in ``values``, sorted."""
    return tuple(sorted({label for value in values if (label := event_label(value)) is not None}))


def event_indicators(column: str, values: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    """``(names, (..., level) 0/1)`` for ``values`` (any shape) of event column ``column``.

    Names are ``"column=level"``, so two event columns with the same level stay apart.
    """
    flat = np.asarray(values, dtype=object).ravel()
    labels = [event_label(value) for value in flat]
    levels = event_levels(flat)
    design = np.stack([[label == level for label in labels] for level in levels], axis=-1) if levels else (
        np.zeros((len(flat), 0))
    )
    return (
        tuple(f"{column}={level}" for level in levels),
        design.astype(float).reshape(*np.shape(values), len(levels)),
    )


def check_event_columns(frame: pd.DataFrame, columns: Sequence[str]) -> list[Finding]:
    """Event columns that do not look categorical, or that have no event at all."""
    findings = []
    for column in columns:
        values = frame[column]
        levels = event_levels(values.tolist())
        numeric = pd.to_numeric(values.astype(object), errors="coerce")
        is_numeric = bool(numeric.notna().all()) and pd.api.types.is_numeric_dtype(values)
        advice = None
        if is_numeric and len(levels) > MAX_NUMERIC_LEVELS:
            advice = (f"is numeric with {len(levels)} distinct values, so it looks like a quantity, not "
                      "events: list it under `controls` in [data] instead of `events`")
        elif len(levels) > MAX_EVENT_LEVELS:
            advice = (f"has {len(levels)} distinct levels (at most {MAX_EVENT_LEVELS} make sense as events, "
                      "each needing its own effect): merge rare levels in the data or drop it from `events`")
        elif not levels:
            advice = ("holds only the no-event level (na/none/empty), so there is no event to model: "
                      "drop it from `events` in [data]")
        elif len(levels) == 1 and all(event_label(value) is not None for value in values):
            advice = ("has the same level in every row, so its effect cannot be told from the baseline: "
                      "use na (or leave the cell empty) for periods without the event")
        if advice:
            findings.append(Finding(
                "error", "not_categorical_event",
                f"Column '{column}' (an event column, set by `events` in [data]) {advice}.", column,
            ))
    return findings
