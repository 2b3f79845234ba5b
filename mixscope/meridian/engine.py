"""A fitted Meridian model → a mixscope run directory that every later command reads as any run.

The run keeps Meridian's draws: under mixscope's parameter names in
``posterior`` (same values; see :mod:`mixscope.meridian.equations`) and
untouched, under Meridian's names and coordinates, in ``meridian_posterior``
(and ``meridian_trace``, ... for Meridian's other groups) of ``posterior.nc``.
``summary.json`` says ``engine: "meridian"`` and where the model came from, and
carries both ROI definitions: mixscope's (``roi``, ``mroi``: carryover past the
end of the data counted) and Meridian's (``meridian.roi``, ``meridian.mroi``,
``meridian.incremental_outcome``: only what falls inside the data window).
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pandas as pd

from mixscope import metrics
from mixscope.data.build import build_dataset
from mixscope.data.dataset import Dataset
from mixscope.data.loading import load_table
from mixscope.data.validation import validate_frame
from mixscope.errors import MixscopeError
from mixscope.meridian.equations import (
    ENGINE,
    MeridianScales,
    control_terms,
    meridian_scales,
    mixscope_draws,
    model_config,
    model_inputs,
    scaling,
)
from mixscope.meridian.mapping import (
    ColumnMapping,
    guess_mapping,
    merge_settings,
    read_mapping_file,
    run_spec,
)
from mixscope.meridian.source import MeridianModel, check_supported, read_model
from mixscope.model.diagnostics import Diagnostics, convergence, fit_statistics
from mixscope.model.evaluate import PosteriorEvaluation, evaluate_posterior, flatten_draws
from mixscope.model.fit import build_summary
from mixscope.run import FitResult, check_target, save_run
from mixscope.spec import DataSpec, RunSpec

# Meridian's roi_m is its ROI over the data window; the reproduction must give the same draws.
ROI_CHECK_TOLERANCE = 1e-3
# Where each mixscope site's draws come from (recorded in the summary).
PARAMETERS = {
    "adstock_decay": "alpha_m",
    "hill_half_saturation": "ec_m",
    "hill_slope": "slope_m",
    "beta_media": "beta_gm",
    "intercept": "tau_g + kpi_mean / kpi_sd",
    "trend": "mu_t (one term per period)",
    "control_coef": "gamma_gc (one term per geo and control)",
    "noise_sd": "sigma",
    "roi": "roi_m (Meridian's ROI: data window only)",
}


def import_meridian(
    model_path: str | Path, out: str | Path, data: str | Path | None = None,
    mapping: str | Path | None = None, overwrite: bool = False,
) -> FitResult:
    """Read a Meridian model, reproduce its equations on its data, and save a run at ``out``.

    Args:
        model_path: the posterior netCDF (``mmm.inference_data``), or the ``save_mmm``
            pickle (needs the ``meridian`` extra).
        out: the run directory to write.
        data: the model's input data (CSV/Parquet). Required for a netCDF; a pickle
            carries its own, used when ``data`` is omitted.
        mapping: a TOML overriding the guessed columns and Meridian's model settings
            (see :mod:`mixscope.meridian.mapping`).
        overwrite: replace an existing run (atomically, once the new one is complete).

    Raises:
        MixscopeError: with what to do, for anything that cannot be imported (R&F
            channels, another adstock or order, data that does not match the model,
            a reproduction that disagrees with Meridian's own ROI draws).
    """
    started = time.perf_counter()
    out = Path(out)
    check_target(out, overwrite)
    model = read_model(model_path)
    overrides = read_mapping_file(mapping) if mapping is not None else None
    if overrides is not None:
        model = replace(model, settings=merge_settings(model.settings, overrides.settings))
        check_supported(model)
    frame, columns, data_path = _input_table(model, data, overrides.columns if overrides else {}, out)
    sampling = model.posterior.sizes
    spec = run_spec(columns, model.channels, data_path, model.settings, sampling["chain"], sampling["draw"])
    report = validate_frame(frame, spec)
    report.raise_for_errors()
    dataset = build_dataset(frame, spec)
    _check_periods(model, dataset)

    scales = meridian_scales(dataset, model.settings)
    samples = mixscope_draws(model.posterior, dataset, scales)
    draws = flatten_draws(samples)
    kpi_scale = scaling(scales).kpi_scale
    config = model_config(dataset, model.settings)
    evaluation = evaluate_posterior(draws, model_inputs(dataset, spec, scales), config, kpi_scale)
    window_only = model_inputs(dataset, spec, scales, carryover=False)
    in_window = evaluate_posterior(draws, window_only, config, kpi_scale)
    spend = dataset.spend.sum(axis=(0, 1))
    shape = samples["adstock_decay"].shape[:2]
    samples["channel_roi"] = metrics.roi(evaluation.incremental_outcome, spend).reshape(*shape, -1)
    roi_check = _roi_check(model, samples, in_window, spend)

    diagnostics = _diagnostics(model, dataset, evaluation, samples, kpi_scale, spec)
    seconds = time.perf_counter() - started
    summary = build_summary(spec, dataset, config, evaluation, diagnostics, seconds)
    summary["sampler"] = {
        "chains": int(shape[0]), "warmup": None, "draws": int(shape[1]), "seed": None,
        "chain_method": "Meridian (TensorFlow Probability NUTS)",
    }
    if model.settings.roi_prior is None:
        summary["roi_priors"] = {}
    summary["meridian"] = _provenance(model, data_path, columns, scales, dataset)
    summary["meridian"].update(_meridian_metrics(in_window, spend, dataset.channels), roi_check=roi_check)
    idata = _inference_data(samples, model, dataset)
    result = FitResult(spec, dataset, idata, evaluation, diagnostics, summary, seconds)
    save_run(result, out, overwrite=overwrite)
    return result


def _input_table(
    model: MeridianModel, data: str | Path | None, overrides: dict[str, Any], out: Path
) -> tuple[pd.DataFrame, ColumnMapping, Path]:
    """The model's data as a table, its column mapping, and the path the run's spec names."""
    if data is not None:
        frame = load_table(DataSpec(path=Path(data).resolve()))
        columns = guess_mapping(list(map(str, frame.columns)), model.channels, model.controls, overrides)
        return frame, columns, Path(data)
    if model.data is None or model.mapping is None:
        raise MixscopeError(
            f"{model.source} is a posterior netCDF, which holds the draws but not the data: pass the "
            "model's input data with --data CSV (mapped by Meridian's column names, or --mapping TOML)."
        )
    # A pickle carries its data; the run's own snapshot is then the spec's data file.
    columns = model.mapping if not overrides else guess_mapping(
        list(model.data.columns), model.channels, model.controls, overrides
    )
    return model.data, columns, out.resolve() / "data.parquet"


def _check_periods(model: MeridianModel, dataset: Dataset) -> None:
    """The data must cover exactly the model's periods (and its controls must be the model's)."""
    if "time" in model.posterior.coords:
        fitted = [str(t)[:10] for t in model.posterior["time"].values]
        given = [str(d)[:10] for d in dataset.dates]
        if fitted != given:
            raise MixscopeError(
                f"The data's periods ({given[0]} … {given[-1]}, {len(given)}) are not the model's "
                f"({fitted[0]} … {fitted[-1]}, {len(fitted)}); import with the data the model was fitted on."
            )
    if set(dataset.control_names) != set(model.controls):
        raise MixscopeError(
            f"The data's controls ({', '.join(dataset.control_names) or 'none'}) are not the model's "
            f"({', '.join(model.controls) or 'none'}); set [columns] controls in the mapping TOML."
        )


def _roi_check(
    model: MeridianModel, samples: dict[str, np.ndarray], in_window: PosteriorEvaluation, spend: np.ndarray
) -> dict[str, Any]:
    """Compare the reproduced ROI (Meridian's definition) with Meridian's own ``roi_m`` draws.

    For an ROI prior over the whole window they are the same number per draw, so
    a gap means the reproduction is wrong (a wrong ``max_lag``, column or geo
    order): refuse rather than import wrong answers.
    """
    if "roi" not in samples or not model.settings.check_roi:
        return {"checked": False, "reason": "no roi_m draws" if "roi" not in samples else "check_roi = false"}
    reproduced = metrics.roi(in_window.incremental_outcome, spend)
    stored = samples["roi"].reshape(reproduced.shape)
    error = float(np.max(np.abs(reproduced / stored - 1.0)))
    if not error <= ROI_CHECK_TOLERANCE:
        raise MixscopeError(
            f"Reproducing Meridian's equations on this data gives ROI draws up to {error:.1%} away from "
            "the model's own roi_m, so the data, the column mapping or the model settings are not the "
            "model's. Check --data (the file the model was fitted on), the media and spend columns, and "
            "[model] max_lag / control_population_scaling in the mapping TOML (set check_roi = false if "
            "the model used roi_calibration_period). Nothing was written."
        )
    return {"checked": True, "max_relative_error": error, "tolerance": ROI_CHECK_TOLERANCE}


def _diagnostics(
    model: MeridianModel, dataset: Dataset, evaluation: PosteriorEvaluation, samples: dict[str, np.ndarray],
    kpi_scale: np.ndarray, spec: RunSpec,
) -> Diagnostics:
    """Meridian's own chains judged by mixscope's alarms (R-hat, ESS, divergences) plus fit statistics."""
    with np.errstate(invalid="ignore", divide="ignore"):  # constants (Meridian's slope_m = 1) have no R-hat
        max_rhat, min_bulk, min_tail = convergence(az.InferenceData(posterior=model.posterior))
    diverging = None
    if "sample_stats" in model.idata.groups() and "diverging" in model.idata.sample_stats:
        diverging = np.asarray(model.idata.sample_stats["diverging"].values, dtype=bool)
    noise_sd = samples["noise_sd"].reshape(-1, dataset.n_geos) * kpi_scale[None, :]
    train = np.ones(dataset.n_times, dtype=bool)
    stats = fit_statistics(dataset.kpi, evaluation.expected, noise_sd, train, np.random.default_rng(0))
    return Diagnostics(
        max_rhat=max_rhat, min_ess_bulk=min_bulk, min_ess_tail=min_tail,
        divergences=None if diverging is None else int(diverging.sum()),
        divergence_rate=None if diverging is None else float(diverging.mean()),
        ess_bulk_per_second=None, engine=ENGINE, **stats,
    )


def _meridian_metrics(in_window: PosteriorEvaluation, spend: np.ndarray, channels) -> dict[str, Any]:
    """Meridian's ROI, mROI and incremental outcome, through mixscope's metric functions."""
    mroi = metrics.mroi(in_window.incremental_outcome, in_window.incremental_outcome_step, spend,
                        metrics.MROI_STEP)
    return {
        "definition": (
            "Meridian's: the outcome each channel's spend causes inside the data window only (carryover "
            "past the last period not counted), revenue summed over geos and periods; mROI from a 1% "
            "spend increase in every period."
        ),
        "roi": metrics.summarize_by_channel(metrics.roi(in_window.incremental_outcome, spend), channels),
        "mroi": metrics.summarize_by_channel(mroi, channels),
        "incremental_outcome": metrics.summarize_by_channel(in_window.incremental_outcome, channels),
    }


def _provenance(
    model: MeridianModel, data_path: Path, columns: ColumnMapping, scales: MeridianScales, dataset: Dataset
) -> dict[str, Any]:
    settings = asdict(model.settings)
    prior = model.settings.roi_prior
    settings["roi_prior"] = None if prior is None else {"loc": prior[0], "scale": prior[1]}
    return {
        "source": str(model.source.resolve()),
        "source_kind": model.kind,
        "source_sha256": model.source_sha256,
        "meridian_version": model.meridian_version,
        "data": str(Path(data_path).resolve()),
        "columns": asdict(columns),
        "model_spec": settings,
        "parameters": PARAMETERS,
        "scales": {
            "population": dict(zip(dataset.geos, map(float, scales.population), strict=True)),
            "media_median": dict(zip(dataset.channels, map(float, scales.media_median), strict=True)),
            "kpi_mean": scales.kpi_mean,
            "kpi_sd": scales.kpi_sd,
        },
    }


def _inference_data(
    samples: dict[str, np.ndarray], model: MeridianModel, dataset: Dataset
) -> az.InferenceData:
    """mixscope-named draws, Meridian's sampler statistics, the KPI, Meridian's groups as they are."""
    dims = {
        "intercept": ["geo"], "trend": ["time"], "control_coef": ["control_term"],
        "adstock_decay": ["channel"], "hill_half_saturation": ["hill_channel"],
        "hill_slope": ["hill_channel"], "beta_media": ["geo", "channel"], "noise_sd": ["geo"],
        "roi": ["roi_channel"], "channel_roi": ["channel"],
    }
    channels = list(dataset.channels)
    coords = {
        "geo": list(dataset.geos), "channel": channels, "hill_channel": channels, "roi_channel": channels,
        "time": dataset.dates, "control_term": control_terms(dataset),
    }
    labelled = az.from_dict(
        posterior=samples, observed_data={"kpi": dataset.kpi}, coords=coords,
        dims={**{name: dims[name] for name in samples}, "kpi": ["geo", "time"]},
    )
    groups: dict[str, Any] = {"posterior": labelled.posterior, "observed_data": labelled.observed_data}
    for group in model.idata.groups():
        if group == "sample_stats":
            groups["sample_stats"] = model.idata.sample_stats
        if not group.startswith("meridian_"):
            groups[f"meridian_{group}"] = model.idata[group]
    return az.InferenceData(**groups)
