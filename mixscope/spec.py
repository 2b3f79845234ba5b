"""The TOML run spec: what data to read, how to map it, and how to model it.

A spec is parsed strictly: an unknown key or a value of the wrong type is an
error naming the section and key, never silently ignored. Paths are resolved
relative to the spec file, so a spec and its data can move together.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from mixscope.choices import CHAIN_METHODS
from mixscope.errors import SpecError, did_you_mean
from mixscope.spec_terms import (
    HOLIDAY_KEYS,
    HolidaySpec,
    TreatmentSpec,
    parse_events,
    parse_holidays,
    parse_reach_frequency,
    parse_treatments,
    terms_to_dict,
    treatments_to_dict,
)
from mixscope.transforms.registry import ADSTOCK, SATURATION

ADSTOCK_KINDS = tuple(ADSTOCK)  # the registered kinds (mixscope.transforms.registry)
SATURATION_KINDS = tuple(SATURATION)
KPI_TYPES = ("revenue", "conversions")
TREND_KINDS = ("none", "linear", "piecewise", "smooth")
CALIBRATION_MODES = ("likelihood", "prior")


@dataclass(frozen=True)
class PriorSpec:
    """A positive quantity's prior given by its mean and standard deviation.

    Mapped to a LogNormal with exactly this mean and sd, so users state beliefs
    in the units they think in (ROI of 2.0 ± 1.0), not in log space.
    """

    mean: float
    sd: float

    def lognormal_params(self) -> tuple[float, float]:
        """Return ``(mu, sigma)`` of the LogNormal with this mean and sd."""
        sigma2 = math.log1p((self.sd / self.mean) ** 2)
        return math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2)


@dataclass(frozen=True)
class DataSpec:
    path: Path | None = None
    query: str | None = None
    date: str = "date"
    kpi: str = "revenue"
    kpi_type: str = "revenue"
    # A constant, or the name of a column holding revenue per KPI unit per row.
    revenue_per_kpi: float | str | None = None
    geo: str | None = None
    population: str | None = None
    controls: tuple[str, ...] = ()
    currency: str | None = None  # symbol ("€") or ISO code ("EUR") money is shown with; None: bare numbers
    name: str | None = None  # what the model is of ("Acme DE"), for report titles
    holidays: HolidaySpec | None = None  # a holiday calendar: its own term (mixscope.spec_terms)
    events: tuple[str, ...] = ()  # categorical columns whose levels are indicator effects

    @property
    def source_label(self) -> str:
        return str(self.path) if self.path is not None else f"query {self.query!r}"


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    spend: str
    exposure: str | None = None
    adstock: str = "geometric"
    max_lag: int = 8
    saturation: str = "hill"
    roi_prior: PriorSpec | None = None
    coefficient_prior: PriorSpec | None = None
    # A reach & frequency channel (mixscope.model.reach_frequency): both set, or neither.
    reach: str | None = None
    frequency: str | None = None

    @property
    def is_rf(self) -> bool:
        return self.reach is not None


@dataclass(frozen=True)
class OrganicSpec:
    """Organic media (newsletter, organic social, PR): adstock and saturation like a channel, no spend.

    With no spend there is no ROI, so the prior is on the channel's contribution:
    the share of the KPI over the data window it drives (see :mod:`mixscope.model.organic`).
    """

    name: str
    column: str
    adstock: str = "geometric"
    max_lag: int = 8
    saturation: str = "hill"
    contribution_prior: PriorSpec | None = None


@dataclass(frozen=True)
class SamplerSpec:
    chains: int = 4
    warmup: int = 500
    # Defaults chosen on the benches (figures in bench/results/HISTORY.md): fewer draws let
    # the bulk ESS fall under its alarm, a lower target_accept the divergences over theirs.
    draws: int = 1000
    seed: int = 0
    target_accept: float = 0.9
    max_tree_depth: int = 8
    # One dense mass-matrix block over the national parameters (mixscope.model.initial):
    # fewer leapfrog steps per draw and more bulk ESS per second than a diagonal one.
    dense_mass: bool = True
    # How chains share the machine (mixscope.model.fit.chain_method): "auto" runs them in
    # parallel when there is an XLA device per chain. "sequential" caps a wide geo model's
    # memory at the cost of time (bench/scale.py has both figures).
    chain_method: str = "auto"


@dataclass(frozen=True)
class HoldoutSpec:
    periods: int = 0


@dataclass(frozen=True)
class ModelSpec:
    # A baseline that drifts between knots every 8 periods: on the truth zoo (half the cases
    # with spend chasing hidden demand) it recovers ROI better than a linear trend
    # (bench/results/HISTORY.md; README, "The truth zoo").
    trend: str = "smooth"
    trend_knots: int = 4
    seasonality_order: int = 2
    seasonality_period: float = 52.1775


@dataclass(frozen=True)
class CalibrationSpec:
    """Lift-test experiments (CSV or TOML) and how they enter the model.

    ``mode = "likelihood"`` adds each experiment as a likelihood term on the
    model-implied lift; ``"prior"`` turns them into ROI priors (Meridian-style).
    """

    experiments: Path | None = None
    mode: str = "likelihood"


@dataclass(frozen=True)
class RunSpec:
    data: DataSpec
    channels: tuple[ChannelSpec, ...]
    sampler: SamplerSpec = field(default_factory=SamplerSpec)
    holdout: HoldoutSpec = field(default_factory=HoldoutSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    source: Path | None = None
    calibration: CalibrationSpec = field(default_factory=CalibrationSpec)
    treatments: tuple[TreatmentSpec, ...] = ()  # price, promotions…: mixscope.spec_terms
    organic: tuple[OrganicSpec, ...] = ()  # [organic.NAME]: media without spend (mixscope.model.organic)

    @property
    def organic_names(self) -> tuple[str, ...]:
        return tuple(organic.name for organic in self.organic)

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(channel.name for channel in self.channels)

    @property
    def rf_channels(self) -> tuple[ChannelSpec, ...]:
        """The reach & frequency channels, in spec order."""
        return tuple(channel for channel in self.channels if channel.is_rf)

    def with_sampler(self, **overrides: Any) -> RunSpec:
        """Return a copy with sampler settings replaced (CLI overrides)."""
        clean = {key: value for key, value in overrides.items() if value is not None}
        sampler = replace(self.sampler, **clean)
        _check_ranges(sampler, self.holdout, self.model, "command-line override")
        return replace(self, sampler=sampler)

    def with_calibration(self, experiments: Path | None = None, mode: str | None = None) -> RunSpec:
        """Return a copy with the experiments file and/or mode replaced (CLI overrides)."""
        calibration = self.calibration
        if experiments is not None:
            calibration = replace(calibration, experiments=Path(experiments))
        if mode is not None:
            if mode not in CALIBRATION_MODES:
                raise SpecError(
                    f"Calibration mode {mode!r} is not one of {', '.join(CALIBRATION_MODES)}."
                )
            calibration = replace(calibration, mode=mode)
        return replace(self, calibration=calibration)

    def to_dict(self) -> dict[str, Any]:
        """A TOML-ready dict that :func:`parse_spec` reads back to an equal spec."""
        return _spec_to_dict(self)


# --------------------------------------------------------------------------- parsing


def load_spec(path: str | Path) -> RunSpec:
    """Read and validate a TOML run spec; data paths resolve against its folder."""
    spec_path = Path(path)
    if spec_path.is_dir():
        found = sorted(spec_path.glob("*.toml"))
        hint = f" (it holds {', '.join(p.name for p in found[:3])})" if found else ""
        raise SpecError(
            f"{spec_path} is a directory; pass the spec file{hint}, e.g. {spec_path / 'mixscope.toml'}. "
            f"No spec yet? `mixscope init DATA_FILE -o {spec_path / 'mixscope.toml'}`."
        )
    if not spec_path.is_file():
        raise SpecError(
            f"Spec file {spec_path} does not exist. Create one with "
            f"`mixscope init DATA_FILE -o {spec_path}`."
        )
    try:
        raw = tomllib.loads(spec_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{spec_path} is not valid TOML: {error}. Fix the syntax there.") from None
    except UnicodeDecodeError:
        raise SpecError(f"{spec_path} is not UTF-8 text; save the spec as UTF-8 TOML.") from None
    return parse_spec(raw, base_dir=spec_path.resolve().parent, source=spec_path)


def parse_spec(
    raw: Mapping[str, Any], base_dir: Path | None = None, source: Path | None = None
) -> RunSpec:
    """Validate a spec already read into a dict (the TOML document)."""
    where = str(source) if source is not None else "spec"
    _check_keys(
        raw, {"data", "channels", "sampler", "holdout", "model", "calibration", "treatments", "organic"},
        "top level", where,
    )
    if "data" not in raw:
        raise SpecError(f"{where}: the [data] section is missing; it must name at least `path`.")
    data = _parse_data(_section(raw, "data", where), base_dir, where)
    channels_raw = _section(raw, "channels", where)
    if not channels_raw:
        raise SpecError(
            f"{where}: no channels. Add one [channels.NAME] table per media channel with "
            "`spend = \"COLUMN\"`."
        )
    channels = tuple(
        _parse_channel(name, _section(channels_raw, name, where, prefix="channels."), where)
        for name in channels_raw
    )
    spends = [channel.spend for channel in channels]
    duplicates = sorted({column for column in spends if spends.count(column) > 1})
    if duplicates:
        raise SpecError(
            f"{where}: spend column(s) {', '.join(duplicates)} are used by more than one "
            "channel; give each channel its own spend column."
        )
    sampler = _build(SamplerSpec, _section(raw, "sampler", where), "sampler", where)
    holdout = _build(HoldoutSpec, _section(raw, "holdout", where), "holdout", where)
    model = _build(ModelSpec, _section(raw, "model", where), "model", where)
    _check_ranges(sampler, holdout, model, where)
    calibration = _parse_calibration(_section(raw, "calibration", where), base_dir, where)
    treatments = parse_treatments(_section(raw, "treatments", where), where)
    organic = _parse_organic_section(_section(raw, "organic", where), channels, where)
    return RunSpec(data, channels, sampler, holdout, model, source, calibration, treatments=treatments,
                   organic=organic)


def _parse_calibration(raw: Mapping[str, Any], base_dir: Path | None, where: str) -> CalibrationSpec:
    _check_keys(raw, {"experiments", "mode"}, "[calibration]", where)
    mode = _expect(raw.get("mode", "likelihood"), str, "mode", "calibration", where)
    if mode not in CALIBRATION_MODES:
        hint = did_you_mean(mode, CALIBRATION_MODES)
        raise SpecError(
            f"{where}: [calibration] mode = {mode!r} is not one of "
            f"{', '.join(CALIBRATION_MODES)}.{hint}"
        )
    experiments = None
    if "experiments" in raw:
        experiments = Path(_expect(raw["experiments"], str, "experiments", "calibration", where))
        if not experiments.is_absolute() and base_dir is not None:
            experiments = base_dir / experiments
    elif "mode" in raw:
        raise SpecError(
            f"{where}: [calibration] sets mode but not `experiments`; name the lift-test file "
            "(experiments = \"lifts.csv\") or drop the section."
        )
    return CalibrationSpec(experiments, mode)


def _section(
    raw: Mapping[str, Any], key: str, where: str, prefix: str = ""
) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise SpecError(f"{where}: [{prefix}{key}] must be a table, got {value!r}.")
    return value


def _check_keys(raw: Mapping[str, Any], allowed: set[str], section: str, where: str) -> None:
    for key in raw:
        if key not in allowed:
            hint = did_you_mean(key, sorted(allowed), "`")
            raise SpecError(
                f"{where}: unknown key `{key}` in {section}.{hint} "
                f"Allowed keys: {', '.join(sorted(allowed))}."
            )


def _expect(value: Any, kind: type | tuple[type, ...], key: str, section: str, where: str) -> Any:
    # bool is an int in Python; a TOML `true` where a number is expected is a mistake.
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        ok = False
    else:
        ok = isinstance(value, kind)
    if not ok:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise SpecError(f"{where}: [{section}] `{key}` must be {names}, got {value!r}.")
    return value


def _build(cls: type, raw: Mapping[str, Any], section: str, where: str) -> Any:
    defaults = cls()
    allowed = set(asdict(defaults))
    _check_keys(raw, allowed, f"[{section}]", where)
    values = {}
    for key, value in raw.items():
        default = getattr(defaults, key)
        kind: type | tuple[type, ...] = (int, float) if isinstance(default, float) else type(default)
        values[key] = _expect(value, kind, key, section, where)
        if isinstance(default, float):
            values[key] = float(value)
    return replace(defaults, **values)


def _parse_data(raw: Mapping[str, Any], base_dir: Path | None, where: str) -> DataSpec:
    allowed = {
        "path", "query", "date", "kpi", "kpi_type", "revenue_per_kpi",
        "geo", "population", "controls", "currency", "name", *HOLIDAY_KEYS,
    }
    _check_keys(raw, allowed, "[data]", where)
    for key in ("path", "query", "date", "kpi", "kpi_type", "geo", "population", "currency", "name"):
        if key in raw:
            _expect(raw[key], str, key, "data", where)
    for key, limit in (("currency", _CURRENCY_CHARS), ("name", _NAME_CHARS)):
        value = raw.get(key)
        if value is not None and not (0 < len(value.strip()) <= limit and value.isprintable()):
            raise SpecError(
                f"{where}: [data] {key} must be 1 to {limit} printable characters, got {value!r}"
                + (' (a symbol such as "€" or an ISO code such as "EUR").' if key == "currency" else ".")
            )
    if "path" not in raw and "query" not in raw:
        raise SpecError(f"{where}: [data] needs `path` (CSV/Parquet file) or `query` (DuckDB SQL).")
    path = None
    if "path" in raw:
        path = Path(raw["path"])
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
    kpi_type = raw.get("kpi_type", "revenue")
    if kpi_type not in KPI_TYPES:
        raise SpecError(
            f"{where}: [data] kpi_type = {kpi_type!r} is not one of {', '.join(KPI_TYPES)}."
        )
    revenue_per_kpi = raw.get("revenue_per_kpi")
    if revenue_per_kpi is not None:
        _expect(revenue_per_kpi, (int, float, str), "revenue_per_kpi", "data", where)
        if isinstance(revenue_per_kpi, int | float):
            if not revenue_per_kpi > 0:
                raise SpecError(
                    f"{where}: [data] revenue_per_kpi must be positive, got {revenue_per_kpi}."
                )
            revenue_per_kpi = float(revenue_per_kpi)
        if kpi_type == "revenue":
            raise SpecError(
                f"{where}: [data] revenue_per_kpi only applies with kpi_type = \"conversions\"."
            )
    controls = raw.get("controls", [])
    if not isinstance(controls, list) or not all(isinstance(c, str) for c in controls):
        raise SpecError(f"{where}: [data] controls must be a list of column names, got {controls!r}.")
    if "population" in raw and "geo" not in raw:
        raise SpecError(f"{where}: [data] population is set but geo is not; name the geo column.")
    return DataSpec(
        path=path,
        query=raw.get("query"),
        date=raw.get("date", "date"),
        kpi=raw.get("kpi", "revenue"),
        kpi_type=kpi_type,
        revenue_per_kpi=revenue_per_kpi,
        geo=raw.get("geo"),
        population=raw.get("population"),
        controls=tuple(controls),
        currency=raw["currency"].strip() if "currency" in raw else None,
        name=raw["name"].strip() if "name" in raw else None,
        holidays=parse_holidays(raw, base_dir, where),
        events=parse_events(raw, where),
    )


_CURRENCY_CHARS = 5  # "€", "EUR", "CHF", "R$", "US$"
_NAME_CHARS = 80


def run_currency(run_dir: str | Path) -> str | None:
    """The currency a saved run's spec names (its ``[data] currency``), None when it names none.

    For commands that load only a run's surface; the spec was validated when the run was fitted.
    """
    path = Path(run_dir) / "spec.toml"
    if not path.is_file():
        return None
    currency = tomllib.loads(path.read_text(encoding="utf-8")).get("data", {}).get("currency")
    return currency if isinstance(currency, str) else None


def _parse_prior(raw: Any, key: str, section: str, where: str) -> PriorSpec:
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where}: [{section}] `{key}` must be a table like {{mean = 2.0, sd = 1.0}}.")
    _check_keys(raw, {"mean", "sd"}, f"[{section}] {key}", where)
    if "mean" not in raw or "sd" not in raw:
        raise SpecError(f"{where}: [{section}] `{key}` needs both `mean` and `sd`.")
    mean = _expect(raw["mean"], (int, float), f"{key}.mean", section, where)
    sd = _expect(raw["sd"], (int, float), f"{key}.sd", section, where)
    if not (math.isfinite(mean) and mean > 0 and math.isfinite(sd) and sd > 0):
        raise SpecError(
            f"{where}: [{section}] `{key}` needs a positive mean and sd, got mean={mean}, sd={sd}."
        )
    return PriorSpec(float(mean), float(sd))


def _registered_kind(value: Any, key: str, registered: tuple[str, ...], section: str, where: str) -> str:
    """A channel's transform kind, one of ``registered``; else an error listing them."""
    kind = _expect(value, str, key, section, where)
    if kind not in registered:
        raise SpecError(
            f"{where}: [{section}] {key} = {kind!r}; choose one of {', '.join(registered)}."
        )
    return kind


