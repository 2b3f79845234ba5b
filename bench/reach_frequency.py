"""Benchmark: reach & frequency (R&F) recovery over seeds, and the fit time R&F costs.

For each seed, national data (156 weeks, two spend channels and one R&F channel
whose truth is reach x Hill(frequency) with adstock: mixscope.simulate.reach_frequency;
its ROI, decay, EC and slope drawn per seed: :func:`drawn_truth`)
is fitted with the channel as reach & frequency; the case records whether its
ROI and its optimal frequency fall inside their 90% intervals. For the first
seed the same data is also fitted, at the default sampler and alternately, with
the channel as reach & frequency and as plain spend, and the case records the
ratio of the median fit times (issue 19: within 1.5x of today's for the same data size).

Usage: ``.venv/bin/python bench/reach_frequency.py [--seeds 0 1 2 3 4] [--chains 2] [--warmup 300]
[--draws 300]``.
Appends the run to ``bench/results/reach_frequency.jsonl``; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("MIXSCOPE_NO_PROGRESS", "1")
sys.path.insert(0, str(Path(__file__).parent))
from _common import Target, report  # noqa: E402

from mixscope.xla import configure_xla  # noqa: E402

configure_xla()  # parallel chains, as the CLI runs them: before anything starts JAX

TARGETS = (
    Target("inside_90", at_least=0.9, cases="all seeds", source="issue 19: truth inside the 90% interval"),
    Target("fit_time_ratio", at_most=1.5, cases="fit time", source="issue 19: within 1.5x of today's"),
)


def fit_summary(spec_path: Path, plain: bool = False) -> dict:
    from mixscope.data import load_dataset
    from mixscope.pipeline import fit
    from mixscope.spec import load_spec, parse_spec

    spec = load_spec(spec_path)
    if plain:  # the R&F channel as a plain spend channel: today's model of the same data
        raw = spec.to_dict()
        raw["channels"]["video"] = {"spend": "video_spend"}
        spec = parse_spec(raw, base_dir=spec_path.parent, source=spec_path)
    return fit(spec, load_dataset(spec)[0], progress=False).summary


def drawn_truth(seed: int):
    """The R&F channel's truth for ``seed``: ROI, decay and frequency curve drawn (seeds differ in truth)."""
    import numpy as np

    from mixscope.simulate.reach_frequency import ReachFrequencyTruth

    rng = np.random.default_rng([seed, 1919])
    return ReachFrequencyTruth(
        roi=round(float(rng.uniform(1.0, 3.0)), 2), decay=round(float(rng.uniform(0.1, 0.5)), 2),
        half_saturation=round(float(rng.uniform(2.0, 5.0)), 2), slope=round(float(rng.uniform(1.5, 3.0)), 2),
    )


def fit_times(spec_path: Path, repeats: int) -> dict:
    """Median ``fit_seconds`` of the spec's R&F fit and of its plain-spend twin, alternated, at the
    default sampler (small test samplers time mostly the compilation)."""
    import statistics
    import tomllib

    import tomli_w

    raw = tomllib.loads(spec_path.read_text())
    raw["sampler"] = {"seed": raw["sampler"].get("seed", 0)}
    timed = spec_path.with_name("timed.toml")
    timed.write_text(tomli_w.dumps(raw))
    seconds: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(repeats):
        for plain in (False, True):
            seconds[plain].append(fit_summary(timed, plain=plain)["fit_seconds"])
    rf, plain = statistics.median(seconds[False]), statistics.median(seconds[True])
    return {"rf_seconds": round(rf, 1), "plain_seconds": round(plain, 1),
            "fit_time_ratio": round(rf / plain, 3), "repeats": repeats}


def main() -> None:
    from mixscope.simulate.reach_frequency import write_reach_frequency_project

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--draws", type=int, default=300)
    parser.add_argument("--timing-repeats", type=int, default=2, help="0: no fit-time comparison")
    args = parser.parse_args()
    results: dict[str, dict] = {}
    hits = []
    for seed in args.seeds:
        sampler = {"chains": args.chains, "warmup": args.warmup, "draws": args.draws, "seed": seed}
        with tempfile.TemporaryDirectory() as folder:
            spec_path, truth = write_reach_frequency_project(
                Path(folder), seed=seed, sampler=sampler, rf=drawn_truth(seed))
            summary = fit_summary(spec_path)
            true = truth["reach_frequency"]["video"]
            roi = summary["roi"]["video"]
            optimal = summary["reach_frequency"]["video"]["optimal_frequency"]
            figures = {
                "true_roi": true["roi"], "roi_ci_90": [round(v, 3) for v in roi["ci_90"]],
                "roi_inside": roi["ci_90"][0] <= true["roi"] <= roi["ci_90"][1],
                "true_optimal_frequency": round(true["optimal_frequency"], 3),
                "optimal_frequency_ci_90": [round(v, 3) for v in optimal["ci_90"]],
                "optimal_frequency_inside": (
                    optimal["ci_90"][0] <= true["optimal_frequency"] <= optimal["ci_90"][1]),
                "max_rhat": round(summary["diagnostics"]["max_rhat"], 3),
                "fit_seconds": round(summary["fit_seconds"], 1),
            }
            hits += [figures["roi_inside"], figures["optimal_frequency_inside"]]
            results[f"seed {seed}"] = figures
            print(seed, figures, flush=True)
            if seed == args.seeds[0] and args.timing_repeats:
                key = f"fit time, seed {seed}, default sampler, R&F vs plain spend"
                results[key] = fit_times(spec_path, args.timing_repeats)
                print(results[key], flush=True)
    results[f"all seeds {args.seeds}"] = {
        "inside_90": round(sum(hits) / len(hits), 3), "quantities": len(hits),
    }
    report("reach_frequency", results, TARGETS)


if __name__ == "__main__":
    main()
