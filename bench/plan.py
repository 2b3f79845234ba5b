"""Benchmark: one constrained optimisation, a 30-level frontier, and recovery of the true optimum.

Usage: ``.venv/bin/python bench/plan.py --run RUN_DIR`` where RUN_DIR holds a
surface built from ``mixscope.simulate`` data (default seed 3, as
``bench/surface.py`` fits). Without ``--run`` the bench posterior is fitted
first. Recovery = true uplift of the recommended plan over the current one /
the true uplift of the true optimum under the same constraints, measured with
the simulation's true response (with and without the default trust region).
The run must have been fitted on that simulation's data: its manifest's data
hash is compared with the hash of ``simulate(seed=--seed)``'s data read through
the run's spec, and the bench refuses a run fitted on anything else (scoring a
plan against another truth measures nothing). Appends this run to
``bench/results/plan.jsonl`` and exits 1 when a target in ``TARGETS`` is missed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import Target, report  # noqa: E402

TARGETS = (
    # README (Performance): "one constrained optimisation 0.05-0.19 s ... a 30-level frontier
    # 1.6-2.6 s (targets 0.5 s and 5 s)".
    Target("optimize_s", at_most=0.5, source="README target"),
    Target("frontier_30_levels_s", at_most=5.0, source="README target"),
    # Seed 3 of DEFAULT_TRUTH: 0.60 with the trust region (README), and small changes to the fit move
    # the share by up to 0.1 (bench/recovery.py). Without the trust region it is 0.14, a known
    # weakness recorded in the README, so that share is reported, not held to a target.
    Target("recovered_uplift_trust_region", at_least=0.5, source="README 0.60, minus 0.1 fit-to-fit"),
)


def timed(function, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return float(np.median(timings))


def check_fitted_on(run_dir: Path, frame, seed: int) -> None:  # noqa: ANN001 - a pandas DataFrame
    """Refuse ``run_dir`` unless it was fitted on ``frame`` (the simulation the bench scores against)."""
    import json
    import tomllib

    from mixscope.data.build import build_dataset
    from mixscope.spec import parse_spec

    manifest = json.loads((run_dir / "manifest.json").read_text())
    spec = parse_spec(tomllib.loads((run_dir / "spec.toml").read_text()), source=run_dir / "spec.toml")
    expected = build_dataset(frame, spec).content_hash()
    if manifest.get("data_hash") != expected:
        raise SystemExit(
            f"{run_dir} was not fitted on simulate(1, 156, seed={seed})'s data (data hash "
            f"{str(manifest.get('data_hash'))[:12]} against {expected[:12]}): its plans cannot be scored "
            "against that truth. Pass the --seed it was simulated with, or fit it on that data."
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", type=Path, help="run directory with a surface (simulated data, seed 3)")
    parser.add_argument("--seed", type=int, default=3, help="simulation seed the run was fitted on")
    args = parser.parse_args()
    run_dir = args.run
    if run_dir is None:
        from surface import fit_bench_run

        from mixscope.surface.build import build_surface

        run_dir = fit_bench_run(Path(tempfile.mkdtemp()))
        build_surface(run_dir)

    from mixscope.plan import Constraints, frontier, optimize
    from mixscope.simulate import recovered_uplift, simulate, true_surface
    from mixscope.surface import Surface

    simulated = simulate(1, 156, args.seed)
    check_fitted_on(run_dir, simulated.frame, args.seed)
    surface = Surface.load(run_dir)
    constrained = Constraints(budget=1.1 * surface.historical_plan().sum(), max_change=0.3, locked=("radio",))
    figures = {
        "draws": surface.n_draws,
        "optimize_s": round(timed(lambda: optimize(surface, constrained, near_optimal_tolerance=None), 5), 3),
        "optimize_with_near_optimal_s": round(timed(lambda: optimize(surface, constrained), 3), 3),
        "frontier_30_levels_s": round(timed(lambda: frontier(surface, Constraints(trust_region=False),
                                                             np.linspace(0.5, 2.0, 30)), 1), 2),
    }
    truth_surface = true_surface(simulated, surface)
    for label, trust in (("trust_region", True), ("no_trust_region", False)):
        share, achievable = recovered_uplift(surface, truth_surface, Constraints(trust_region=trust))
        figures[f"recovered_uplift_{label}"] = round(share, 3)
        figures[f"true_achievable_uplift_{label}"] = round(achievable)
    report("plan", {f"{run_dir.name}: {surface.n_draws} draws, 5 channels": figures}, TARGETS)


if __name__ == "__main__":
    main()
