"""Benchmark: organic media's contribution recovered over seeds (issue 19).

For each seed, the simulated national history (104 weeks, 5 paid channels) gets a
``newsletter`` organic channel driving a known 6% of revenue
(:func:`mixscope.simulate.organic.add_organic`: the simulator's reference maths, not the
model's), modelled as ``[organic.newsletter]``. Per seed: whether the truth is inside the
90% interval of the organic contribution share and of each paid channel's ROI, the
interval, and the fit time. The rates over seeds are the figures the targets judge.

Usage: ``.venv/bin/python bench/organic.py [--seeds 1 2 3 4 5]``. Appends the run to
``bench/results/organic.jsonl`` and exits 1 when a rate misses its target in ``TARGETS``.
"""

from __future__ import annotations

import argparse
import json
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

SAMPLER = {"chains": 2, "warmup": 300, "draws": 300, "seed": 3}
WEEKS = 104
# Issue 19: the truth inside the 90% interval for at least 90% of quantities over 5 seeds. For one
# quantity over 5 seeds that is all 5 (4 of 5 is 0.8); the organic share is held to 4 of 5, the
# one-in-ten miss a 90% interval is meant to have, and everything together to the 0.9.
TARGETS = (
    Target("organic_share_covered", at_least=0.8, cases="rate", source="issue 19, 90% intervals"),
    Target("all_covered", at_least=0.9, cases="rate", source="issue 19: >= 90% of quantities"),
)


def run_seed(seed: int, sampler: dict) -> dict:
    import pandas as pd

    from mixscope.data import load_dataset
    from mixscope.pipeline import fit
    from mixscope.simulate import write_simulated_project
    from mixscope.simulate.organic import add_organic
    from mixscope.spec import parse_spec

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _, spec, truth = write_simulated_project(folder, 1, WEEKS, seed)
        frame, share = add_organic(pd.read_csv(folder / "data.csv"), seed)
        frame.to_csv(folder / "data.csv", index=False)
        raw = spec.to_dict() | {"sampler": sampler, "organic": {"newsletter": {"column": "newsletter"}}}
        raw["data"]["path"] = "data.csv"
        spec = parse_spec(raw, base_dir=folder)
        dataset, _ = load_dataset(spec)
        started = time.perf_counter()
        summary = fit(spec, dataset, progress=False).summary
        seconds = time.perf_counter() - started
    low, high = summary["organic_contribution_share"]["newsletter"]["ci_90"]
    # The paid channels' true ROI is the simulator's, before the organic revenue was added (unchanged).
    roi_covered = {name: summary["roi"][name]["ci_90"][0] <= value <= summary["roi"][name]["ci_90"][1]
                   for name, value in truth["roi"].items()}
    return {
        "organic_share_true": round(share, 4),
        "organic_share_ci90": [round(low, 4), round(high, 4)],
        "organic_share_mean": round(summary["organic_contribution_share"]["newsletter"]["mean"], 4),
        "organic_share_covered": low <= share <= high,
        "roi_covered": sum(roi_covered.values()),
        "roi_channels": len(roi_covered),
        "fit_seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    args = parser.parse_args()
    per_seed = {}
    for seed in args.seeds:
        per_seed[f"seed {seed}"] = run_seed(seed, SAMPLER)
        print(json.dumps(per_seed[f"seed {seed}"]), flush=True)
    rows = list(per_seed.values())
    organic = sum(row["organic_share_covered"] for row in rows)
    paid = sum(row["roi_covered"] for row in rows)
    quantities = sum(1 + row["roi_channels"] for row in rows)
    rate = {
        "organic_share_covered": round(organic / len(rows), 3),
        "roi_covered": round(paid / sum(row["roi_channels"] for row in rows), 3),
        "all_covered": round((organic + paid) / quantities, 3),
        "fit_seconds_median": sorted(row["fit_seconds"] for row in rows)[len(rows) // 2],
    }
    report("organic", {**per_seed, f"rate over seeds {args.seeds}": rate}, TARGETS)


if __name__ == "__main__":
    main()
