"""``mixscope init``'s starter spec, guessed from column names by convention.

The conventions: mixscope's own (``CHANNEL_spend``, ``CHANNEL_impressions``),
Robyn's (``tv_S`` spend, ``facebook_I`` impressions, ``search_clicks_P`` clicks)
and Meridian's (``Channel0_spend``, ``Channel0_impression``). A
:class:`ColumnMapping` (``init``'s ``--channel``/``--exposure``/``--control``/
``--spend-suffix`` options, or a small TOML file with the same keys) says what
the names do not. Every column ends up with a role or with a reason it was left
out, so ``init`` can say what it did with each one.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mixscope.errors import SpecError, did_you_mean
from mixscope.spec import ModelSpec, SamplerSpec

# The sampler a starter spec asks for on geo data: a geo posterior has hundreds of
# parameters, and a prior-dominated per-geo offset mixes slowly under NUTS, so it
# needs more draws than a national one; target_accept 0.8 then gives more bulk ESS
# per second than 0.9 at a divergence rate under the alarm. The measurements behind
# these values are in bench/results/HISTORY.md.
GEO_STARTER_SAMPLER = SamplerSpec(draws=1000, target_accept=0.8)

DATE_NAMES = ("date", "week", "date_week", "time", "ds")
KPI_NAMES = ("revenue", "sales", "conversions")
# mixscope's and Meridian's ``_spend``, and Robyn's ``_S``.
SPEND_SUFFIXES = ("_spend", "_S")
# CHANNEL + one of these is that channel's exposure (mixscope's and Meridian's naming).
EXPOSURE_SUFFIXES = ("_impressions", "_impression", "_exposure", "_grps")
# Robyn's paid-media exposure: ``*_I`` impressions, ``*_P`` clicks or other units. The
# stem may say more than the channel (``search_clicks_P`` for ``search_S``).
ROBYN_EXPOSURE_SUFFIXES = ("_I", "_P")
# Organic media (no spend): a name starting with one of these (Meridian's ``Organic_channel0_impression``).
ORGANIC_PREFIXES = ("organic_",)
# Meridian's reach-and-frequency channels: CHANNEL_reach with CHANNEL_frequency (and CHANNEL_spend).
REACH_FREQUENCY_SUFFIXES = ("_reach", "_frequency")


@dataclass(frozen=True)
class MappingEntry:
    """One ``NAME=COLUMN`` (or control ``COLUMN``) and how the user said it, for error messages."""

    name: str
    column: str
    said: str


@dataclass(frozen=True)
class ColumnMapping:
    """What the user said about the columns, beyond the naming conventions.

    ``spend_suffixes`` replace :data:`SPEND_SUFFIXES` when given; ``channels`` and
    ``exposure`` map a channel name to its spend or exposure column; ``controls``,
    when given, are the only controls (other leftover columns are left out).
    """

    spend_suffixes: tuple[str, ...] = ()
    channels: tuple[MappingEntry, ...] = ()
    exposure: tuple[MappingEntry, ...] = ()
    controls: tuple[MappingEntry, ...] = ()

    def then(self, later: ColumnMapping) -> ColumnMapping:
        """This mapping with ``later``'s entries added after it (a later entry for a name wins)."""
        return ColumnMapping(
            self.spend_suffixes + later.spend_suffixes,
            self.channels + later.channels,
            self.exposure + later.exposure,
            self.controls + later.controls,
        )