def _parse_channel(name: str, raw: Mapping[str, Any], where: str) -> ChannelSpec:
    section = f"channels.{name}"
    allowed = {
        "spend", "exposure", "adstock", "max_lag", "saturation", "roi_prior", "coefficient_prior",
        "reach", "frequency",
    }
    _check_keys(raw, allowed, f"[{section}]", where)
    reach, frequency = parse_reach_frequency(raw, section, where)
    if "spend" not in raw:
        raise SpecError(f"{where}: [{section}] needs `spend = \"COLUMN\"` naming its spend column.")
    spend = _expect(raw["spend"], str, "spend", section, where)
    exposure = raw.get("exposure")
    if exposure is not None:
        _expect(exposure, str, "exposure", section, where)
    adstock, saturation, max_lag = _parse_transforms(raw, section, where)
    roi_prior = coefficient_prior = None
    if "roi_prior" in raw:
        roi_prior = _parse_prior(raw["roi_prior"], "roi_prior", section, where)
    if "coefficient_prior" in raw:
        coefficient_prior = _parse_prior(raw["coefficient_prior"], "coefficient_prior", section, where)
    if roi_prior is not None and coefficient_prior is not None:
        raise SpecError(
            f"{where}: [{section}] sets both roi_prior and coefficient_prior; keep one "
            "(roi_prior is recommended: it is in business units)."
        )
    return ChannelSpec(name, spend, exposure, adstock, max_lag, saturation, roi_prior, coefficient_prior,
                       reach, frequency)


