"""Reading a fitted Meridian model: its posterior netCDF, or its ``save_mmm`` pickle (optional extra).

The netCDF (``mmm.inference_data``) holds every parameter's draws but not the
model settings or the data: those come from the data file and the column
mapping (:mod:`mixscope.meridian.mapping`). The pickle holds everything, and
reading it needs Meridian itself (``pip install 'mixscope[meridian]'``, which
pulls TensorFlow), imported only here and only for a pickle.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pandas as pd

from mixscope.errors import MixscopeError
from mixscope.meridian.mapping import ColumnMapping, MeridianSettings

# Posterior dimensions of Meridian's inputs that mixscope cannot carry over yet, and what they are.
UNSUPPORTED_DIMS = {
    "rf_channel": "reach-and-frequency (R&F) channels",
    "organic_media_channel": "organic media channels",
    "organic_rf_channel": "organic R&F channels",
    "non_media_channel": "non-media treatments",
}
_HDF5 = b"\x89HDF\r\n\x1a\n"  # netCDF-4 files are HDF5 files
_NETCDF3 = b"CDF"


@dataclass(frozen=True, eq=False)
class MeridianModel:
    """A fitted Meridian model as mixscope reads it.

    Attributes:
        idata: Meridian's InferenceData (``posterior`` with Meridian's parameter names).
        settings: the ModelSpec settings its equations need (from the pickle, or defaults).
        source: the file it was read from; ``source_sha256`` its content hash.
        kind: ``"netcdf"`` or ``"pickle"``.
        meridian_version: the version that wrote it, when known (pickles only).
        data: the model's own input data as a table under ``mapping``'s columns (pickles
            only; a netCDF import reads the data file).
    """

    idata: az.InferenceData
    settings: MeridianSettings
    source: Path
    source_sha256: str
    kind: str
    meridian_version: str | None = None
    data: pd.DataFrame | None = None
    mapping: ColumnMapping | None = None

    @property
    def posterior(self) -> Any:
        return self.idata.posterior

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.posterior["media_channel"].values)

    @property
    def controls(self) -> tuple[str, ...]:
        if "control_variable" not in self.posterior.coords:
            return ()
        return tuple(str(c) for c in self.posterior["control_variable"].values)


def read_model(path: str | Path) -> MeridianModel:
    """Read a Meridian posterior netCDF, or a ``save_mmm`` pickle when the ``meridian`` extra is installed."""
    path = Path(path)
    if not path.is_file():
        raise MixscopeError(
            f"{path} does not exist. Give the Meridian model: the pickle `save_mmm` wrote, or its "
            "posterior as netCDF (`mmm.inference_data.to_netcdf('posterior.nc')`)."
        )
    digest = _sha256(path)
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(_HDF5) or head.startswith(_NETCDF3):
        idata = az.from_netcdf(str(path))
        if "posterior" not in idata.groups():
            raise MixscopeError(
                f"{path} has no posterior group: it is not a fitted Meridian model's InferenceData."
            )
        model = MeridianModel(idata, MeridianSettings(), path, digest, "netcdf")
    else:
        model = _read_pickle(path, digest)
    check_supported(model)
    return model


def check_supported(model: MeridianModel) -> None:
    """Refuse, naming them, the parts of a Meridian model mixscope cannot reproduce (never drop them)."""
    posterior = model.posterior
    if "media_channel" not in posterior.dims or "beta_gm" not in posterior:
        raise MixscopeError(
            f"{model.source}: the posterior has no paid media channels (no `media_channel`, `beta_gm`); "
            "mixscope imports Meridian models with impression or spend media."
        )
    for dim, what in UNSUPPORTED_DIMS.items():
        if dim in posterior.dims:
            names = ", ".join(str(v) for v in posterior[dim].values)
            raise MixscopeError(
                f"{model.source}: the model has {what} ({names}), which mixscope cannot import yet: its "
                "surface and planner model paid media as impressions and spend. Refit in Meridian without "
                f"them (e.g. {names} as impression media) to import it; nothing was written."
            )
    settings = model.settings
    if settings.hill_before_adstock:
        raise MixscopeError(
            f"{model.source}: the model saturates before carryover (ModelSpec hill_before_adstock=True); "
            "mixscope evaluates adstock then Hill, Meridian's default, and cannot import this order yet."
        )
    if settings.adstock_decay_spec != "geometric":
        raise MixscopeError(
            f"{model.source}: the model uses {settings.adstock_decay_spec!r} adstock decay; mixscope "
            "imports geometric decay (Meridian's default) only."
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- the pickle (meridian extra)


def _read_pickle(path: Path, digest: str) -> MeridianModel:
    try:
        import meridian
        from meridian.model import model as meridian_model
    except ImportError:
        raise MixscopeError(
            f"{path} is not a netCDF file, so it is read as Meridian's `save_mmm` pickle, which needs "
            "Meridian installed: pip install 'mixscope[meridian]' (it pulls TensorFlow). Without it, "
            "import the posterior netCDF (`mmm.inference_data.to_netcdf('posterior.nc')`) with --data "
            "pointing at the model's CSV."
        ) from None
    try:
        mmm = meridian_model.load_mmm(str(path))
    except Exception as error:  # a foreign pickle can fail in any way; say which file and why
        raise MixscopeError(f"{path}: Meridian could not load this pickle ({error}).") from None
    frame, mapping = input_data_frame(mmm.input_data)
    return MeridianModel(
        idata=mmm.inference_data, settings=settings_from_spec(mmm.model_spec, frame, mapping),
        source=path, source_sha256=digest, kind="pickle",
        meridian_version=str(getattr(meridian, "__version__", "")) or None, data=frame, mapping=mapping,
    )


def settings_from_spec(model_spec: Any, frame: pd.DataFrame, mapping: ColumnMapping) -> MeridianSettings:
    """The settings Meridian's ``ModelSpec`` holds (duck-typed: attribute names as in Meridian 1.x-2.x)."""
    decay = getattr(model_spec, "adstock_decay_spec", "geometric")
    decay = getattr(decay, "media", decay)  # 2.x: an AdstockDecaySpec per input kind
    decays = {decay} if isinstance(decay, str) else set(decay)
    scaled = getattr(model_spec, "control_population_scaling_id", None)
    population_scaled = () if scaled is None else tuple(
        c for c, flag in zip(mapping.controls, np.asarray(scaled).ravel(), strict=True) if flag
    )
    roi_prior = None
    # Meridian 2.x leaves media_prior_type/paid_media_prior_type None and resolves the default itself.
    prior_type = next((value for value in (getattr(model_spec, name, None) for name in (
        "effective_media_prior_type", "paid_media_prior_type", "media_prior_type")) if value), "roi")
    if prior_type == "roi":
        roi_prior = _lognormal(getattr(getattr(model_spec, "prior", None), "roi_m", None))
    return replace(
        MeridianSettings(),
        max_lag=int(model_spec.max_lag),
        hill_before_adstock=bool(model_spec.hill_before_adstock),
        adstock_decay_spec=decays.pop() if len(decays) == 1 else "mixed: " + ", ".join(sorted(decays)),
        control_population_scaling=population_scaled,
        roi_prior=roi_prior,
        check_roi=roi_prior is not None and getattr(model_spec, "roi_calibration_period", None) is None,
    )


