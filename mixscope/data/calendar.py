"""Holiday indicators for the periods of the data, from a country calendar or a holidays CSV.

A holiday counts in the period that contains it (for weekly data, its week), and with
a window ``w`` also in the ``w`` periods either side, where demand moves around it.
Each named holiday that falls in the data window gets its own indicator column.

Grouping, measured on 156 weeks from 2019-01-07: the US calendar gives 11 columns,
US-CA 13 names in 12 columns, Germany 9 names in 8. Holidays that always share the same
periods (Thanksgiving and the day after it; Christmas and Boxing Day) cannot be told
apart by any model, so their columns merge into one named "A + B". Past
:data:`MAX_HOLIDAY_COLUMNS` distinct columns the rest merge into one "other holidays"
indicator: a coefficient seen once a year is nearly prior-only, and a long tail of them
slows sampling without informing anything. Per-geo calendars (``holidays = {GEO = "CODE"}``)
share names: a holiday is one column over the geos that keep it. One column per holiday otherwise costs
little: a national 156-week fit with the US calendar took 1.16-1.23x the time of the
same fit without it (4 chains x (500 + 1000), the 2-core machine).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from mixscope.data.dataset import NATIONAL
from mixscope.data.findings import Finding
from mixscope.errors import DataError
from mixscope.spec_terms import HolidaySpec
from mixscope.storage import sha256_file

MAX_HOLIDAY_COLUMNS = 16
OTHER_HOLIDAYS = "other holidays"
_OBSERVED = (" (observed)", " (Observed)", " (estimated)")


def holiday_indicators(dates: np.ndarray, spec: HolidaySpec) -> tuple[tuple[str, ...], np.ndarray]:
    """``(names, (time, holiday) 0/1 indicators)`` for the period starts ``dates`` (sorted)."""
    names, design = _merge(_columns(dates, spec, spec.country))
    return names, design.reshape(len(dates), len(names))


def geo_holiday_indicators(
    dates: np.ndarray, spec: HolidaySpec, geos: tuple[str, ...]
) -> tuple[tuple[str, ...], np.ndarray]:
    """``(names, (geo, time, holiday) 0/1 indicators)``: each geo on its own calendar
    (``spec.by_geo``, else the shared ``"*"`` one). A holiday is one term across the geos that
    keep it (one coefficient), zero where a geo's calendar does not have it.

    Raises :class:`DataError` naming a geo with no calendar, or a listed geo not in the data.
    """
    problems = _geo_problems(spec, geos)
    if problems:
        raise DataError(" ".join(problems))
    # Geo order, not a set's: the term order (and so the fit) must not depend on string hashing.
    codes = dict.fromkeys(spec.calendar_of(geo) for geo in geos)
    calendars = {code: _columns(dates, spec, code) for code in codes}
    names = list(dict.fromkeys(name for columns in calendars.values() for name in columns))
    stacked = {
        name: np.stack([calendars[spec.calendar_of(geo)].get(name, np.zeros(len(dates))) for geo in geos])
        for name in names
    }
    merged_names, design = _merge(stacked)
    return merged_names, design.reshape(len(geos), len(dates), len(merged_names))


def check_holidays(spec: HolidaySpec | None, geo_column: pd.Series) -> list[Finding]:
    """The data gate's findings on the calendars (:func:`calendar_problems`); ``geo_column`` is each row's
    geo (``"national"`` throughout for national data)."""
    if spec is None:
        return []
    geos = tuple(sorted(str(geo) for geo in geo_column.dropna().unique()))
    return [Finding("error", "holiday_calendar", problem) for problem in calendar_problems(spec, geos)]


def calendar_problems(spec: HolidaySpec, geos: tuple[str, ...]) -> list[str]:
    """Every reason ``spec``'s calendars cannot cover the data's ``geos`` (``("national",)`` for national
    data), each naming the geo, the code and what to do; [] when there is none. The data gate reports
    them (:func:`mixscope.data.validate_frame`), so they surface before any model is prepared.

    A listed geo the data lacks, a geo with no calendar, and with a ``holidays_file``: the file missing
    or unreadable, or without rows for a code in use. (A code the ``holidays`` package does not know is
    refused with the spec: :func:`mixscope.spec_terms.parse_holidays`.)
    """
    problems = _geo_problems(spec, geos)
    if spec.file is None:
        return problems
    try:
        table = _read_file(spec.file)
    except DataError as error:
        return [*problems, str(error)]
    users: dict[str, list[str]] = {}  # code -> the geos on it, in the data's order
    for geo in geos if spec.by_geo else ():
        code = spec.calendar_of(geo)
        if code:
            users.setdefault(code, []).append(geo)
    if not spec.by_geo and spec.country:
        users[spec.country] = []
    for code, on_it in users.items():
        try:
            _country_rows(table, spec.file, code, tuple(on_it))
        except DataError as error:
            problems.append(str(error))
    return problems


def _geo_problems(spec: HolidaySpec, geos: tuple[str, ...]) -> list[str]:
    """A per-geo calendar's listed geos the data lacks, and its geos left without a calendar."""
    if not spec.by_geo:
        return []
    problems = []
    absent = [(geo, code) for geo, code in spec.by_geo if geo not in geos]
    if absent:
        named = ", ".join(f"{geo!r} (calendar {code!r})" for geo, code in absent)
        if geos == (NATIONAL,):  # one problem, not also "no calendar for 'national'"
            return [
                f"[data] holidays names geo(s) {named}, but the data is national (no `geo` in [data]); "
                'give one calendar for all of it, e.g. holidays = "US".'
            ]
        problems.append(
            f"[data] holidays names geo(s) {named} that the data does not have; its geos are: "
            f"{', '.join(geos[:20])}{' ...' if len(geos) > 20 else ''}. Correct the name (it must match "
            "the geo column exactly) or remove it from `holidays`."
        )
    uncovered = [geo for geo in geos if spec.calendar_of(geo) is None]
    if uncovered:
        problems.append(
            f"[data] holidays gives no calendar to geo(s) {', '.join(map(repr, uncovered[:10]))}"
            f"{' ...' if len(uncovered) > 10 else ''}; list them, or add \"*\" = \"CODE\" for every geo "
            "not listed."
        )
    return problems