def _parse_transforms(raw: Mapping[str, Any], section: str, where: str) -> tuple[str, str, int]:
    """A media section's ``adstock``, ``saturation`` and ``max_lag`` (paid channels and organic media)."""
    adstock = _registered_kind(raw.get("adstock", "geometric"), "adstock", ADSTOCK_KINDS, section, where)
    saturation = _registered_kind(
        raw.get("saturation", "hill"), "saturation", SATURATION_KINDS, section, where
    )
    max_lag = _expect(raw.get("max_lag", 8), int, "max_lag", section, where)
    if not 1 <= max_lag <= 52:
        raise SpecError(f"{where}: [{section}] max_lag must be between 1 and 52, got {max_lag}.")
    return adstock, saturation, max_lag


def _parse_organic_section(
    raw: Mapping[str, Any], channels: tuple[ChannelSpec, ...], where: str
) -> tuple[OrganicSpec, ...]:
    organic = tuple(
        _parse_organic(name, _section(raw, name, where, prefix="organic."), where) for name in raw
    )
    paid = {column: channel.name for channel in channels for column in (channel.spend, channel.exposure)}
    for entry in organic:
        if entry.column in paid or entry.name in paid.values():
            raise SpecError(
                f"{where}: [organic.{entry.name}] column '{entry.column}' is also paid channel "
                f"'{paid.get(entry.column, entry.name)}': no spend on organic. An organic channel has no "
                "spend; keep it in one place, [organic.NAME] or [channels.NAME]."
            )
    return organic


