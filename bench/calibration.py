"""Benchmark: calibration with lift tests against a confounded channel.

Simulates 156 weeks where search spend follows a latent demand driver that
also lifts revenue (not in the data), so an uncalibrated model over-credits
search. Four 8-week tests halving search spend are run in the history and
measured with 10% standard error. Fits the model without experiments, with them as a
likelihood, and (``--modes``) with them as ROI priors, and prints search's
ROI error side by side.

Usage: ``.venv/bin/python bench/calibration.py [--seeds 3 5 7] [--modes uncalibrated likelihood prior]``.
Appends the run to ``bench/results/calibration.jsonl`` and exits 1 when a target
in ``TARGETS`` is missed, or when the likelihood fit of a seed does not at least
halve the uncalibrated error of that seed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MIXSCOPE_NO_PROGRESS", "1")
sys.path.insert(0, str(Path(__file__).parent))
from _common import Target, report  # noqa: E402

from mixscope.xla import configure_xla  # noqa: E402

configure_xla()  # parallel chains, as the CLI runs them: before anything starts JAX

CHANNEL = "search"
# The default sampler: at 4 x (300 + 300) max R-hat was 1.008-1.016 over these nine fits,
# over the 1.01 alarm in four of them; a bench posterior must pass the alarms a user sees.
SAMPLER = {"chains": 4, "warmup": 500, "draws": 500, "seed": 1}

TARGETS = (
    Target("max_rhat", at_most=1.01, source="diagnostics alarm"),
    # The scenario must show something: the confounder biases the uncalibrated fit (+77% to +174%
    # measured on seeds 3, 5, 7; tests/calibration/test_confounded.py asks for more than 30%).
    Target("abs_rel_error", at_least=0.3, cases="uncalibrated"),
    # Lift tests as a likelihood fix it: truth inside the 90% interval, error 21-26% measured.
    Target("covered", at_least=1, cases="likelihood"),
    Target("abs_rel_error", at_most=0.35, cases="likelihood", source="0.21-0.26 measured"),
    # The prior mode (Meridian's) is reported, not held to a target: it over-corrects here
    # (-37% to -57%) because a prior is not outvoted by the data (README, "Which to use").
)
HALVED = 0.5  # the likelihood fit's error at most this share of the uncalibrated one, seed by seed


def scenario(folder: Path, seed: int, sampler: dict):
    """The confounded project with its lift tests: ``(spec, truth)``."""
    from mixscope.simulate import SimulatedTest, write_simulated_project

    # Half cuts, not holdouts: the data keeps spend following demand (a holdout would
    # itself break the confounding), and four windows probe different demand levels.
    tests = tuple(
        SimulatedTest(CHANNEL, start, 8, spend_multiplier=0.5, relative_se=0.10)
        for start in (10, 50, 90, 130)
    )
    _, spec, truth = write_simulated_project(
        folder, 1, 156, seed, sampler, confounder=CHANNEL, confounder_strength=1.5,
        experiments=tests, noise=0.06,
    )
    return spec, truth


def run_seed(seed: int, modes: list[str], sampler: dict) -> dict[str, dict]:
    from mixscope.calibration import load_experiments
    from mixscope.data import load_dataset
    from mixscope.pipeline import fit

    folder = Path(tempfile.mkdtemp(prefix="mixscope-calibration-"))
    spec, truth = scenario(folder, seed, sampler)
    dataset, _ = load_dataset(spec)
    experiments = load_experiments(folder / "lifts.csv", dataset)
    true_roi = truth["roi"][CHANNEL]
    rows = {}
    for mode in modes:
        calibrated = mode != "uncalibrated"
        run_spec = spec.with_calibration(folder / "lifts.csv", mode) if calibrated else spec
        started = time.perf_counter()
        result = fit(run_spec, dataset, progress=False, experiments=experiments if calibrated else ())
        roi = result.summary["roi"][CHANNEL]
        low, high = roi["ci_90"]
        rows[f"seed {seed}, {mode}"] = {
            "seed": seed,
            "mode": mode,
            "true_roi": true_roi,
            "roi_mean": round(roi["mean"], 3),
            "ci_90": [round(low, 3), round(high, 3)],
            "rel_error": round(roi["mean"] / true_roi - 1, 3),
            "abs_rel_error": round(abs(roi["mean"] / true_roi - 1), 3),
            "covered": int(low <= true_roi <= high),
            "max_rhat": round(result.diagnostics.max_rhat, 4),
            "divergences": result.diagnostics.divergences,
            "wall_s": round(time.perf_counter() - started, 1),
        }
    return rows


def not_halved(rows: dict[str, dict]) -> list[str]:
    """Seeds whose likelihood fit does not at least halve the uncalibrated fit's error."""
    out = []
    for key, row in rows.items():
        before = rows.get(key.replace("likelihood", "uncalibrated"))
        if row["mode"] == "likelihood" and before is not None and (
            row["abs_rel_error"] > HALVED * before["abs_rel_error"]
        ):
            out.append(f"{key}: error {row['abs_rel_error']:.3f} is more than {HALVED:g} x the "
                       f"uncalibrated {before['abs_rel_error']:.3f}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[3, 5, 7])
    parser.add_argument(
        "--modes", nargs="+", default=["uncalibrated", "likelihood", "prior"],
        choices=["uncalibrated", "likelihood", "prior"],
    )
    parser.add_argument("--warmup", type=int, default=SAMPLER["warmup"], help="smoke runs: fewer")
    parser.add_argument("--draws", type=int, default=SAMPLER["draws"], help="smoke runs: fewer")
    args = parser.parse_args()
    sampler = SAMPLER | {"warmup": args.warmup, "draws": args.draws}
    rows = {key: row for seed in args.seeds for key, row in run_seed(seed, args.modes, sampler).items()}
    print(f"\n{CHANNEL} ROI, confounded by demand; 4 x 8-week half cuts, 10% se; "
          f"{sampler['chains']}x({sampler['warmup']}+{sampler['draws']}) NUTS")
    print(f"{'seed':>4}  {'mode':<13} {'true':>5} {'mean':>6} {'90% interval':>15} {'error':>7} "
          f"{'covered':>7} {'R-hat':>6} {'wall s':>6}")
    for row in rows.values():
        low, high = row["ci_90"]
        print(f"{row['seed']:>4}  {row['mode']:<13} {row['true_roi']:>5.2f} {row['roi_mean']:>6.2f} "
              f"{f'[{low:.2f}, {high:.2f}]':>15} {row['rel_error']:>+7.0%} {str(bool(row['covered'])):>7} "
              f"{row['max_rhat']:>6.3f} {row['wall_s']:>6.0f}")
    report("calibration", rows, TARGETS, failures=not_halved(rows))


if __name__ == "__main__":
    main()
