"""Benchmark: the ridge engine's evolutionary search — time, peak memory, ROI error vs truth.

Usage: ``.venv/bin/python bench/ridge.py [--iterations 2000] [--trials 5]``.
Fits the simulated 156-week × 5-channel national case (the same data as
``bench/fit.py``) with a full search and with the no-search baseline, prints
the figures beside the Bayesian model's ROI errors from ``bench/results/fit.json``,
and compares with the previous run stored in ``bench/results/ridge.json``
(rewritten after each run). ``front_sha256`` must not change between runs of
the same code: the same seed gives the same Pareto front.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import report, run_in_child  # noqa: E402

BAYES_RESULTS = Path(__file__).parent / "results" / "fit.json"
BAYES_CASE = "1 geo x 156 wk x 5 ch, 4x(500+500)"


def run_case(iterations: int, trials: int) -> dict:
    """Fit the simulated national case in this process and return its figures."""
    import numpy as np

    from mixscope.data import load_dataset
    from mixscope.ridge import fit_ridge
    from mixscope.ridge.search import pareto_ranks
    from mixscope.simulate import write_simulated_project

    _, spec, truth = write_simulated_project(Path(tempfile.mkdtemp()), 1, 156, 3)
    dataset, _ = load_dataset(spec)
    started = time.perf_counter()
    result = fit_ridge(spec, dataset, iterations=iterations, trials=trials, seed=0)
    wall = time.perf_counter() - started
    ridge = result.summary["ridge"]
    roi = result.summary["roi"]
    errors = {c: ridge["point_roi"][c] / truth["roi"][c] - 1 for c in truth["roi"]}
    covered = sum(roi[c]["ci_90"][0] <= truth["roi"][c] <= roi[c]["ci_90"][1] for c in truth["roi"])
    figures = {
        "case": f"1 geo x 156 wk x 5 ch, {trials}x{iterations} {ridge['method']}"
        if iterations else f"1 geo x 156 wk x 5 ch, baseline {ridge['method']}",
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "r2": round(result.diagnostics.r2, 3),
        "roi_mean_abs_rel_error": round(float(np.mean(np.abs(list(errors.values())))), 3),
        "roi_covered_90": f"{covered}/5",
        "roi_rel_error": {c: round(e, 3) for c, e in errors.items()},
    }
    if iterations:
        search = ridge["search"]
        front = [[p[k] for k in search["objectives"]] for p in search["pareto_front"]]
        figures.update(
            search_s=round(search["seconds"], 1),
            evaluations_per_s=round(search["evaluations"] / search["seconds"]),
            pareto_front_size=len(front),
            candidates=len(ridge["candidates"]),
            front_sha256=hashlib.sha256(json.dumps(front).encode()).hexdigest()[:16],
        )
        assert pareto_ranks(np.array(front), max_front=1).min() == 1
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:  # child process: one case, so peak memory is per case
        print(json.dumps(run_case(*json.loads(args.case))))
        return
    bayes = json.loads(BAYES_RESULTS.read_text()).get(BAYES_CASE) if BAYES_RESULTS.exists() else None
    results = {}
    for case in ([args.iterations, args.trials], [0, 1]):
        figures = run_in_child(__file__, "--case", json.dumps(case))
        results[figures["case"]] = figures
    report("ridge", results)
    if bayes is not None:
        print(f"\nROI relative error on the same data (ridge: point estimate; Bayesian: {BAYES_CASE})")
        labels = ["ridge " + name.split(", ", 1)[1] for name in results]
        print(f"  {'channel':10s} {'bayes':>8s}" + "".join(f" {label:>22s}" for label in labels))
        for channel, error in bayes["roi_rel_error"].items():
            row = "".join(f" {r['roi_rel_error'][channel]:>22.3f}" for r in results.values())
            print(f"  {channel:10s} {error:>8.3f}{row}")
        mean_row = "".join(f" {r['roi_mean_abs_rel_error']:>22.3f}" for r in results.values())
        print(f"  {'mean |err|':10s} {bayes['roi_mean_abs_rel_error']:>8.3f}{mean_row}")


if __name__ == "__main__":
    main()
