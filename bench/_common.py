"""Shared by the bench scripts: print figures beside the previous run's and store them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).parent / "results"


def report(name: str, results: dict[str, dict[str, Any]]) -> None:
    """Print each case's figures with the previous run's value and save ``results/NAME.json``."""
    path = RESULTS_DIR / f"{name}.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    for case, figures in results.items():
        old = previous.get(case)
        print(f"\n{case}")
        for key, value in figures.items():
            if key == "case":
                continue
            was = "" if old is None or key not in old else f"   (previous: {old[key]})"
            print(f"  {key:28s} {value}{was}")
    RESULTS_DIR.mkdir(exist_ok=True)
    path.write_text(json.dumps({**previous, **results}, indent=2) + "\n")
