"""Which column of the data holds which of Meridian's inputs, and the model settings a netCDF lacks.

A Meridian user already wrote this once, as Meridian's ``CoordToColumns``
(time, geo, KPI, revenue per KPI, media, spend, controls, population). By
default it is guessed from Meridian's naming conventions, the way ``mixscope
init`` guesses a spec (:func:`mixscope.starter.starter_spec`): ``time``, ``geo``,
``population``, ``conversions`` or ``revenue``, ``revenue_per_conversion``,
``CHANNEL_impression`` and ``CHANNEL_spend`` for each of the fit's channels,
and the fit's own control names. A TOML file overrides any of it::

    [columns]                 # Meridian's CoordToColumns
    time = "time"
    kpi = "conversions"
    kpi_type = "non_revenue"  # or "revenue"
    revenue_per_kpi = "revenue_per_conversion"
    media = ["tv_impressions", "search_clicks"]      # in the fit's channel order
    media_spend = ["tv_spend", "search_spend"]
    controls = ["price", "promo"]
    # geo = "geo"; population = "population"

    [model]                   # Meridian's ModelSpec: what the posterior netCDF does not record
    max_lag = 8
    hill_before_adstock = false
    adstock_decay_spec = "geometric"
    control_population_scaling = []   # controls Meridian divided by population first
    roi_prior = { loc = 0.2, scale = 0.9 }   # LogNormal ROI prior, shown against the posterior
    check_roi = true          # false when roi_calibration_period was set (roi_m is then not the full ROI)
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from mixscope.errors import SpecError, did_you_mean
from mixscope.spec import RunSpec, SamplerSpec, parse_spec
from mixscope.starter import starter_spec

KPI_TYPES = ("non_revenue", "revenue")
ADSTOCK_DECAYS = ("geometric",)  # Meridian's "binomial" has no mixscope counterpart yet
MERIDIAN_ROI_PRIOR = (0.2, 0.9)  # Meridian's default roi_m prior: LogNormal(0.2, 0.9)
MAX_SPEC_LAGS = 52  # mixscope's spec allows up to 52 lags (lag 0 included)


@dataclass(frozen=True)
class ColumnMapping:
    """Meridian's ``CoordToColumns``: the data's column for each input; channels in the fit's order."""

    time: str
    kpi: str
    kpi_type: str
    revenue_per_kpi: str | None
    geo: str | None
    population: str | None
    controls: tuple[str, ...]
    media: tuple[str, ...]
    media_spend: tuple[str, ...]


@dataclass(frozen=True)
class MeridianSettings:
    """The parts of Meridian's ``ModelSpec`` its equations depend on (Meridian's defaults).

    Attributes:
        max_lag: lags after the current period in the adstock window (Meridian's
            ``max_lag``; mixscope counts lag 0 too, so its spec says ``max_lag + 1``).
        hill_before_adstock: Meridian's option to saturate each period before carryover.
        adstock_decay_spec: ``"geometric"`` (``"binomial"`` is refused).
        control_population_scaling: controls divided by population before scaling
            (Meridian's ``control_population_scaling_id``).
        roi_prior: ``(loc, scale)`` of the LogNormal ROI prior; ``None`` when not an ROI prior.
        check_roi: compare Meridian's ``roi_m`` draws with the reproduced ROI (they are
            equal for ROI priors over the whole data window).
    """

    max_lag: int = 8
    hill_before_adstock: bool = False
    adstock_decay_spec: str = "geometric"
    control_population_scaling: tuple[str, ...] = ()
    roi_prior: tuple[float, float] | None = MERIDIAN_ROI_PRIOR
    check_roi: bool = True


@dataclass(frozen=True)
class MappingFile:
    """What a mapping TOML sets: column overrides and settings overrides (absent keys keep defaults)."""

    columns: Mapping[str, Any]
    settings: Mapping[str, Any]


