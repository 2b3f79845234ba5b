"""Benchmark: the ridge engine's evolutionary search — time, peak memory, ROI error vs truth.

Usage: ``.venv/bin/python bench/ridge.py [--iterations 2000] [--trials 5]``.
Fits the simulated 156-week × 5-channel national case (the same data as
``bench/fit.py``) with a full search and with the no-search baseline, prints
the figures beside the Bayesian model's ROI errors from the latest national
run in ``bench/results/fit.jsonl`` and beside the previous ridge run, appends
this run to ``bench/results/ridge.jsonl`` and exits 1 when a target in
``TARGETS`` is missed. ``front_sha256`` must not change between runs of the
same code (the same seed gives the same Pareto front): a run at the commit of
the previous one, both without uncommitted changes, fails if it differs.
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
from _common import Target, git_state, history, previous_figures, report, run_in_child  # noqa: E402

BAYES_CASE = "1 geo x 156 wk x 5 ch, 4x(500+500)"

# The searched candidate's ROI errors are about twice the Bayesian model's (README; 0.24 there):
# 0.47 measured at 5 x 2000 on seed 3. The engine is being improved (issue 7's DECOMP.RSSD pull
# towards equal ROIs); lower these bounds as it gets better, never raise them to pass.
RIDGE_SEARCH_MAX_ROI_ERROR = 0.5
RIDGE_BASELINE_MAX_ROI_ERROR = 0.45  # the no-search baseline: 0.37 measured
TARGETS = (
    Target("roi_mean_abs_rel_error", at_most=RIDGE_SEARCH_MAX_ROI_ERROR, cases="x2000",
           source="README: about twice the Bayesian error; 0.47 measured"),
    Target("roi_mean_abs_rel_error", at_most=RIDGE_BASELINE_MAX_ROI_ERROR, cases="baseline",
           source="0.37 measured"),
    Target("r2", at_least=0.75, source="0.80 measured on both"),
    Target("wall_s", at_most=60, cases="x2000", source="README: a 5 x 2000 search takes about 25 s"),
)


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
        "roi_covered_90": int(covered),
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
    bayes = previous_figures("fit", BAYES_CASE)
    results = {}
    for case in ([args.iterations, args.trials], [0, 1]):
        figures = run_in_child(__file__, "--case", json.dumps(case))
        results[figures["case"]] = figures
    if bayes is not None:
        print_beside_bayes(results, bayes)
    report("ridge", results, TARGETS, failures=front_changed(results))


def front_changed(results: dict[str, dict]) -> list[str]:
    """The same code and seed must give the same Pareto front as the previous run at that commit."""
    earlier = history("ridge")
    commit, dirty = git_state()
    if not earlier or dirty or (earlier[-1].get("commit"), earlier[-1].get("dirty")) != (commit, False):
        return []
    out = []
    for case, figures in results.items():
        before = earlier[-1]["results"].get(case, {}).get("front_sha256")
        if before is not None and figures.get("front_sha256") != before:
            out.append(f"{case}: front_sha256 {figures.get('front_sha256')} != {before} at the same commit")
    return out


def print_beside_bayes(results: dict[str, dict], bayes: dict) -> None:
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
