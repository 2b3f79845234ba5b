"""Benchmark: the ridge engine's ROI accuracy on the truth zoo, without surfaces or plans.

``bench/zoo.py`` scores both engines end to end (surface, default plans) and
takes hours; this fits only the ridge engine, at its defaults and exactly as
``bench/zoo.py`` does (the same data, lift tests in the history but not given
to the fit, the starter spec, the spec's seed), and scores its ROI: per case
the mean absolute relative error of the summary's ROI means and of the kept
candidate's point ROI, and how many true ROIs fall in the 90% intervals.
About a minute a case on the 2-core machine.

Usage: ``.venv/bin/python bench/ridge_zoo_probe.py [--national 24] [--cases national-03 ...]
[--workdir DIR]``. Records to ``bench/results/ridge_zoo_probe.jsonl`` and exits 1
when a target of ``bench/zoo.py`` for the ridge engine is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("MIXSCOPE_NO_PROGRESS", "1")
sys.path.insert(0, str(Path(__file__).parent))
from _common import Target, report  # noqa: E402
from zoo import TARGETS, prepare_case  # noqa: E402

BENCH_TARGETS = (
    Target("roi_mean_abs_rel_error", at_most=TARGETS["ridge_roi_mean_abs_rel_error"], cases="summary",
           source="issue 16 (bench/zoo.py)"),
    Target("roi_coverage_90", at_least=TARGETS["roi_coverage_90"], cases="summary",
           source="issue 16 (bench/zoo.py)"),
)


def score_case(case, folder: Path) -> dict:
    """Fit one zoo case with the ridge engine at its defaults; its ROI errors and coverage."""
    from mixscope.data import load_dataset
    from mixscope.ridge import fit_ridge
    from mixscope.spec import load_spec

    simulated, spec_path, _ = prepare_case(case, folder)
    spec = load_spec(spec_path)
    dataset, _ = load_dataset(spec)
    started = time.perf_counter()
    result = fit_ridge(spec, dataset, seed=spec.sampler.seed)
    truth = simulated.truth["roi"]
    roi, point = result.summary["roi"], result.summary["ridge"]["point_roi"]
    errors = {c: roi[c]["mean"] / truth[c] - 1 for c in truth}
    return {
        "roi_mae": round(float(np.mean(np.abs(list(errors.values())))), 3),
        "point_roi_mae": round(float(np.mean([abs(point[c] / truth[c] - 1) for c in truth])), 3),
        "covered": int(sum(roi[c]["ci_90"][0] <= truth[c] <= roi[c]["ci_90"][1] for c in truth)),
        "channels": len(truth),
        "roi_rel_error": {c: round(e, 3) for c, e in errors.items()},
        "seconds": round(time.perf_counter() - started, 1),
        **case.describe(),
    }


def summarise(rows: dict[str, dict]) -> dict:
    errors = [row["roi_mae"] for row in rows.values()]
    return {
        "cases": len(rows),
        "roi_mean_abs_rel_error": round(float(np.mean(errors)), 3),
        "roi_median_abs_rel_error": round(float(np.median(errors)), 3),
        "point_roi_mean_abs_rel_error": round(float(np.mean([r["point_roi_mae"] for r in rows.values()])), 3),
        "roi_coverage_90": round(sum(r["covered"] for r in rows.values())
                                 / sum(r["channels"] for r in rows.values()), 3),
        "mean_seconds": round(float(np.mean([r["seconds"] for r in rows.values()])), 1),
    }


def main() -> None:
    from mixscope.simulate import national_cases

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--national", type=int, default=24)
    parser.add_argument("--cases", nargs="+", help="only these case names (e.g. national-03)")
    parser.add_argument("--workdir", type=Path, help="keep the cases' data here (default: a temp folder)")
    args = parser.parse_args()
    cases = [c for c in national_cases(args.national) if not args.cases or c.name in args.cases]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mixscope-ridge-zoo-"))
    rows = {}
    for case in cases:
        rows[case.name] = score_case(case, workdir / case.name)
        print(json.dumps({"case": case.name, **rows[case.name]}), flush=True)
    results = {f"ridge zoo: {len(rows)} national cases, summary": summarise(rows)}
    results.update({f"ridge zoo: {name}": row for name, row in rows.items()})
    report("ridge_zoo_probe", results, BENCH_TARGETS)


if __name__ == "__main__":
    main()