@dataclass(frozen=True)
class Starter:
    """A guessed spec (as a TOML-ready dict) and each column left out of it, with the reason."""

    spec: dict[str, Any]
    ignored: tuple[tuple[str, str], ...] = ()

    def describe(self) -> list[str]:
        """One line per role: the KPI, date, geo, each channel, the controls, what was left out."""
        data = self.spec["data"]
        lines = [f"KPI: {data['kpi']} ({data['kpi_type']})"]
        if data.get("revenue_per_kpi"):
            lines.append(f"revenue per KPI unit: {data['revenue_per_kpi']}")
        lines.append(f"date: {data['date']}")
        if data.get("geo"):
            population = f", population: {data['population']}" if data.get("population") else ""
            lines.append(f"geo: {data['geo']}{population}")
        lines.append(f"channels ({len(self.spec['channels'])}):")
        for name, channel in self.spec["channels"].items():
            exposure = f", exposure {channel['exposure']}" if "exposure" in channel else ""
            if "reach" in channel:
                exposure = f", reach {channel['reach']}, frequency {channel['frequency']} (reach & frequency)"
            lines.append(f"  {name}: spend {channel['spend']}{exposure}")
        controls = data["controls"]
        for name, organic in self.spec.get("organic", {}).items():
            lines.append(f"organic media (no spend, never in the budget): {name}: {organic['column']}")
        lines.append(f"controls ({len(controls)}): {', '.join(controls) or 'none'}")
        if data.get("events"):
            lines.append(f"events ({len(data['events'])}, one effect per level; na/none/empty is no event): "
                         f"{', '.join(data['events'])}")
        if self.ignored:
            lines.append(f"not used ({len(self.ignored)}):")
            lines += [f"  {column}: {reason}" for column, reason in self.ignored]
        return lines


def starter_spec(
    columns: Mapping[str, bool],
    data_path: str,
    kpi: str | None = None,
    mapping: ColumnMapping | None = None,
) -> dict[str, Any]:
    """Guess a starter spec from column names by convention (see :func:`guess_starter`)."""
    return guess_starter(columns, data_path, kpi, mapping).spec


def guess_starter(
    columns: Mapping[str, bool],
    data_path: str,
    kpi: str | None = None,
    mapping: ColumnMapping | None = None,
    categorical: Collection[str] = (),
) -> Starter:
    """Guess a starter spec from column names by convention and the user's ``mapping``.

    ``columns`` maps each column name to whether it is numeric. ``date``/``week``/
    ``time`` become the date, ``geo``/``population`` are recognised, spend columns
    (``*_spend``, Robyn's ``*_S``) become channels with their exposure columns
    (``*_impressions``, Meridian's ``*_impression``, Robyn's ``*_I``/``*_P``),
    ``revenue``/``sales``/``conversions`` the KPI, and other numeric columns
    controls; non-numeric columns in ``categorical`` (text with few levels) become
    events (``[data] events``). Raises :class:`SpecError` when no date, KPI or spend column can be
    found, or a mapping entry names no column, saying which option fixes it.
    """
    mapping = mapping or ColumnMapping()
    names = list(columns)
    for entry in (*mapping.channels, *mapping.exposure, *mapping.controls):
        if entry.column not in columns:
            raise SpecError(
                f"{entry.said}: there is no column {entry.column!r} in the data."
                f"{did_you_mean(entry.column, names)} Columns are {names}."
            )
    lower = {name.lower(): name for name in names}
    date = next((lower[c] for c in DATE_NAMES if c in lower), None)
    if date is None:
        raise SpecError(
            f"No date column found among {names}; name it `date` or `week`, "
            "or write the spec by hand."
        )
    if kpi is None:
        kpi = next((lower[c] for c in KPI_NAMES if c in lower), None)
        if kpi is None:
            raise SpecError(
                f"No KPI column (revenue, sales or conversions) among {names}; pass --kpi COLUMN."
            )
    elif kpi not in columns:
        raise SpecError(f"--kpi {kpi!r} is not a column; columns are {names}.")
    geo = lower.get("geo")
    population = lower.get("population") if geo else None
    kpi_type = "conversions" if kpi.lower() == "conversions" else "revenue"
    revenue_per_kpi = None
    if kpi_type == "conversions":
        revenue_per_kpi = next(
            (lower[c] for c in ("revenue_per_conversion", "revenue_per_kpi") if c in lower), None
        )
    reserved = {
        column: role for column, role in (
            (date, "the date"), (kpi, "the KPI"), (geo, "the geo"), (population, "the population"),
            (revenue_per_kpi, "revenue per KPI unit"),
        ) if column is not None
    }
    roles = _Roles(reserved)
    ignored: dict[str, str] = {}
    said = _claim_said(mapping, columns, roles)
    channels = _channels(names, mapping, said, roles, ignored)
    events = [name for name in names if name in categorical and not columns[name] and roles.free(name)]
    for name in events:
        roles.claim(name, "an event column")
    organic = _organic(names, columns, roles)
    controls = _controls(names, columns, said, roles, ignored)
    data: dict[str, Any] = {"path": data_path, "date": date, "kpi": kpi, "kpi_type": kpi_type}
    if revenue_per_kpi:
        data["revenue_per_kpi"] = revenue_per_kpi
    if geo:
        data["geo"] = geo
    if population:
        data["population"] = population
    data["controls"] = controls
    if events:
        data["events"] = events
    spec = {
        "data": data,
        "channels": channels,
        "sampler": asdict(GEO_STARTER_SAMPLER if geo else SamplerSpec()),
        "holdout": {"periods": 0},
        "model": asdict(ModelSpec()),
    }
    if organic:  # only then, so starters without organic media are unchanged
        spec["organic"] = organic
    return Starter(spec, tuple((name, ignored[name]) for name in names if name in ignored))