def _columns(dates: np.ndarray, spec: HolidaySpec, country: str) -> dict[str, np.ndarray]:
    """``{holiday: (time,) 0/1}`` of ``country``'s calendar over the periods ``dates``, window included."""
    dates = np.asarray(dates).astype("datetime64[D]")
    step = _period(dates)
    first, last = dates[0], dates[-1] + step
    days = _holiday_days(spec, country, int(str(first)[:4]), int(str(last)[:4]))
    columns: dict[str, np.ndarray] = {}
    for day, name in days:
        when = np.datetime64(day, "D")
        if not first <= when < last:
            continue
        index = int(np.searchsorted(dates, when, side="right")) - 1
        column = columns.setdefault(name, np.zeros(len(dates)))
        column[max(index - spec.window, 0) : index + spec.window + 1] = 1.0
    return columns


def _period(dates: np.ndarray) -> np.timedelta64:
    if len(dates) < 2:
        return np.timedelta64(7, "D")
    return np.median(np.diff(dates)).astype("timedelta64[D]")


def _holiday_days(
    spec: HolidaySpec, code: str, first_year: int, last_year: int
) -> list[tuple[dt.date, str]]:
    """Every (day, holiday name) of calendar ``code`` in the years covered, names without "(observed)"."""
    if spec.file is not None:
        pairs = _from_file(spec.file, code, first_year, last_year)
    else:
        import holidays  # a project dependency, imported only when a spec asks for holidays

        country, _, subdivision = code.partition("-")
        calendar = holidays.country_holidays(
            country, subdiv=subdivision or None, years=range(first_year, last_year + 1)
        )
        # Two holidays on one day come joined by "; ".
        pairs = [(day, part) for day, names in sorted(calendar.items()) for part in names.split("; ")]
    return [(day, _clean(name)) for day, name in pairs]


