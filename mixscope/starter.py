"""``mixscope init``'s starter spec, guessed from column names by convention."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from mixscope.errors import SpecError
from mixscope.spec import ModelSpec, SamplerSpec

# The sampler a starter spec asks for on geo data: a geo posterior has hundreds of
# parameters, and a prior-dominated per-geo offset mixes slowly under NUTS, so it
# needs more draws than a national one; target_accept 0.8 then gives more bulk ESS
# per second than 0.9 at a divergence rate under the alarm. The measurements behind
# these values are in bench/results/HISTORY.md.
GEO_STARTER_SAMPLER = SamplerSpec(draws=1000, target_accept=0.8)


def starter_spec(
    columns: Mapping[str, bool], data_path: str, kpi: str | None = None
) -> dict[str, Any]:
    """Guess a starter spec from column names by convention.

    ``columns`` maps each column name to whether it is numeric. ``date``/``week``
    become the date, ``geo``/``population`` are recognised, ``*_spend`` columns
    become channels, ``revenue``/``sales``/``conversions`` the KPI, and other
    numeric columns controls. Raises :class:`SpecError` when no date, KPI or
    spend column can be found, saying which flag or column name fixes it.
    """
    names = list(columns)
    lower = {name.lower(): name for name in names}
    date = next((lower[c] for c in ("date", "week", "date_week", "time", "ds") if c in lower), None)
    if date is None:
        raise SpecError(
            f"No date column found among {names}; name it `date` or `week`, "
            "or write the spec by hand."
        )
    if kpi is None:
        kpi = next((lower[c] for c in ("revenue", "sales", "conversions") if c in lower), None)
        if kpi is None:
            raise SpecError(
                f"No KPI column (revenue, sales or conversions) among {names}; pass --kpi COLUMN."
            )
    elif kpi not in columns:
        raise SpecError(f"--kpi {kpi!r} is not a column; columns are {names}.")
    geo = lower.get("geo")
    population = lower.get("population") if geo else None
    channels: dict[str, Any] = {}
    for name in names:
        if name.lower().endswith("_spend") and len(name) > len("_spend"):
            channel = name[: -len("_spend")]
            entry: dict[str, Any] = {"spend": name}
            for suffix in ("_impressions", "_impression", "_exposure", "_grps"):
                if channel + suffix in columns:
                    entry["exposure"] = channel + suffix
            channels[channel] = entry
    if not channels:
        raise SpecError(
            f"No spend columns found among {names}; name them CHANNEL_spend (e.g. tv_spend)."
        )
    used = {date, kpi, geo, population} | {c["spend"] for c in channels.values()}
    used |= {c["exposure"] for c in channels.values() if "exposure" in c}
    kpi_type = "conversions" if kpi.lower() == "conversions" else "revenue"
    revenue_per_kpi = None
    if kpi_type == "conversions":
        revenue_per_kpi = next(
            (lower[c] for c in ("revenue_per_conversion", "revenue_per_kpi") if c in lower), None
        )
        used.add(revenue_per_kpi)
    controls = [name for name in names if columns[name] and name not in used]
    data: dict[str, Any] = {"path": data_path, "date": date, "kpi": kpi, "kpi_type": kpi_type}
    if revenue_per_kpi:
        data["revenue_per_kpi"] = revenue_per_kpi
    if geo:
        data["geo"] = geo
    if population:
        data["population"] = population
    data["controls"] = controls
    return {
        "data": data,
        "channels": channels,
        "sampler": asdict(GEO_STARTER_SAMPLER if geo else SamplerSpec()),
        "holdout": {"periods": 0},
        "model": asdict(ModelSpec()),
    }
