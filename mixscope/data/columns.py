"""The columns a spec maps, each with its role, and how each role's values are parsed.

:func:`column_roles` lists every column the spec refers to and where in the spec it
is named (for messages); :func:`check_columns` finds the ones missing, clashing or
repeated in a table; :func:`parse_column` reads a column for its role. The
validation gate and the dataset builder both start here, so a column is read the
same way when it is checked and when it is modelled.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mixscope.data.findings import Finding
from mixscope.spec import RunSpec


@dataclass(frozen=True)
class ColumnRole:
    """A data column the spec refers to, and where in the spec it is named.

    ``target`` is the column's working name while the arrays are built: the date,
    geo and KPI get fixed names so that code need not consult the spec.
    """

    column: str
    # date, geo, kpi, spend, exposure, reach, frequency, organic, control, population, revenue_per_kpi,
    # event, treatment
    kind: str
    what: str
    key: str
    target: str

    @property
    def numeric(self) -> bool:
        return self.kind not in ("date", "geo", "event")


def column_roles(spec: RunSpec) -> tuple[ColumnRole, ...]:
    """Every column the spec maps, in :attr:`Dataset.frame` order."""
    data = spec.data
    roles = [ColumnRole(data.date, "date", "the date", "`date` in [data]", "date")]
    if data.geo is not None:
        roles.append(ColumnRole(data.geo, "geo", "the geo", "`geo` in [data]", "geo"))
    roles.append(ColumnRole(data.kpi, "kpi", "the KPI", "`kpi` in [data]", "kpi"))
    for channel in spec.channels:
        where = f"[channels.{channel.name}]"
        what = f"of channel '{channel.name}'"
        roles.append(ColumnRole(
            channel.spend, "spend", f"spend {what}", f"`spend` in {where}", channel.spend
        ))
        if channel.exposure is not None:
            roles.append(ColumnRole(
                channel.exposure, "exposure", f"exposure {what}", f"`exposure` in {where}",
                channel.exposure,
            ))
        if channel.is_rf:  # a reach & frequency channel (mixscope.model.reach_frequency)
            roles += [
                ColumnRole(column, kind, f"{kind} {what}", f"`{kind}` in {where}", column)
                for kind, column in (("reach", channel.reach), ("frequency", channel.frequency))
            ]
    roles += [
        ColumnRole(organic.column, "organic", f"volume of organic channel '{organic.name}'",
                   f"`column` in [organic.{organic.name}]", organic.column)
        for organic in spec.organic
    ]
    roles += [
        ColumnRole(control, "control", "a control", "`controls` in [data]", control)
        for control in data.controls
    ]
    if data.population is not None:
        roles.append(ColumnRole(
            data.population, "population", "the population", "`population` in [data]",
            data.population,
        ))
    if isinstance(data.revenue_per_kpi, str):
        roles.append(ColumnRole(
            data.revenue_per_kpi, "revenue_per_kpi", "revenue per KPI unit",
            "`revenue_per_kpi` in [data]", data.revenue_per_kpi,
        ))
    roles += [
        ColumnRole(column, "event", "an event column", "`events` in [data]", column)
        for column in data.events
    ]
    roles += [
        ColumnRole(treatment.column, "treatment", f"treatment '{treatment.name}'",
                   f"`column` in [treatments.{treatment.name}]", treatment.column)
        for treatment in spec.treatments
    ]
    return tuple(roles)


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates as naive datetime64; NaT where a value is missing or not a date."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_localize(None)
    if pd.api.types.is_integer_dtype(values):
        values = values.astype(str)  # 20210104 is a date, not nanoseconds since 1970
    with warnings.catch_warnings():
        # Format inference falling back to per-element parsing is fine here.
        warnings.simplefilter("ignore", UserWarning)
        try:
            parsed = pd.to_datetime(values, errors="coerce")
        except (TypeError, ValueError):  # mixed time zones, odd objects
            parsed = pd.Series([_parse_date(value) for value in values], index=values.index)
            parsed = pd.to_datetime(parsed)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    return parsed


def _parse_date(value: Any) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return pd.NaT
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def parse_numbers(values: pd.Series) -> pd.Series:
    """Values as float64; NaN where a value is missing, not a number, or infinite."""
    numbers = pd.to_numeric(values.astype(object), errors="coerce")
    array = np.array(numbers, dtype=float)  # a copy: pandas may hand out read-only views
    array[~np.isfinite(array)] = np.nan
    return pd.Series(array, index=values.index)


def _parse_labels(values: pd.Series) -> pd.Series:
    return values.map(lambda value: value if pd.isna(value) else str(value)).astype(object)


def parse_column(role: ColumnRole, values: pd.Series) -> pd.Series:
    """A mapped column parsed for its role: dates, geo labels (str) or float numbers."""
    if role.kind == "date":
        return parse_dates(values)
    if role.kind in ("geo", "event"):
        return _parse_labels(values)
    return parse_numbers(values)


def check_columns(frame: pd.DataFrame, roles: Sequence[ColumnRole]) -> list[Finding]:
    """Columns the spec names that the table lacks, maps twice or holds twice, and an empty table."""
    available = [str(column) for column in frame.columns]
    findings = [
        _missing_column(role, available) for role in roles if role.column not in frame.columns
    ]
    findings += _role_clashes(roles)
    referenced = {role.column for role in roles}
    findings += [
        Finding(
            "error", "duplicate_column",
            f"The table has more than one column named '{name}', so it is ambiguous which one "
            "to use: rename or remove the extra columns in the source data.",
            str(name),
        )
        for name in sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        if name in referenced
    ]
    if not findings and len(frame) == 0:
        findings.append(Finding(
            "error", "no_rows", "The table has columns but no data rows. Add the data rows, or "
            "fix the file or query so it returns them.",
        ))
    return findings


def _missing_column(role: ColumnRole, available: list[str]) -> Finding:
    suggestion = _suggest(role.column, available)
    hint = f" Did you mean '{suggestion}'?" if suggestion else ""
    shown = ", ".join(available[:30]) + (" ..." if len(available) > 30 else "")
    return Finding(
        "error", "missing_column",
        f"Column '{role.column}' ({role.what}, set by {role.key}) is not in the data.{hint} "
        f"Rename the column in the data or fix {role.key} in the spec. "
        f"Available columns: {shown}.",
        role.column,
    )


def _suggest(name: str, available: list[str]) -> str | None:
    # Case-insensitive, so 'TV_Spend' suggests 'tv_spend'.
    lowered = {column.lower(): column for column in available}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def _role_clashes(roles: Sequence[ColumnRole]) -> list[Finding]:
    findings = []
    for attribute, template in (
        ("column", "Column '{name}' is mapped to more than one role ({places}). A column can "
                   "play only one role: remove it from all but one of these places."),
        ("target", "Two columns would both be called '{name}' in the mapped table ({places}), "
                   "because mixscope renames the date, geo and KPI columns to date, geo and "
                   "kpi: rename the other column in the data and in the spec."),
    ):
        groups: dict[str, list[ColumnRole]] = {}
        for role in roles:
            groups.setdefault(getattr(role, attribute), []).append(role)
        for name, group in groups.items():
            if len(group) > 1:
                places = "; ".join(
                    f"'{role.column}' as {role.what} via {role.key}" for role in group
                )
                findings.append(Finding(
                    "error", f"{attribute}_clash", template.format(name=name, places=places), name
                ))
        if findings:
            break  # a shared column also shares its target: report it once
    return findings
