"""Regenerate the simulated example datasets bundled in ``mixscope/examples``.

Run: ``.venv/bin/python scripts/make_example_data.py``. The true ROIs and
transform parameters are written beside the data as ``*_truth.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from mixscope.simulate import simulate

EXAMPLES = Path(__file__).resolve().parents[1] / "mixscope" / "examples"


def main() -> None:
    for name, n_geos in (("simulated_national", 1), ("simulated_geo", 20)):
        sim = simulate(n_geos=n_geos, n_weeks=156, seed=7)
        sim.frame.to_csv(EXAMPLES / f"{name}.csv", index=False)
        (EXAMPLES / f"{name}_truth.json").write_text(json.dumps(sim.truth, indent=2) + "\n")
        print(f"wrote {name}.csv ({len(sim.frame)} rows) and its truth")


if __name__ == "__main__":
    main()