class _Roles:
    """Which column plays which role so far; a column the user maps twice is an error."""

    def __init__(self, reserved: Mapping[str, str]) -> None:
        self.taken: dict[str, str] = dict(reserved)

    def claim(self, column: str, role: str, entry: MappingEntry | None = None) -> None:
        if column in self.taken and entry is not None:
            raise SpecError(
                f"{entry.said}: column {column!r} is already {self.taken[column]}; "
                "a column can play only one role."
            )
        self.taken[column] = role

    def free(self, column: str) -> bool:
        return column not in self.taken


@dataclass(frozen=True)
class _Said:
    """The user's mapping with every column claimed: channel → spend, channel → exposure, controls."""

    spend: dict[str, MappingEntry]
    exposure: dict[str, MappingEntry]
    controls: list[str]


def _claim_said(mapping: ColumnMapping, numeric: Mapping[str, bool], roles: _Roles) -> _Said:
    """Claim the columns the user mapped before any guess, so a guess never takes one."""
    said = _Said({}, {}, [])
    for key, entries in (("spend", mapping.channels), ("exposure", mapping.exposure)):
        chosen: dict[str, MappingEntry] = getattr(said, key)
        for entry in entries:
            if entry.name in chosen:  # a later entry for the same channel wins
                roles.taken.pop(chosen[entry.name].column)
            roles.claim(entry.column, f"the {key} of channel '{entry.name}'", entry)
            chosen[entry.name] = entry
    for entry in mapping.controls:
        if not numeric[entry.column]:
            raise SpecError(
                f"{entry.said}: column {entry.column!r} is not numeric (categorical); controls "
                "must be numbers: encode it as 0/1 columns and list those."
            )
        if entry.column not in said.controls:
            roles.claim(entry.column, "a control", entry)
            said.controls.append(entry.column)
    return said


def _channels(
    names: Sequence[str], mapping: ColumnMapping, said: _Said, roles: _Roles,
    ignored: dict[str, str],
) -> dict[str, dict[str, str]]:
    """Channels with their spend and exposure columns, in the data's column order."""
    spend = {name: entry.column for name, entry in said.spend.items()}
    suffixes = mapping.spend_suffixes or SPEND_SUFFIXES
    for name in names:
        stem = _strip_suffix(name, suffixes)
        if stem is None or not roles.free(name):
            continue
        if stem in spend:
            ignored[name] = (f"looks like the spend of '{stem}', which {said.spend[stem].said} "
                             f"maps to {spend[stem]!r}")
            roles.claim(name, "ignored")
            continue
        roles.claim(name, f"the spend of channel '{stem}'")
        spend[stem] = name
    if not spend:
        raise SpecError(
            f"No spend columns found among {list(names)}; name them CHANNEL_spend (e.g. tv_spend), "
            "or map them: --channel tv=TV_COLUMN, or --spend-suffix SUFFIX (e.g. _cost)."
        )
    exposure = _exposure(names, spend, said, roles)
    reach_frequency = _reach_frequency(names, spend, exposure, said, roles, ignored)
    for name in names:
        stem = _strip_suffix(name, REACH_FREQUENCY_SUFFIXES, exact=False)
        if stem is not None and roles.free(name):
            inputs = "spend and exposure" if stem in exposure else "spend"
            modelled = f"'{stem}' is modelled from its {inputs}" if stem in spend else "left out"
            ignored[name] = (f"a reach or frequency column needs its pair (CHANNEL_reach and "
                             f"CHANNEL_frequency) and a CHANNEL_spend ({modelled})")
            roles.claim(name, "ignored")
    position = {name: i for i, name in enumerate(names)}
    channels = {}
    for channel in sorted(spend, key=lambda c: position[spend[c]]):
        channels[channel] = {"spend": spend[channel]}
        if channel in reach_frequency:
            channels[channel].update(reach_frequency[channel])
        elif channel in exposure:
            channels[channel]["exposure"] = exposure[channel]
    return channels


