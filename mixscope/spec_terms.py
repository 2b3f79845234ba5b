"""The spec's non-media terms: holidays, events and treatments (price, promotions, distribution);
and a paid channel's reach & frequency columns (:func:`parse_reach_frequency`).

Parsed as strictly as the rest of the spec (:mod:`mixscope.spec` calls in here): an
unknown key, a value of the wrong type or an unknown holiday country is an error naming
the section, key and value. Holidays and events are keys of ``[data]``; each treatment
is a ``[treatments.NAME]`` table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mixscope.errors import SpecError, did_you_mean

TREATMENT_BASELINES = ("min", "mean", "max")
MAX_HOLIDAY_WINDOW = 4  # periods either side; wider windows blur a holiday into the season
HOLIDAY_KEYS = ("holidays", "holiday_window", "holidays_file", "events")
ALL_GEOS = "*"  # in a per-geo holidays table: every geo not listed


@dataclass(frozen=True)
class NormalPrior:
    """A prior on an effect that may be of either sign: Normal(mean, sd)."""

    mean: float
    sd: float


@dataclass(frozen=True)
class HolidaySpec:
    """A holiday calendar: a country (``"US"``) or subdivision (``"US-CA"``), from the
    ``holidays`` package or from a Prophet/Robyn-style CSV (``ds, holiday, country, year``).

    ``window`` periods either side of a holiday's period count as the holiday too.
    ``by_geo`` gives geos their own calendars (``holidays = {California = "US-CA", "*" = "US"}``):
    ``(geo, code)`` pairs; ``country`` is then the ``"*"`` code for every geo not listed, or ``""``.
    """

    country: str
    window: int = 0
    file: Path | None = None
    by_geo: tuple[tuple[str, str], ...] = ()

    def calendar_of(self, geo: str) -> str | None:
        """The calendar code of ``geo``: its own, else the shared one; None when it has neither."""
        return dict(self.by_geo).get(geo, self.country or None)


@dataclass(frozen=True)
class TreatmentSpec:
    """A non-media treatment: a numeric column whose effect is linear in its level.

    Attributes:
        baseline: the level contributions are measured against (a number, or
            ``"min"``/``"mean"``/``"max"`` of the column): a treatment's contribution
            in a period is ``effect * (level - baseline)``, as Meridian reports it.
        prior: Normal prior on the effect, in KPI units per unit of the column;
            ``None`` is a weakly informative default on the scaled effect.
    """

    name: str
    column: str
    baseline: float | str = "mean"
    prior: NormalPrior | None = None


def parse_holidays(raw: Mapping[str, Any], base_dir: Path | None, where: str) -> HolidaySpec | None:
    """The ``[data]`` holiday keys as a :class:`HolidaySpec`, ``None`` when ``holidays`` is unset."""
    country = raw.get("holidays")
    if country is None:
        for key in ("holiday_window", "holidays_file"):
            if key in raw:
                raise SpecError(
                    f"{where}: [data] sets `{key}` but not `holidays`; name the country, "
                    'e.g. holidays = "US".'
                )
        return None
    by_geo: tuple[tuple[str, str], ...] = ()
    if isinstance(country, Mapping):  # one calendar per geo, "*" for every geo not listed
        by_geo = _parse_geo_calendars(country, where)
        country = dict(by_geo).pop(ALL_GEOS, "")
        by_geo = tuple((geo, code) for geo, code in by_geo if geo != ALL_GEOS)
    elif not isinstance(country, str) or not country.strip():
        raise SpecError(
            f'{where}: [data] `holidays` must be a country code such as "US" or "US-CA", or a table of '
            f'geo = code such as {{California = "US-CA", "*" = "US"}}; got {country!r}.'
        )
    country = country.strip()
    window = raw.get("holiday_window", 0)
    if isinstance(window, bool) or not isinstance(window, int) or not 0 <= window <= MAX_HOLIDAY_WINDOW:
        raise SpecError(
            f"{where}: [data] `holiday_window` must be a whole number of periods from 0 to "
            f"{MAX_HOLIDAY_WINDOW}, got {window!r}."
        )
    file = None
    if "holidays_file" in raw:
        value = raw["holidays_file"]
        if not isinstance(value, str):
            raise SpecError(f"{where}: [data] `holidays_file` must be a path (str), got {value!r}.")
        file = Path(value)
        if not file.is_absolute() and base_dir is not None:
            file = base_dir / file
    else:
        for geo, code in ((None, country), *by_geo):
            problem = unknown_country(code) if code else None
            if problem:
                place = "holidays" if geo is None else f"holidays, geo {geo!r}"
                raise SpecError(f"{where}: [data] {place} = {code!r}: {problem}")
    return HolidaySpec(country, window, file, by_geo)


def _parse_geo_calendars(raw: Mapping[str, Any], where: str) -> tuple[tuple[str, str], ...]:
    """``holidays = {GEO = "CODE", ...}`` as ``(geo, code)`` pairs, each code a non-empty string."""
    pairs = []
    for geo, code in raw.items():
        if not isinstance(code, str) or not code.strip():
            raise SpecError(
                f"{where}: [data] holidays, geo {geo!r} must be a country code such as \"US-CA\", "
                f"got {code!r}."
            )
        pairs.append((str(geo), code.strip()))
    if not pairs:
        raise SpecError(f'{where}: [data] holidays is an empty table; give each geo its calendar, e.g. '
                        f'{{California = "US-CA", "*" = "US"}}, or one code for all.')
    return tuple(pairs)


def unknown_country(code: str) -> str | None:
    """Why ``code`` ("US", "US-CA") is not a calendar the ``holidays`` package knows; None if it is."""
    import holidays  # imported here: a spec without holidays never pays for it

    supported = holidays.list_supported_countries()
    country, _, subdivision = code.partition("-")
    listing = ("List the valid codes with `python -c \"import holidays; "
               "print(sorted(holidays.list_supported_countries()))\"`")
    if country not in supported:
        hint = did_you_mean(country.upper(), sorted(supported)) if country.upper() not in supported else (
            f" Country codes are upper case: {country.upper()!r}."
        )
        return f"{country!r} is not a country code the holidays package knows.{hint} {listing}."
    if subdivision and subdivision not in supported[country]:
        shown = ", ".join(supported[country][:20]) + (" and more" if len(supported[country]) > 20 else "")
        return (f"{subdivision!r} is not a subdivision of {country}; its subdivisions are: "
                f"{shown or 'none'}. {listing}.")
    return None


def parse_events(raw: Mapping[str, Any], where: str) -> tuple[str, ...]:
    """``[data] events``: the categorical columns whose levels become indicator effects."""
    events = raw.get("events", [])
    if isinstance(events, str):
        events = [events]
    if not isinstance(events, list) or not all(isinstance(c, str) for c in events):
        raise SpecError(f"{where}: [data] events must be a list of column names, got {events!r}.")
    return tuple(events)


def parse_treatments(raw: Mapping[str, Any], where: str) -> tuple[TreatmentSpec, ...]:
    """Every ``[treatments.NAME]`` table."""
    out = []
    for name, table in raw.items():
        section = f"treatments.{name}"
        if not isinstance(table, Mapping):
            raise SpecError(f"{where}: [{section}] must be a table, got {table!r}.")
        allowed = {"column", "baseline", "prior"}
        for key in table:
            if key not in allowed:
                hint = did_you_mean(key, sorted(allowed), "`")
                raise SpecError(f"{where}: unknown key `{key}` in [{section}].{hint} "
                                f"Allowed keys: {', '.join(sorted(allowed))}.")
        column = table.get("column")
        if not isinstance(column, str) or not column:
            raise SpecError(
                f'{where}: [{section}] needs `column = "COLUMN"` naming its data column, got {column!r}.'
            )
        baseline = table.get("baseline", "mean")
        if isinstance(baseline, bool) or not isinstance(baseline, int | float | str):
            raise SpecError(
                f"{where}: [{section}] baseline must be a number (the reference level, e.g. the "
                f'regular price) or one of {", ".join(TREATMENT_BASELINES)}; got {baseline!r}.'
            )
        if isinstance(baseline, str) and baseline not in TREATMENT_BASELINES:
            raise SpecError(
                f"{where}: [{section}] baseline = {baseline!r} is not a number; give the reference "
                f'level as a number (baseline = 4.99) or one of {", ".join(TREATMENT_BASELINES)}.'
            )
        if isinstance(baseline, int | float) and not math.isfinite(baseline):
            raise SpecError(f"{where}: [{section}] baseline must be finite, got {baseline!r}.")
        prior = _parse_normal_prior(table["prior"], section, where) if "prior" in table else None
        out.append(TreatmentSpec(
            name, column, float(baseline) if isinstance(baseline, int | float) else baseline, prior
        ))
    columns = [treatment.column for treatment in out]
    if len(set(columns)) < len(columns):
        raise SpecError(f"{where}: two [treatments] tables name the same column; give each its own.")
    return tuple(out)


def _parse_normal_prior(raw: Any, section: str, where: str) -> NormalPrior:
    example = "{mean = -500.0, sd = 300.0} (KPI units per unit of the column)"
    if not isinstance(raw, Mapping) or set(raw) != {"mean", "sd"}:
        raise SpecError(f"{where}: [{section}] `prior` must be a table like {example}.")
    mean, sd = raw["mean"], raw["sd"]
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (mean, sd))
    if not (numbers and math.isfinite(mean) and math.isfinite(sd) and sd > 0):
        raise SpecError(
            f"{where}: [{section}] `prior` needs a finite mean and a positive sd, got {dict(raw)!r}."
        )
    return NormalPrior(float(mean), float(sd))


def parse_reach_frequency(raw: Mapping[str, Any], section: str, where: str) -> tuple[str | None, str | None]:
    """A channel's ``reach`` and ``frequency`` columns: both or neither, never with ``exposure``.

    Such a channel's diminishing returns are the Hill curve of its frequency
    (:mod:`mixscope.model.reach_frequency`), so it takes no ``saturation`` either.
    """
    given = [key for key in ("reach", "frequency") if key in raw]
    if not given:
        return None, None
    if len(given) == 1:
        [key] = given
        missing = "frequency" if key == "reach" else "reach"
        raise SpecError(
            f"{where}: [{section}] sets `{key}` but not `{missing}`: a reach & frequency channel needs "
            f"both columns (reach = \"COLUMN\", frequency = \"COLUMN\"); drop `{key}` for a plain spend "
            "channel."
        )
    for key in given:
        if not isinstance(raw[key], str):
            raise SpecError(f"{where}: [{section}] `{key}` must be str, got {raw[key]!r}.")
    if "exposure" in raw:
        raise SpecError(
            f"{where}: [{section}] sets both `exposure` and `reach`/`frequency`: exposure and reach & "
            "frequency are exclusive (reach x frequency is the channel's exposure); keep one of them."
        )
    if "saturation" in raw:
        raise SpecError(
            f"{where}: [{section}] sets `saturation` on a reach & frequency channel: its diminishing "
            "returns are the Hill curve of frequency (mixscope.model.reach_frequency); drop `saturation`."
        )
    return raw["reach"], raw["frequency"]


def terms_to_dict(holidays: HolidaySpec | None, events: tuple[str, ...]) -> dict[str, Any]:
    """The ``[data]`` keys of holidays and events, only those set (so other specs' hashes stay)."""
    out: dict[str, Any] = {}
    if holidays is not None:
        out["holidays"] = holidays.country
        if holidays.by_geo:
            shared = {ALL_GEOS: holidays.country} if holidays.country else {}
            out["holidays"] = dict(holidays.by_geo) | shared
        if holidays.window:
            out["holiday_window"] = holidays.window
        if holidays.file is not None:
            out["holidays_file"] = str(holidays.file)
    if events:
        out["events"] = list(events)
    return out


def treatments_to_dict(treatments: tuple[TreatmentSpec, ...]) -> dict[str, Any]:
    """``[treatments]`` as TOML-ready tables."""
    out = {}
    for treatment in treatments:
        entry: dict[str, Any] = {"column": treatment.column, "baseline": treatment.baseline}
        if treatment.prior is not None:
            entry["prior"] = {"mean": treatment.prior.mean, "sd": treatment.prior.sd}
        out[treatment.name] = entry
    return out