def _lognormal(distribution: Any) -> tuple[float, float] | None:
    """``(loc, scale)`` of a TFP LogNormal prior shared by all channels, else None (not shown)."""
    parameters = getattr(distribution, "parameters", None) or {}
    try:
        loc, scale = np.ravel(parameters["loc"]), np.ravel(parameters["scale"])
    except (KeyError, TypeError):
        return None
    if np.ptp(loc) or np.ptp(scale):
        return None
    return float(loc[0]), float(scale[0])


def input_data_frame(input_data: Any) -> tuple[pd.DataFrame, ColumnMapping]:
    """Meridian's ``InputData`` as one row per geo and period, under Meridian's column conventions.

    Columns: ``time``, ``geo``, ``population``, the KPI (``conversions`` or
    ``revenue``), ``revenue_per_conversion``, ``CHANNEL_impression``,
    ``CHANNEL_spend`` and the controls under their own names.
    """
    kpi = input_data.kpi  # (geo, time)
    geos = [str(g) for g in kpi["geo"].values]
    times = [str(t)[:10] for t in kpi["time"].values]
    media = input_data.media
    if media.sizes.get("media_time", len(times)) != len(times):
        raise MixscopeError(
            "The model's media has periods before its first KPI period (lagged media history); "
            "mixscope imports models whose media and KPI cover the same periods."
        )
    channels = [str(c) for c in media["media_channel"].values]
    grid = pd.MultiIndex.from_product([geos, times], names=["geo", "time"])
    columns: dict[str, np.ndarray] = {}
    non_revenue = str(input_data.kpi_type) == "non_revenue"
    kpi_name = "conversions" if non_revenue else "revenue"
    columns[kpi_name] = np.asarray(kpi.values, dtype=float).ravel()
    revenue_per_kpi = getattr(input_data, "revenue_per_kpi", None)
    if non_revenue and revenue_per_kpi is not None:
        columns["revenue_per_conversion"] = np.asarray(revenue_per_kpi.values, dtype=float).ravel()
    values = np.asarray(media.values, dtype=float)
    spend = np.asarray(input_data.media_spend.values, dtype=float)
    if spend.ndim == 1:
        raise MixscopeError(
            "The model's spend is one total per channel, not per geo and period; mixscope needs the "
            "spend of each period to scale a weekly pattern. Import the netCDF with a CSV that has it."
        )
    for c, channel in enumerate(channels):
        columns[f"{channel}_impression"] = values[..., c].ravel()
        columns[f"{channel}_spend"] = spend[..., c].ravel()
    controls: list[str] = []
    if getattr(input_data, "controls", None) is not None:
        controls = [str(c) for c in input_data.controls["control_variable"].values]
        for c, name in enumerate(controls):
            columns[name] = np.asarray(input_data.controls.values, dtype=float)[..., c].ravel()
    geo = len(geos) > 1
    if geo:
        columns["population"] = np.repeat(np.asarray(input_data.population.values, dtype=float), len(times))
    frame = pd.DataFrame(columns, index=grid).reset_index()
    if not geo:
        frame = frame.drop(columns="geo")
    mapping = ColumnMapping(
        time="time", kpi=kpi_name, kpi_type="non_revenue" if non_revenue else "revenue",
        revenue_per_kpi="revenue_per_conversion" if "revenue_per_conversion" in columns else None,
        geo="geo" if geo else None, population="population" if geo else None, controls=tuple(controls),
        media=tuple(f"{c}_impression" for c in channels), media_spend=tuple(f"{c}_spend" for c in channels),
    )
    return frame, mapping