def _reach_frequency(
    names: Sequence[str], spend: Mapping[str, str], exposure: Mapping[str, str], said: _Said,
    roles: _Roles, ignored: dict[str, str],
) -> dict[str, dict[str, str]]:
    """Channels with a ``CHANNEL_reach`` and ``CHANNEL_frequency`` pair: reach & frequency channels.

    Reach x frequency is the channel's exposure, so a guessed exposure column of the
    same channel is left out (the spec refuses both); one the user mapped is kept,
    and the pair is then left out.
    """
    out = {}
    for channel in spend:
        reach, frequency = f"{channel}_reach", f"{channel}_frequency"
        if not (reach in names and frequency in names and roles.free(reach) and roles.free(frequency)):
            continue
        if channel in said.exposure:
            continue  # the user's own exposure mapping wins
        column = exposure.get(channel)
        roles.claim(reach, f"the reach of channel '{channel}'")
        roles.claim(frequency, f"the frequency of channel '{channel}'")
        if column is not None:
            ignored[column] = (f"reach x frequency is the exposure of '{channel}' (a reach & frequency "
                               "channel), so its impressions are not used again")
            roles.taken[column] = "ignored"
        out[channel] = {"reach": reach, "frequency": frequency}
    return out


def _exposure(
    names: Sequence[str], spend: Mapping[str, str], said: _Said, roles: _Roles
) -> dict[str, str]:
    for entry in said.exposure.values():
        if entry.name not in spend:
            raise SpecError(
                f"{entry.said}: there is no channel {entry.name!r}."
                f"{did_you_mean(entry.name, spend)} Channels are {sorted(spend)}; add one with "
                f"--channel {entry.name}=SPEND_COLUMN."
            )
    exposure = {name: entry.column for name, entry in said.exposure.items()}
    for channel in spend:
        column = next(
            (channel + suffix for suffix in EXPOSURE_SUFFIXES
             if channel + suffix in names and roles.free(channel + suffix)), None
        )
        if channel not in exposure and column is not None:
            roles.claim(column, f"the exposure of channel '{channel}'")
            exposure[channel] = column
    for name in names:
        stem = _strip_suffix(name, ROBYN_EXPOSURE_SUFFIXES)
        if stem is None or not roles.free(name):
            continue
        # The longest channel name the stem starts with: search_brand_P is search_brand's.
        owners = [c for c in spend if stem == c or stem.startswith(c + "_")]
        owner = max(owners, key=len, default=None)
        if owner is not None and owner not in exposure:
            roles.claim(name, f"the exposure of channel '{owner}'")
            exposure[owner] = name
    return exposure


def _organic(names: Sequence[str], numeric: Mapping[str, bool], roles: _Roles) -> dict[str, dict[str, str]]:
    """Organic media by name (``Organic_*``/``organic_*``), named by the column less an exposure suffix."""
    organic = {}
    for column in names:
        if roles.free(column) and numeric[column] and column.lower().startswith(ORGANIC_PREFIXES):
            name = _strip_suffix(column, EXPOSURE_SUFFIXES) or column
            roles.claim(column, f"organic media '{name}'")
            organic[name] = {"column": column}
    return organic


