"""Benchmark: how much of the truly achievable uplift the recommendation gets, over seeds.

For each simulation seed (156 weeks, 5 channels), one 8-week test halving each
channel's spend is run in the history (10% standard error). The model is fitted
twice on the same data, without the tests and with them as a likelihood
(``mixscope.calibration``); each fit gets a surface, the planner recommends an
allocation at the historical budget, and the simulation's true response scores
it: recovery = true uplift of the recommendation / true uplift of the true
optimum under the same constraints, with and without the default trust region.
Also prints the true achievable uplift as a share of the current outcome (how
much there is to find) and the mean absolute ROI error. Two truths:
``DEFAULT_TRUTH``, whose history is already near its optimum, and
``MISALLOCATED_TRUTH``, whose history is clearly off it.

Usage: ``.venv/bin/python bench/recovery.py [--seeds 3 1 2] [--truth default misallocated]``. Appends
the run to ``bench/results/recovery.jsonl`` and exits 1 when a median misses its target in ``TARGETS``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("MIXSCOPE_NO_PROGRESS", "1")
sys.path.insert(0, str(Path(__file__).parent))
from _common import Target, report  # noqa: E402

from mixscope.xla import configure_xla  # noqa: E402

configure_xla()  # parallel chains, as the CLI runs them: before anything starts JAX

SAMPLER = {"chains": 4, "warmup": 500, "draws": 500, "seed": 0}
CHANNELS = ("tv", "search", "social", "display", "radio")
TRUTHS = ("default", "misallocated")  # DEFAULT_TRUTH, MISALLOCATED_TRUTH in mixscope.simulate
MODES = ("uncalibrated", "lift tests")
TEST_STARTS = (20, 50, 80, 110, 140)

# Medians over seeds 3, 1, 2 (README, Performance), each less the 0.1 that small changes to the fit
# move an uncalibrated share by. DEFAULT_TRUTH's history is already near its optimum, so its
# uncalibrated share is the weakest: 0.60 (0.57-0.78) with the trust region, 0.92 with lift tests.
# MISALLOCATED_TRUTH: 0.950 / 0.904 (trust region / none) uncalibrated, 0.992 / 0.949 with lift tests;
# tests/plan/test_recovery.py holds seed 3 of it to 0.9.
TARGETS = (
    Target("recovered_trust_region", at_least=0.5, cases="median, default truth, uncalibrated"),
    Target("recovered_trust_region", at_least=0.8, cases="median, default truth, lift tests"),
    Target("recovered_trust_region", at_least=0.9, cases="median, misallocated truth, uncalibrated"),
    Target("recovered_no_trust_region", at_least=0.85, cases="median, misallocated truth, uncalibrated"),
    Target("recovered_trust_region", at_least=0.95, cases="median, misallocated truth, lift tests"),
    Target("recovered_no_trust_region", at_least=0.9, cases="median, misallocated truth, lift tests"),
)


def run_seed(seed: int, truth_name: str, sampler: dict) -> dict[str, dict]:
    from mixscope.calibration import load_experiments
    from mixscope.data import load_dataset
    from mixscope.pipeline import fit
    from mixscope.plan import Constraints
    from mixscope.run import save_run
    from mixscope.simulate import (
        DEFAULT_TRUTH,
        MISALLOCATED_TRUTH,
        SimulatedTest,
        recovered_uplift,
        simulate,
        true_surface,
        write_simulated_project,
    )
    from mixscope.surface import Surface
    from mixscope.surface.build import SurfaceOptions, build_surface

    folder = Path(tempfile.mkdtemp(prefix="mixscope-recovery-"))
    tests = tuple(
        SimulatedTest(channel, start, 8, spend_multiplier=0.5, relative_se=0.10)
        for channel, start in zip(CHANNELS, TEST_STARTS, strict=True)
    )
    channels = dict(zip(TRUTHS, (DEFAULT_TRUTH, MISALLOCATED_TRUTH), strict=True))[truth_name]
    _, spec, truth = write_simulated_project(
        folder, 1, 156, seed, sampler, experiments=tests, channels=channels
    )
    dataset, _ = load_dataset(spec)
    experiments = load_experiments(folder / "lifts.csv", dataset)
    simulated = simulate(1, 156, seed, experiments=tests, channels=channels)
    rows = {}
    for mode in MODES:
        calibrated = mode != "uncalibrated"
        run_spec = spec.with_calibration(folder / "lifts.csv", "likelihood") if calibrated else spec
        result = fit(run_spec, dataset, progress=False, experiments=experiments if calibrated else ())
        run_dir = save_run(result, folder / mode.replace(" ", "-"))
        options = SurfaceOptions(n_sobol=64, n_neighbourhood=16, check_plans=16, check_draws=100)
        build_surface(run_dir, options)
        surface = Surface.load(run_dir)
        truth_surface = true_surface(simulated, surface)
        current = float(truth_surface.curves.incremental(surface.historical_plan())[0].sum())
        roi = result.summary["roi"]
        figures = {
            "roi_mean_abs_rel_error": round(float(np.mean(
                [abs(roi[c]["mean"] / truth["roi"][c] - 1) for c in CHANNELS])), 3),
        }
        for label, trust in (("trust_region", True), ("no_trust_region", False)):
            share, achievable = recovered_uplift(surface, truth_surface, Constraints(trust_region=trust))
            figures[f"recovered_{label}"] = round(share, 3)
            figures[f"achievable_pct_of_media_outcome_{label}"] = round(100 * achievable / current, 1)
        rows[f"{truth_name} truth, seed {seed}, {mode}"] = figures
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[3, 1, 2])
    parser.add_argument("--truth", choices=TRUTHS, nargs="+", default=list(TRUTHS))
    parser.add_argument("--warmup", type=int, default=SAMPLER["warmup"], help="smoke runs: fewer")
    parser.add_argument("--draws", type=int, default=SAMPLER["draws"], help="smoke runs: fewer")
    args = parser.parse_args()
    sampler = SAMPLER | {"warmup": args.warmup, "draws": args.draws}
    per_seed: dict[str, dict] = {}
    recovered: dict[tuple[str, str, str], list[float]] = {}  # (truth, mode, label) -> per seed
    for truth_name, seed in ((name, seed) for name in args.truth for seed in args.seeds):
        rows = run_seed(seed, truth_name, sampler)
        print(json.dumps(rows), flush=True)  # progress, and figures kept if a later seed fails
        per_seed.update(rows)
        for mode, row in zip(MODES, rows.values(), strict=True):
            for label in ("trust_region", "no_trust_region"):
                recovered.setdefault((truth_name, mode, label), []).append(row[f"recovered_{label}"])
    medians: dict[str, dict] = {}
    for (truth_name, mode, label), shares in recovered.items():
        key = f"median, {truth_name} truth, {mode}, seeds {args.seeds}"
        medians.setdefault(key, {})[f"recovered_{label}"] = round(float(np.median(shares)), 3)
    report("recovery", {**per_seed, **medians}, TARGETS)


if __name__ == "__main__":
    main()
