"""Benchmark: fit wall time, peak memory, R-hat, ESS/s and ROI error vs truth.

Usage: ``.venv/bin/python bench/fit.py [--geo-geos 40] [--skip-geo] [--warmup N --draws N]``.
The national case uses the sampler defaults; the geo case uses what
``mixscope init`` writes for geo data (``GEO_STARTER_SAMPLER``). Each case runs
twice in fresh processes: with an empty compile cache (wall time includes JIT
compile) and again with the cache the first run filled. Prints a table beside
the previous run's figures, appends this run to ``bench/results/fit.jsonl`` and
exits 1 when a target in ``TARGETS`` is missed.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import Target, report, run_in_child  # noqa: E402

from mixscope.xla import configure_xla  # noqa: E402

configure_xla()  # parallel chains, as the CLI runs them: before anything starts JAX

from mixscope.model.diagnostics import MAX_DIVERGENCE_RATE, MAX_RHAT, MIN_ESS  # noqa: E402
from mixscope.spec import SamplerSpec  # noqa: E402
from mixscope.starter import GEO_STARTER_SAMPLER  # noqa: E402

TARGETS = (
    # The fit's own diagnostic alarms (R-hat 1.01, bulk ESS 400, 1% divergences): a bench posterior
    # must pass every one of them.
    Target("max_rhat", at_most=MAX_RHAT, source="diagnostics alarm"),
    Target("min_ess_bulk", at_least=MIN_ESS, source="diagnostics alarm"),
    Target("divergence_rate", at_most=MAX_DIVERGENCE_RATE, source="diagnostics alarm"),
    # Recovery of the simulated truth, as tests/model/test_recovery.py holds it: at least 4 of 5
    # true ROIs in their 90% intervals, mean absolute error <= 35% (measured: 0.24 national, 0.26 geo-40).
    Target("roi_covered_90", at_least=4, source="tests/model/test_recovery.py"),
    Target("roi_mean_abs_rel_error", at_most=0.35, source="issue 25; measured 0.24-0.26"),
    Target("wall_s", at_most=180, cases="40 geo", source="README: geo-40 target 3 minutes (161 s measured)"),
)


def run_case(
    n_geos: int, n_weeks: int, chains: int, warmup: int, draws: int, target_accept: float,
    n_channels: int = 5, chain_method: str = "auto",
) -> dict:
    """Fit one simulated dataset in this process and return its figures.

    ``n_channels`` other than 5 repeats the simulator's five channel truths
    (:func:`mixscope.simulate.widened_truth`), total spend unchanged.
    """
    import arviz as az
    import numpy as np

    from mixscope.data import load_dataset
    from mixscope.pipeline import fit
    from mixscope.simulate import widened_truth, write_simulated_project
    folder = Path(tempfile.mkdtemp())
    sampler = {"chains": chains, "warmup": warmup, "draws": draws, "seed": 0,
               "target_accept": target_accept, "chain_method": chain_method}
    _, spec, truth = write_simulated_project(folder, n_geos, n_weeks, 3, sampler,
                                             channels=widened_truth(n_channels))
    dataset, _ = load_dataset(spec)
    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    result = fit(spec, dataset, progress=False)
    wall = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_started
    roi = result.summary["roi"]
    errors = {c: roi[c]["mean"] / truth["roi"][c] - 1 for c in truth["roi"]}
    covered = sum(roi[c]["ci_90"][0] <= truth["roi"][c] <= roi[c]["ci_90"][1] for c in truth["roi"])
    d = result.diagnostics
    rhat = az.rhat(result.idata.posterior)
    worst_site = max(rhat.data_vars, key=lambda name: float(rhat[name].max()))
    return {
        "case": f"{n_geos} geo x {n_weeks} wk x {n_channels} ch, {chains}x({warmup}+{draws})" + (
            "" if target_accept == SamplerSpec().target_accept else f", target_accept {target_accept}"
        ) + ("" if chain_method == "auto" else f", {chain_method} chains"),
        "wall_s": round(wall, 1),
        # CPU seconds of the fit (all threads): unlike wall time, barely moved by other load.
        "cpu_s": round(cpu, 1),
        "sampling_s": round(result.fit_seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "max_rhat": round(d.max_rhat, 4),
        "max_rhat_site": worst_site,
        "min_ess_bulk": round(d.min_ess_bulk),
        "ess_bulk_per_s": round(d.min_ess_bulk / wall, 1),
        "divergences": d.divergences,
        "divergence_rate": round(d.divergence_rate, 4),
        "roi_mean_abs_rel_error": round(float(np.mean(np.abs(list(errors.values())))), 3),
        "roi_covered_90": int(covered),
        "channels": len(truth["roi"]),
        "roi_rel_error": {c: round(e, 3) for c, e in errors.items()},
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _case(n_geos: int, sampler: SamplerSpec) -> list:
    """:func:`run_case`'s arguments for 156 weeks of ``n_geos`` geos under ``sampler``."""
    return [n_geos, 156, sampler.chains, sampler.warmup, sampler.draws, sampler.target_accept]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--geo-geos", type=int, default=40)
    parser.add_argument("--skip-geo", action="store_true")
    parser.add_argument("--warmup", type=int, help="override every case's warm-up (smoke runs)")
    parser.add_argument("--draws", type=int, help="override every case's draws per chain (smoke runs)")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:  # child process: one case, so peak memory is per case
        print(json.dumps(run_case(*json.loads(args.case))))
        return
    override = {"warmup": args.warmup, "draws": args.draws}
    override = {key: value for key, value in override.items() if value is not None}
    cases = [_case(1, replace(SamplerSpec(), **override))]
    if not args.skip_geo:
        # Geo data at what `mixscope init` writes for it: more draws (mixscope.spec).
        cases.append(_case(args.geo_geos, replace(GEO_STARTER_SAMPLER, **override)))
    results = {}
    for case in cases:
        # Cold: an empty compile cache, so the wall time includes every JIT compile.
        # Warm: the same fit again in a new process, compiled programs read from disk.
        with tempfile.TemporaryDirectory() as cache:
            env = {"MIXSCOPE_COMPILE_CACHE": cache}
            figures = run_in_child(__file__, "--case", json.dumps(case), env=env)
            warm = run_in_child(__file__, "--case", json.dumps(case), env=env)
        figures["wall_s_warm_cache"] = warm["wall_s"]
        results[figures["case"]] = figures
    report("fit", results, TARGETS)


if __name__ == "__main__":
    main()