def _controls(
    names: Sequence[str], numeric: Mapping[str, bool], said: _Said, roles: _Roles,
    ignored: dict[str, str],
) -> list[str]:
    controls = list(said.controls)
    for name in names:
        if not roles.free(name):
            continue
        if name == "" or name.startswith("Unnamed:"):
            ignored[name] = "an unnamed index column"
        elif not numeric[name]:
            ignored[name] = ("not numeric (categorical): not modelled yet; encode it as 0/1 "
                             "columns to use it as a control")
        elif said.controls:
            ignored[name] = "not among the controls you listed"
        else:
            controls.append(name)
    return controls


def _strip_suffix(name: str, suffixes: Iterable[str], exact: bool = True) -> str | None:
    """``name`` without the first of ``suffixes`` it ends with (and more before it), or None.

    An all-lowercase suffix matches in any case (``TV_SPEND``, as ``init`` always did);
    one with capitals, like Robyn's ``_S``, only as written. ``exact=False`` matches
    every suffix in any case.
    """
    for suffix in suffixes:
        caseless = not exact or suffix == suffix.lower()
        ends = name.lower().endswith(suffix.lower()) if caseless else name.endswith(suffix)
        if ends and len(name) > len(suffix):
            return name[: -len(suffix)]
    return None


# --------------------------------------------------------------------------- the user's mapping

MAPPING_KEYS = ("spend_suffix", "channels", "exposure", "controls")


def parse_pairs(values: Iterable[str], option: str) -> tuple[MappingEntry, ...]:
    """``NAME=COLUMN`` option values as entries; SpecError naming a malformed one."""
    entries = []
    for value in values:
        name, sep, column = value.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name or not column:
            raise SpecError(
                f"{option} {value!r} is not NAME=COLUMN; write it as e.g. {option} tv=tv_cost."
            )
        entries.append(MappingEntry(name, column, f"{option} {value}"))
    return tuple(entries)


def mapping_from_options(
    spend_suffixes: Iterable[str] = (),
    channels: Iterable[str] = (),
    exposure: Iterable[str] = (),
    controls: Iterable[str] = (),
) -> ColumnMapping:
    """The mapping ``init``'s ``--spend-suffix``/``--channel``/``--exposure``/``--control`` say."""
    suffixes = tuple(spend_suffixes)
    for suffix in suffixes:
        if not suffix.strip():
            raise SpecError("--spend-suffix is empty; give the suffix, e.g. --spend-suffix _S.")
    return ColumnMapping(
        suffixes,
        parse_pairs(channels, "--channel"),
        parse_pairs(exposure, "--exposure"),
        tuple(MappingEntry(column, column, f"--control {column}") for column in controls),
    )


def load_mapping(path: Path) -> ColumnMapping:
    """A mapping file: ``spend_suffix = [...]``, ``[channels]``, ``[exposure]``, ``controls = [...]``."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"--mapping {path}: no such file.") from None
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"--mapping {path} is not valid TOML: {error}.") from None
    where = f"mapping file {path}"
    for key in raw:
        if key not in MAPPING_KEYS:
            raise SpecError(
                f"{where}: unknown key {key!r}.{did_you_mean(key, MAPPING_KEYS)} "
                f"Keys are {', '.join(MAPPING_KEYS)}."
            )
    suffixes = _string_list(raw.get("spend_suffix", []), f"{where}: spend_suffix")
    controls = _string_list(raw.get("controls", []), f"{where}: controls")
    tables = {}
    for key in ("channels", "exposure"):
        table = raw.get(key, {})
        if not isinstance(table, dict):
            raise SpecError(f"{where}: [{key}] must be a table of NAME = \"COLUMN\" entries.")
        for name, column in table.items():
            if not isinstance(column, str) or not column:
                raise SpecError(f"{where}: [{key}] {name} = {column!r} must be a column name.")
        tables[key] = tuple(
            MappingEntry(name, column, f"{where}: [{key}] {name} = {column!r}")
            for name, column in table.items()
        )
    return ColumnMapping(
        suffixes, tables["channels"], tables["exposure"],
        tuple(MappingEntry(c, c, f"{where}: controls entry {c!r}") for c in controls),
    )


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SpecError(f"{where} = {value!r} must be a list of names, e.g. [\"_S\"].")
    return tuple(value)
