"""Shared by the bench scripts: targets, the verdict, and the history of every run.

Each bench states its targets in one place, a ``TARGETS`` tuple of :class:`Target`
at the top of the script, and ends with :func:`report`, which

- prints every case's figures beside the same case's figures in the most recent
  earlier run that had it;
- checks the targets and prints the verdict;
- appends one record (UTC timestamp, git commit, whether the tree had
  uncommitted changes, command line, figures, failures) to
  ``bench/results/NAME.jsonl``, so no run overwrites another;
- exits with status 1 when a target is missed.

An exception anywhere in a bench ends it with a non-zero status before
:func:`report`, and a bench that measures errors (``bench/serve.py``) states a
target on them, so "it ran" never passes for "it worked".
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# MIXSCOPE_BENCH_RESULTS=DIR records elsewhere: smoke runs at reduced settings stay out of the history.
RESULTS_DIR = Path(os.environ.get("MIXSCOPE_BENCH_RESULTS") or Path(__file__).parent / "results")

Figures = Mapping[str, Any]


@dataclass(frozen=True)
class Target:
    """A bound on one figure, checked in every case whose name contains ``cases``.

    A target for every case (``cases=""``) that finds no case holding its figure
    is a failure: a renamed figure must not turn a target into one that cannot
    fail. A target limited to some cases is skipped, and says so, when the run
    did not include them (``bench/fit.py --skip-geo``).
    """

    figure: str
    at_most: float | None = None
    at_least: float | None = None
    cases: str = ""
    source: str = ""  # where the bound comes from: a README claim, an alarm, a measurement

    def describe(self) -> str:
        bounds = [f">= {self.at_least:g}" if self.at_least is not None else "",
                  f"<= {self.at_most:g}" if self.at_most is not None else ""]
        where = f" in cases with '{self.cases}'" if self.cases else ""
        return f"{self.figure} {' and '.join(b for b in bounds if b)}{where}"

    def misses(self, results: Mapping[str, Figures]) -> list[str] | None:
        """Failure messages for the cases it applies to; ``None`` when it applies to none."""
        checked = {case: figures[self.figure] for case, figures in results.items()
                   if self.cases in case and self.figure in figures}
        if not checked:
            return [f"{self.describe()}: no case has this figure"] if not self.cases else None
        out = []
        for case, value in checked.items():
            if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
                out.append(f"{case}: {self.figure} = {value!r} is not a number ({self.describe()})")
            elif (self.at_most is not None and value > self.at_most) or (
                self.at_least is not None and value < self.at_least
            ):
                out.append(f"{case}: {self.figure} = {value:g}, target {self.describe()}")
        return out


def verdict(results: Mapping[str, Figures], targets: Sequence[Target]) -> tuple[list[str], list[str]]:
    """``(failures, skipped)``: missed targets, and targets that applied to no case of this run."""
    failures, skipped = [], []
    for target in targets:
        misses = target.misses(results)
        if misses is None:
            skipped.append(target.describe())
        else:
            failures.extend(misses)
    return failures, skipped


def history(name: str) -> list[dict[str, Any]]:
    """Every recorded run of bench ``name``, oldest first."""
    path = RESULTS_DIR / f"{name}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def previous_figures(name: str, case: str) -> Figures | None:
    """``case``'s figures in the most recent recorded run that has it."""
    for record in reversed(history(name)):
        if case in record["results"]:
            return record["results"][case]
    return None


def git_state() -> tuple[str, bool]:
    """``(commit, dirty)``: HEAD, and whether tracked files have uncommitted changes."""

    def git(*arguments: str) -> str:
        done = subprocess.run(["git", *arguments], capture_output=True, text=True, cwd=Path(__file__).parent)
        return done.stdout.strip() if done.returncode == 0 else ""

    return git("rev-parse", "HEAD"), bool(git("status", "--porcelain", "--untracked-files=no"))


def report(
    name: str, results: Mapping[str, Figures], targets: Sequence[Target] = (),
    failures: Sequence[str] = (),
) -> None:
    """Print, judge and record one run of bench ``name``; exit 1 when a target is missed.

    ``failures`` adds misses a bench judged itself (a check across cases that
    no single figure carries); they count and are recorded like missed targets.
    """
    for case, figures in results.items():
        old = previous_figures(name, case)
        print(f"\n{case}")
        for key, value in figures.items():
            if key == "case":
                continue
            was = "" if old is None or key not in old else f"   (previous: {old[key]})"
            print(f"  {key:28s} {value}{was}")
    missed, skipped = verdict(results, targets)
    missed = [*failures, *missed]
    commit, dirty = git_state()
    record = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "dirty": dirty,
        "command": [Path(sys.argv[0]).name, *sys.argv[1:]],
        "cpus": os.cpu_count(),
        "results": results,
        "targets": [target.describe() for target in targets],
        "failures": missed,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with (RESULTS_DIR / f"{name}.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, default=str) + "\n")
    print(f"\n{name}: {len(targets) - len(skipped)} targets checked, recorded in {RESULTS_DIR / name}.jsonl")
    for line in skipped:
        print(f"  not checked (no such case in this run): {line}")
    if missed:
        print("MISSED TARGETS:\n  " + "\n  ".join(missed))
        raise SystemExit(1)
    print("all targets met")


def run_in_child(script: str, *arguments: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``script`` with ``arguments`` in a fresh interpreter and parse its last line as JSON.

    Each case gets its own process so its peak memory (``ru_maxrss``) is its own;
    ``env`` adds to this process's environment. A failing child ends the bench
    with its exit status (and the end of its stderr).
    """
    proc = subprocess.run(
        [sys.executable, script, *arguments], capture_output=True, text=True,
        env={**os.environ, **(env or {})},
    )
    if proc.returncode:
        print(proc.stderr[-2000:])
        raise SystemExit(proc.returncode)
    return json.loads(proc.stdout.strip().splitlines()[-1])