def _parse_organic(name: str, raw: Mapping[str, Any], where: str) -> OrganicSpec:
    section = f"organic.{name}"
    if "spend" in raw:
        raise SpecError(
            f"{where}: [{section}] (column {raw.get('column')!r}) sets spend = {raw['spend']!r}: "
            "no spend on organic. Organic media has no spend (so no ROI); model a channel you pay "
            "for as [channels.NAME] instead."
        )
    _check_keys(raw, {"column", "adstock", "max_lag", "saturation", "contribution_prior"},
                f"[{section}]", where)
    if "column" not in raw:
        raise SpecError(f"{where}: [{section}] needs `column = \"COLUMN\"` naming its volume column.")
    column = _expect(raw["column"], str, "column", section, where)
    adstock, saturation, max_lag = _parse_transforms(raw, section, where)
    prior = None
    if "contribution_prior" in raw:
        prior = _parse_prior(raw["contribution_prior"], "contribution_prior", section, where)
        if prior.mean >= 1:
            raise SpecError(
                f"{where}: [{section}] contribution_prior is a share of the KPI (0.05 = 5%); "
                f"its mean must be below 1, got {prior.mean}."
            )
    return OrganicSpec(name, column, adstock, max_lag, saturation, prior)


def _check_ranges(
    sampler: SamplerSpec, holdout: HoldoutSpec, model: ModelSpec, where: str
) -> None:
    checks = [
        (sampler.chains >= 1, "[sampler] chains must be at least 1"),
        (sampler.warmup >= 10, "[sampler] warmup must be at least 10"),
        (sampler.draws >= 10, "[sampler] draws must be at least 10"),
        (0.5 <= sampler.target_accept < 1.0, "[sampler] target_accept must be in [0.5, 1)"),
        (1 <= sampler.max_tree_depth <= 15, "[sampler] max_tree_depth must be in 1..15"),
        (sampler.chain_method in CHAIN_METHODS,
         f"[sampler] chain_method must be one of {', '.join(CHAIN_METHODS)}, got {sampler.chain_method!r}"),
        (holdout.periods >= 0, "[holdout] periods must be zero or positive"),
        (model.trend in TREND_KINDS, f"[model] trend must be one of {', '.join(TREND_KINDS)}"),
        (1 <= model.trend_knots <= 50, "[model] trend_knots must be in 1..50"),
        (0 <= model.seasonality_order <= 10, "[model] seasonality_order must be in 0..10"),
        (model.seasonality_period > 1, "[model] seasonality_period must be above 1"),
    ]
    for ok, message in checks:
        if not ok:
            raise SpecError(f"{where}: {message}.")


