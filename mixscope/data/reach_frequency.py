"""The data gate's checks of reach & frequency channels (``reach``/``frequency`` in ``[channels.NAME]``).

Reach is people reached in the period, frequency the average number of times each was
reached: so reach is zero or positive, frequency is at least 1 wherever reach is positive
(a few percent under is rounding, a warning), and reach is at most the geo's population
when one is given. Missing values are the gate's general check (:mod:`mixscope.data.validation`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mixscope.data.columns import ColumnRole
from mixscope.data.findings import Finding

# Frequency under 1 where reach is positive is impossible, but a few percent under comes from rounding
# (Meridian's own geo_media_rf.csv has 0.979): that is a warning, lower an error.
FREQUENCY_FLOOR = 0.95


def check_reach_frequency(table: Any, rows_finding: Callable[..., Finding]) -> list[Finding]:
    """Reach zero or positive, frequency at least 1 where reach is positive, reach within the population.

    ``table`` is the validation gate's parsed table (its ``spec``, ``parsed`` columns and
    ``of_kind`` roles); ``rows_finding`` words a finding about rows of one column, as the
    gate words all of them (:mod:`mixscope.data.validation`).
    """
    findings = []
    population = None
    if table.spec.data.population is not None:
        population = table.parsed[table.spec.data.population]
    for channel in table.spec.rf_channels:
        reach = table.parsed[channel.reach]
        frequency = table.parsed[channel.frequency]
        negative = (reach < 0).to_numpy()
        if negative.any():
            findings.append(rows_finding(
                table, "error", "negative_reach", _role(table, channel.reach, "reach"), negative,
                "has negative values",
                "Reach (people reached) must be zero or positive: fix the source data or set those "
                "periods to 0.",
                values=reach[negative],
            ))
        role = _role(table, channel.frequency, "frequency")
        reached = (reach > 0).to_numpy()
        low = reached & (frequency < FREQUENCY_FLOOR).to_numpy()
        if low.any():
            findings.append(rows_finding(
                table, "error", "frequency_below_one", role, low,
                f"is below 1 where reach ('{channel.reach}') is positive",
                "Average frequency is impressions per person reached, so at least 1 wherever anyone was "
                "reached: check that the column holds frequency (not reach or a share) and fix the source "
                "data.",
                values=frequency[low],
            ))
        near = reached & (frequency >= FREQUENCY_FLOOR).to_numpy() & (frequency < 1).to_numpy()
        if near.any():
            findings.append(rows_finding(
                table, "warning", "frequency_just_below_one", role, near,
                f"is just below 1 where reach ('{channel.reach}') is positive",
                "Such values usually come from rounding reach or impressions; they are used as they are. "
                "Fix the source data if they are not rounding.",
                values=frequency[near],
            ))
        if population is not None:
            over = (reach > population).to_numpy()
            if over.any():
                findings.append(rows_finding(
                    table, "error", "reach_above_population", _role(table, channel.reach, "reach"), over,
                    f"is above the population ('{table.spec.data.population}')",
                    "Reach counts distinct people, so it cannot exceed the population: check that the column "
                    "holds reach (not impressions) and that population is the geo's, and fix the source "
                    "data.",
                    values=reach[over],
                ))
    return findings


def _role(table: Any, column: str, kind: str) -> ColumnRole:
    return next(role for role in table.of_kind(kind) if role.column == column)
