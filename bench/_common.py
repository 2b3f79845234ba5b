"""Shared by the bench scripts: print figures beside the previous run's and store them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


def run_in_child(script: str, *arguments: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``script`` with ``arguments`` in a fresh interpreter and parse its last line as JSON.

    Each case gets its own process so its peak memory (``ru_maxrss``) is its own;
    ``env`` adds to this process's environment.
    """
    proc = subprocess.run(
        [sys.executable, script, *arguments], capture_output=True, text=True,
        env={**os.environ, **(env or {})},
    )
    if proc.returncode:
        print(proc.stderr[-2000:])
        raise SystemExit(proc.returncode)
    return json.loads(proc.stdout.strip().splitlines()[-1])