def read_mapping_file(path: str | Path) -> MappingFile:
    """Read a mapping TOML strictly: unknown sections or keys and wrong types are errors naming them."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"Mapping file {path} does not exist; write one as in mixscope.meridian.mapping.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SpecError(f"{path} is not valid UTF-8 TOML: {error}.") from None
    _check_keys(raw, {"columns", "model"}, "top level", path)
    columns = dict(raw.get("columns", {}))
    _check_keys(columns, {f.name for f in fields(ColumnMapping)}, "[columns]", path)
    for key, value in columns.items():
        wanted = (list,) if key in ("controls", "media", "media_spend") else (str,)
        listed = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if not isinstance(value, wanted) or (isinstance(value, list) and not listed):
            kind = "a list of column names" if wanted == (list,) else "a column name (text)"
            raise SpecError(f"{path}: [columns] {key} must be {kind}, got {value!r}.")
    settings = dict(raw.get("model", {}))
    _check_keys(settings, {f.name for f in fields(MeridianSettings)}, "[model]", path)
    return MappingFile(columns, _parse_settings(settings, path))


def _parse_settings(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "max_lag":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SpecError(f"{path}: [model] max_lag must be a whole number >= 0, got {value!r}.")
        elif key in ("hill_before_adstock", "check_roi"):
            if not isinstance(value, bool):
                raise SpecError(f"{path}: [model] {key} must be true or false, got {value!r}.")
        elif key == "adstock_decay_spec":
            if not isinstance(value, str):
                raise SpecError(f"{path}: [model] adstock_decay_spec must be text, got {value!r}.")
        elif key == "control_population_scaling":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SpecError(f"{path}: [model] control_population_scaling must be a list of controls.")
            value = tuple(value)
        elif key == "roi_prior":
            if not (isinstance(value, dict) and set(value) == {"loc", "scale"}
                    and all(isinstance(v, int | float) and math.isfinite(v) for v in value.values())
                    and value["scale"] > 0):
                raise SpecError(f"{path}: [model] roi_prior must be {{ loc = 0.2, scale = 0.9 }} "
                                f"(a LogNormal's loc and positive scale), got {value!r}.")
            value = (float(value["loc"]), float(value["scale"]))
        parsed[key] = value
    return parsed


def guess_mapping(
    columns: Sequence[str], channels: Sequence[str], controls: Sequence[str],
    overrides: Mapping[str, Any] | None = None,
) -> ColumnMapping:
    """The data's columns for a fit with these ``channels`` and ``controls``, by Meridian's conventions.

    The conventions are ``mixscope init``'s (:func:`mixscope.starter.starter_spec`)
    plus Meridian's: each channel's media is ``CHANNEL_impression`` and its spend
    ``CHANNEL_spend``, and the controls are the fit's own (Meridian names each
    control by its column). ``overrides`` (a mapping file's ``[columns]``) win.

    Raises:
        SpecError: a role has no column, naming the role, what was looked for and the fix.
    """
    overrides = dict(overrides or {})
    names = list(columns)
    guessed = _convention(names, overrides.get("kpi"))
    kpi = overrides.get("kpi", guessed.get("kpi"))
    counted = str(kpi).lower() == "conversions"
    kpi_type = overrides.get("kpi_type") or ("non_revenue" if counted else "revenue")
    if kpi_type not in KPI_TYPES:
        raise SpecError(f"[columns] kpi_type = {kpi_type!r}; Meridian's kinds are {', '.join(KPI_TYPES)}.")
    found = guessed.get("channels", {})
    media = tuple(overrides.get("media")
                  or [found.get(c, {}).get("exposure", f"{c}_impression") for c in channels])
    spend = tuple(overrides.get("media_spend")
                  or [found.get(c, {}).get("spend", f"{c}_spend") for c in channels])
    mapping = ColumnMapping(
        time=overrides.get("time", guessed.get("date", "time")),
        kpi=kpi or "conversions",
        kpi_type=kpi_type,
        revenue_per_kpi=overrides.get(
            "revenue_per_kpi", guessed.get("revenue_per_kpi") if kpi_type == "non_revenue" else None
        ),
        geo=overrides.get("geo", guessed.get("geo")),
        population=overrides.get("population", guessed.get("population")),
        controls=tuple(overrides.get("controls", controls)),
        media=media,
        media_spend=spend,
    )
    _check_columns(mapping, names, channels)
    return mapping


def _convention(names: list[str], kpi: str | None) -> dict[str, Any]:
    """``mixscope init``'s guess, flattened; ``{}`` for what it cannot find (reported per role later)."""
    try:
        spec = starter_spec(dict.fromkeys(names, True), "data", kpi=kpi)
    except SpecError:
        lower = {name.lower(): name for name in names}
        return {"date": lower.get("time"), "geo": lower.get("geo")}
    return {**spec["data"], "channels": spec["channels"]}


def _check_columns(mapping: ColumnMapping, names: list[str], channels: Sequence[str]) -> None:
    for role, values in (("media", mapping.media), ("media_spend", mapping.media_spend)):
        if len(values) != len(channels):
            raise SpecError(
                f"[columns] {role} lists {len(values)} columns but the fit has {len(channels)} channels "
                f"({', '.join(channels)}); list one column per channel, in that order."
            )
    roles: list[tuple[str, str | None]] = [
        ("time", mapping.time), ("kpi", mapping.kpi), ("revenue_per_kpi", mapping.revenue_per_kpi),
        ("geo", mapping.geo), ("population", mapping.population),
    ]
    roles += [(f"controls ({c})", c) for c in mapping.controls]
    roles += [(f"media of {ch}", col) for ch, col in zip(channels, mapping.media, strict=True)]
    roles += [(f"media_spend of {ch}", col) for ch, col in zip(channels, mapping.media_spend, strict=True)]
    for role, column in roles:
        if column is not None and column not in names:
            raise SpecError(
                f"The data has no column {column!r} for {role}.{did_you_mean(column, names)} Name it by "
                "Meridian's conventions (time, geo, population, conversions or revenue, "
                "revenue_per_conversion, CHANNEL_impression, CHANNEL_spend, the fit's control names) "
                "or map it in a --mapping TOML ([columns], as in `mixscope import-meridian --help`)."
            )


def merge_settings(base: MeridianSettings, overrides: Mapping[str, Any]) -> MeridianSettings:
    """``base`` (Meridian's defaults, or a pickle's ``ModelSpec``) with a mapping file's ``[model]``."""
    return replace(base, **dict(overrides))


def run_spec(
    mapping: ColumnMapping, channels: Sequence[str], data_path: Path, settings: MeridianSettings,
    chains: int, draws: int,
) -> RunSpec:
    """The mixscope spec of an imported run: Meridian's columns and transforms in mixscope's words.

    ``max_lag`` counts lag 0 in mixscope (Meridian's ``max_lag`` + 1 weights). The
    ROI prior is Meridian's LogNormal as a mean and sd. ``mixscope fit`` on this spec
    fits mixscope's own model to the same data.
    """
    lags = settings.max_lag + 1
    if lags > MAX_SPEC_LAGS:
        raise SpecError(
            f"Meridian's max_lag {settings.max_lag} spans more than the {MAX_SPEC_LAGS} lags a mixscope "
            "spec holds; refit in Meridian with max_lag <= 51 to import it."
        )
    data: dict[str, Any] = {
        "path": str(Path(data_path).resolve()),
        "date": mapping.time,
        "kpi": mapping.kpi,
        "kpi_type": "conversions" if mapping.kpi_type == "non_revenue" else "revenue",
        "controls": list(mapping.controls),
    }
    optional = {
        "revenue_per_kpi": mapping.revenue_per_kpi, "geo": mapping.geo, "population": mapping.population,
    }
    data.update({key: value for key, value in optional.items() if value is not None})
    prior: dict[str, float] | None = None
    if settings.roi_prior is not None:
        prior = lognormal_mean_sd(*settings.roi_prior)
    spec_channels: dict[str, Any] = {}
    for name, media, spend in zip(channels, mapping.media, mapping.media_spend, strict=True):
        entry: dict[str, Any] = {
            "spend": spend, "adstock": "geometric", "max_lag": lags, "saturation": "hill",
        }
        if media != spend:
            entry["exposure"] = media
        if prior is not None:
            entry["roi_prior"] = prior
        spec_channels[name] = entry
    sampler = {"chains": chains, "draws": max(draws, 10), "warmup": SamplerSpec().warmup}
    return parse_spec({"data": data, "channels": spec_channels, "sampler": sampler})


def lognormal_mean_sd(mu: float, sigma: float) -> dict[str, float]:
    """The mean and sd of LogNormal(mu, sigma): the form a mixscope spec states a prior in."""
    mean = math.exp(mu + sigma**2 / 2)
    return {"mean": mean, "sd": mean * math.sqrt(math.expm1(sigma**2))}


def _check_keys(raw: Mapping[str, Any], allowed: set[str], section: str, path: Path) -> None:
    for key in raw:
        if key not in allowed:
            raise SpecError(
                f"{path}: unknown key {key!r} in {section}.{did_you_mean(key, sorted(allowed))} "
                f"Allowed: {', '.join(sorted(allowed))}."
            )