def _clean(name: str) -> str:
    for suffix in _OBSERVED:
        name = name.replace(suffix, "")
    return name.strip()


def calendar_file_digest(spec: HolidaySpec | None) -> str | None:
    """SHA-256 of the holidays file's bytes, ``None`` without one: part of the data's identity
    (:meth:`mixscope.data.dataset.Dataset.content_hash`), since editing the calendar changes the fit."""
    if spec is None or spec.file is None:
        return None
    _require_file(spec.file)
    return sha256_file(spec.file)


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise DataError(
            f"Holidays file {path} (set by `holidays_file` in [data]) does not exist; fix the path "
            "(a relative path is resolved against the spec file's folder)."
        )


def _from_file(path: Path, country: str, first_year: int, last_year: int) -> list[tuple[dt.date, str]]:
    """Holidays from a Prophet/Robyn-style CSV (``ds, holiday, country, year``) for ``country``."""
    rows, days = _country_rows(_read_file(path), path, country)
    keep = (days.dt.year >= first_year) & (days.dt.year <= last_year)
    return [(day.date(), str(name)) for day, name in zip(days[keep], rows["holiday"][keep], strict=True)]


def _read_file(path: Path) -> pd.DataFrame:
    """The holidays CSV, refused when missing, unreadable or without Prophet's columns."""
    _require_file(path)
    try:
        table = pd.read_csv(path)
    except Exception as error:  # any reader failure means the same: not a readable CSV
        raise DataError(f"Could not read holidays file {path} as CSV: {error}.") from None
    missing = [column for column in ("ds", "holiday", "country") if column not in table.columns]
    if missing:
        raise DataError(
            f"Holidays file {path} lacks column(s) {', '.join(missing)}; it needs Prophet's/Robyn's "
            "columns ds (date), holiday (name) and country (code)."
        )
    return table


def _country_rows(
    table: pd.DataFrame, path: Path, country: str, geos: tuple[str, ...] = ()
) -> tuple[pd.DataFrame, pd.Series]:
    """``country``'s rows of the holidays file and their dates; ``geos`` (those on that calendar) are named
    in the error when it has none."""
    rows = table[table["country"].astype(str) == country]
    if rows.empty:
        known = sorted(table["country"].astype(str).unique())
        shown = ", ".join(known[:30]) + (" ..." if len(known) > 30 else "")
        whose = f", the calendar of geo(s) {', '.join(map(repr, geos))}" if geos else ""
        raise DataError(
            f"Holidays file {path} has no rows for country {country!r} (`holidays` in [data]{whose}); "
            f"it has: {shown}. Add that country's holidays to the file, or use a code it has."
        )
    days = pd.to_datetime(rows["ds"], errors="coerce")
    if days.isna().any():
        raise DataError(f"Holidays file {path} has values in column ds that are not dates; fix them.")
    return rows, days


def _merge(columns: dict[str, np.ndarray]) -> tuple[tuple[str, ...], np.ndarray]:
    """Merge columns with identical indicators, then the tail past ``MAX_HOLIDAY_COLUMNS``.

    Columns are ``(time,)``, or ``(geo, time)`` for per-geo calendars; stacked on a last axis."""
    merged: dict[bytes, tuple[list[str], np.ndarray]] = {}
    for name, column in columns.items():
        if column.any():
            merged.setdefault(column.tobytes(), ([], column))[0].append(name)
    groups = [(" + ".join(names), column) for names, column in merged.values()]
    if len(groups) > MAX_HOLIDAY_COLUMNS:
        head, tail = groups[: MAX_HOLIDAY_COLUMNS - 1], groups[MAX_HOLIDAY_COLUMNS - 1 :]
        groups = [*head, (OTHER_HOLIDAYS, np.max([column for _, column in tail], axis=0))]
    if not groups:
        return (), np.zeros((0, 0))
    return tuple(name for name, _ in groups), np.stack([column for _, column in groups], axis=-1)