# --------------------------------------------------------------------------- writing


def _spec_to_dict(spec: RunSpec) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if spec.data.path is not None:
        data["path"] = str(spec.data.path)
    if spec.data.query is not None:
        data["query"] = spec.data.query
    data.update(date=spec.data.date, kpi=spec.data.kpi, kpi_type=spec.data.kpi_type)
    for key in ("revenue_per_kpi", "geo", "population", "currency", "name"):
        value = getattr(spec.data, key)
        if value is not None:
            data[key] = value
    data["controls"] = list(spec.data.controls)
    data.update(terms_to_dict(spec.data.holidays, spec.data.events))
    channels = {}
    for channel in spec.channels:
        entry = {key: value for key, value in asdict(channel).items() if value is not None}
        entry.pop("name")
        if channel.is_rf:  # its saturation is the frequency Hill: the spec refuses `saturation` there
            entry.pop("saturation")
        channels[channel.name] = entry
    out = {
        "data": data,
        "channels": channels,
        # chain_method only when set, so specs without it (and their hashes) are unchanged.
        "sampler": {key: value for key, value in asdict(spec.sampler).items()
                    if key != "chain_method" or value != "auto"},
        "holdout": asdict(spec.holdout),
        "model": asdict(spec.model),
    }
    if spec.organic:  # only when used, like [calibration] below
        out["organic"] = {
            organic.name: {key: value for key, value in asdict(organic).items()
                           if value is not None and key != "name"}
            for organic in spec.organic
        }
    # Only when used, so specs without experiments (and their hashes) are unchanged.
    if spec.calibration.experiments is not None:
        out["calibration"] = {
            "experiments": str(spec.calibration.experiments), "mode": spec.calibration.mode,
        }
    if spec.treatments:
        out["treatments"] = treatments_to_dict(spec.treatments)
    return out
