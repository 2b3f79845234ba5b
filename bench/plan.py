"""Benchmark: one constrained optimisation, a 30-level frontier, and recovery of the true optimum.

Usage: ``.venv/bin/python bench/plan.py --run RUN_DIR`` where RUN_DIR holds a
surface built from ``mixscope.simulate`` data (default seed 3, as
``bench/surface.py`` fits). Without ``--run`` the bench posterior is fitted
first. Recovery = true uplift of the recommended plan over the current one /
the true uplift of the true optimum under the same constraints, measured with
the simulation's true response (with and without the default trust region).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import report  # noqa: E402


def timed(function, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return float(np.median(timings))


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

    surface = Surface.load(run_dir)
    constrained = Constraints(budget=1.1 * surface.historical_plan().sum(), max_change=0.3, locked=("radio",))
    figures = {
        "draws": surface.n_draws,
        "optimize_s": round(timed(lambda: optimize(surface, constrained, near_optimal_tolerance=None), 5), 3),
        "optimize_with_near_optimal_s": round(timed(lambda: optimize(surface, constrained), 3), 3),
        "frontier_30_levels_s": round(timed(lambda: frontier(surface, Constraints(trust_region=False),
                                                             np.linspace(0.5, 2.0, 30)), 1), 2),
    }
    truth_surface = true_surface(simulate(1, 156, args.seed), surface)
    for label, trust in (("trust_region", True), ("no_trust_region", False)):
        share, achievable = recovered_uplift(surface, truth_surface, Constraints(trust_region=trust))
        figures[f"recovered_uplift_{label}"] = round(share, 3)
        figures[f"true_achievable_uplift_{label}"] = round(achievable)
    report("plan", {f"{run_dir.name}: {surface.n_draws} draws, 5 channels": figures})


if __name__ == "__main__":
    main()
