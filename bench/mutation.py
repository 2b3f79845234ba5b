"""Mutation smoke check: plant plausible bugs one at a time in a copy of the package; the tests must fail.

Each mutation in ``MUTATIONS`` is a literal source replacement (old → new) that
must match exactly once: a source that moved fails the check loudly instead of
silently planting nothing. For each one the package and the tests are copied to
a temporary folder, the bug is planted there, and pytest runs in that folder
with ``PYTHONPATH`` pointing at it (checked first: the copy, not the editable
install, is what gets imported, in the test process and in the subprocesses the
tests start). A bug is caught when a test fails; the first failing test is
named. The unmutated copy must pass the same tests first, or a "catch" would
mean nothing.

Usage: ``.venv/bin/python bench/mutation.py [--suite targeted|default] [--only NAME ...]
[--commit HEAD] [--no-baseline] [--list]``. ``targeted`` (the default) runs each mutation's own
test files, the tests meant to catch it, to keep the check short on 2 cores;
``default`` runs the whole default suite (``make test``'s selection) for every
mutation, which is the verdict that counts: the mutation's own tests first,
then (if they all pass) the whole default suite, stopping at the first failure.
``--commit HEAD`` copies a commit instead of the working tree, so other people's
uncommitted edits cannot move the baseline. Prints a table (bug, caught, by which test), appends the run to
``bench/results/mutation.jsonl`` and exits 1 when any bug survives.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import Target, report  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
COPIED = ("mixscope", "tests", "pyproject.toml")
TARGETS = (Target("caught", at_least=1, source="every planted bug must fail a test"),)
RUN_TIMEOUT_S = 3600
# pytest exits 0 when every test passes, 1 when one fails, 2 when collecting them failed (an import
# error the bug caused also turns a build red); anything else means the check itself went wrong.
CAUGHT_OR_PASSED = (0, 1, 2)


@dataclass(frozen=True)
class Mutation:
    """A plausible bug: replace ``old`` (found exactly once in ``path``) by ``new``.

    ``tests``: the test files or node ids meant to catch it (the targeted suite).
    """

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


TRANSFORM_TESTS = ("tests/transforms",)
SURFACE_TESTS = ("tests/surface/test_surface.py", "tests/test_api.py")

MUTATIONS = (
    Mutation(
        "Hill's K without the slope exponent: x^s / (x^s + K)",
        "mixscope/transforms/saturation.py",
        "jax.nn.sigmoid(slope * log_ratio)",
        "jax.nn.sigmoid(slope * jnp.log(safe_media) - jnp.log(half_saturation))",
        TRANSFORM_TESTS,
    ),
    Mutation(
        "adstock lags shifted by one period",
        "mixscope/transforms/adstock.py",
        "[(0, 0)] * (by_channel.ndim - 1) + [(max_lag - 1, 0)]",
        "[(0, 0)] * (by_channel.ndim - 1) + [(max_lag, 0)]",
        TRANSFORM_TESTS,
    ),
    Mutation(
        "geometric adstock weights not normalised",
        "mixscope/transforms/adstock.py",
        "weights = jnp.stack([decay**lag for lag in range(max_lag)], axis=-1)\n"
        "    return weights / weights.sum(axis=-1, keepdims=True)",
        "weights = jnp.stack([decay**lag for lag in range(max_lag)], axis=-1)\n    return weights",
        TRANSFORM_TESTS,
    ),
    Mutation(
        "delayed adstock with |l - peak| for (l - peak)^2",
        "mixscope/transforms/adstock.py",
        "exponent = (lags - jnp.asarray(peak)[..., None]) ** 2",
        "exponent = jnp.abs(lags - jnp.asarray(peak)[..., None])",
        TRANSFORM_TESTS,
    ),
    Mutation(
        "logistic saturation without the half: tanh(r x)",
        "mixscope/transforms/saturation.py",
        "* media / 2.0)",
        "* media)",
        TRANSFORM_TESTS,
    ),
    Mutation(
        "an 80% interval labelled 90%",
        "mixscope/metrics.py",
        "tail = (1.0 - mass) / 2",
        "tail = 1.0 - mass",
        ("tests/test_metrics.py",),
    ),
    Mutation(
        "mROI's step forgotten",
        "mixscope/metrics.py",
        "/ (step * spend)",
        "/ spend",
        ("tests/test_metrics.py", "tests/insights/test_facts.py"),
    ),
    Mutation(
        "the ROI window off by one period (spend from the second period)",
        "mixscope/model/inputs.py",
        "spend_total=dataset.spend.sum(axis=(0, 1)),",
        "spend_total=dataset.spend[:, 1:].sum(axis=(0, 1)),",
        ("tests/model/test_evaluation.py",),
    ),
    Mutation(
        "the surface's reference window one period early",
        "mixscope/surface/build.py",
        "Window(dataset.n_times - options.reference_periods, dataset.n_times)",
        "Window(dataset.n_times - options.reference_periods - 1, dataset.n_times - 1)",
        SURFACE_TESTS,
    ),
    Mutation(
        "the calibration anchor applied twice",
        "mixscope/surface/runtime.py",
        'np.asarray(baseline_kpi, dtype=float) + calibration["anchor_kpi"]',
        'np.asarray(baseline_kpi, dtype=float) + 2 * calibration["anchor_kpi"]',
        SURFACE_TESTS,
    ),
    Mutation(
        "surface interpolation index off by one",
        "mixscope/surface/scoring.py",
        "index = np.clip(index - 1, 0, grid.shape[1] - 2)",
        "index = np.clip(index, 0, grid.shape[1] - 2)",
        SURFACE_TESTS,
    ),
    Mutation(
        "optimiser budget constraint dropped",
        "mixscope/plan/optimize.py",
        'linear = [{"type": "eq", "fun": lambda u: u.sum() - high_total, "jac": lambda u: np.ones_like(u)}]',
        "linear = []",
        ("tests/plan/test_plan.py", "tests/plan/test_cli_plan.py"),
    ),
    Mutation(
        "trust region ignored",
        "mixscope/plan/constraints.py",
        "    if constraints.trust_region:\n",
        "    if False:\n",
        ("tests/plan/test_plan.py", "tests/plan/test_cli_plan.py"),
    ),
)


def copy_project(folder: Path, commit: str | None) -> None:
    """The package, the tests and the pytest configuration: from the working tree, or ``commit``."""
    if commit is not None:
        archive = subprocess.run(["git", "archive", commit, *COPIED], cwd=REPO, capture_output=True,
                                 check=True)
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
        return
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, folder / name)


def matched_source(root: Path, mutation: Mutation, commit: str | None = None) -> str:
    """The file under ``root`` (or at ``commit``); exits when the text is not in it exactly once."""
    if commit is None:
        source = (root / mutation.path).read_text(encoding="utf-8")
    else:
        source = subprocess.run(["git", "show", f"{commit}:{mutation.path}"], cwd=REPO, capture_output=True,
                                text=True, check=True).stdout
    found = source.count(mutation.old)
    if found != 1:
        raise SystemExit(
            f"mutation '{mutation.name}': {mutation.path} holds the text to replace {found} times, not once; "
            f"the source moved: update the mutation.\n  text: {mutation.old!r}"
        )
    return source


def plant(folder: Path, mutation: Mutation) -> None:
    source = matched_source(folder, mutation)
    (folder / mutation.path).write_text(source.replace(mutation.old, mutation.new), encoding="utf-8")


def environment(folder: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(folder), "MIXSCOPE_NO_PROGRESS": "1"}


def check_import_location(folder: Path) -> None:
    """The copy must shadow the editable install, or every verdict would be about the real package."""
    done = subprocess.run(
        [sys.executable, "-c", "import mixscope; print(mixscope.__file__)"], cwd=folder,
        env=environment(folder), capture_output=True, text=True, check=True,
    )
    imported = Path(done.stdout.strip()).resolve()
    if folder.resolve() not in imported.parents:
        raise SystemExit(f"the mutated copy is not what gets imported: mixscope came from {imported}")


def run_tests(folder: Path, tests: tuple[str, ...]) -> tuple[int, list[str], float]:
    """pytest in ``folder``: exit status, failing tests (first first), seconds."""
    junit = folder / "junit.xml"
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
               *tests]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=environment(folder), capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S)
    seconds = time.perf_counter() - started
    failed = []
    if junit.exists():
        for case in ElementTree.parse(junit).getroot().iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(f"{case.get('classname')}::{case.get('name')}")
    if done.returncode not in (0, 1):  # interrupted, collection or usage errors: show why
        print(done.stdout[-3000:] + done.stderr[-2000:])
    return done.returncode, failed, seconds


def check_one(
    mutation: Mutation | None, runs: tuple[tuple[str, ...], ...], commit: str | None
) -> tuple[int, list[str], float]:
    """Plant ``mutation`` (None: the baseline) in a fresh copy and run each test selection in turn,
    stopping at the first that fails: exit status, failing tests, seconds in all."""
    with tempfile.TemporaryDirectory(prefix="mixscope-mutation-") as name:
        folder = Path(name)
        copy_project(folder, commit)
        if mutation is not None:
            plant(folder, mutation)
        check_import_location(folder)
        total = 0.0
        for tests in runs:
            status, failed, seconds = run_tests(folder, tests)
            total += seconds
            if status != 0:
                break
        return status, failed, total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", choices=("targeted", "default"), default="targeted")
    parser.add_argument("--only", nargs="+", metavar="TEXT", help="mutations whose name contains any TEXT")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run (iterating only)")
    parser.add_argument("--commit", help="copy this git commit (e.g. HEAD) instead of the working tree: "
                                         "others' uncommitted changes then cannot move the baseline")
    parser.add_argument("--list", action="store_true", help="list the mutations and their tests, then stop")
    parser.add_argument("--deselect", nargs="+", default=[], metavar="NODE",
                        help="leave out tests already failing without any mutation (say so in the record)")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or any(text in m.name for text in args.only)]
    if args.list or not chosen:
        for mutation in chosen or MUTATIONS:
            print(f"{mutation.name}\n  {mutation.path}: {mutation.old!r} -> {mutation.new!r}\n"
                  f"  targeted tests: {' '.join(mutation.tests)}")
        raise SystemExit(0 if chosen else "no mutation matches --only")
    for mutation in chosen:  # every source must still hold its text before any minutes are spent
        matched_source(REPO, mutation, args.commit)

    deselected = tuple(f"--deselect={node}" for node in args.deselect)

    def runs_of(mutation: Mutation) -> tuple[tuple[str, ...], ...]:
        """Its own tests; then, for the default suite, everything (pytest would not keep our order)."""
        own = mutation.tests + deselected
        return (own,) if args.suite == "targeted" else (own, deselected)

    if not args.no_baseline:
        if args.suite == "targeted":
            union = tuple(dict.fromkeys(test for m in chosen for test in m.tests)) + deselected
            baseline: tuple[tuple[str, ...], ...] = (union,)
        else:
            baseline = (deselected,)
        status, failed, seconds = check_one(None, baseline, args.commit)
        print(f"baseline (no mutation): exit {status} in {seconds:.0f} s", flush=True)
        if status != 0:
            raise SystemExit(f"the unmutated copy fails its tests ({', '.join(failed) or 'see above'}): "
                             "a mutation's failure would prove nothing. Fix the suite first.")
    results = {}
    for mutation in chosen:
        status, failed, seconds = check_one(mutation, runs_of(mutation), args.commit)
        if status not in CAUGHT_OR_PASSED:  # usage errors, no tests collected: the check itself is broken
            raise SystemExit(f"mutation '{mutation.name}': pytest exited {status}; see its output above.")
        caught = status != 0
        by = failed[0] if failed else (f"(pytest exit {status}: collection failed)" if caught else "-")
        tests = list(mutation.tests) if args.suite == "targeted" else ["default suite"]
        results[mutation.name] = {"caught": int(caught), "caught_by": by, "pytest_exit": status,
                                  "tests": tests, "deselected": list(args.deselect),
                                  "seconds": round(seconds)}
        print(f"{'caught  ' if caught else 'SURVIVED'} {mutation.name}: {by} ({seconds:.0f} s)", flush=True)
    width = max(len(name) for name in results)
    print(f"\n{'bug':{width}}  caught  by")
    for name, row in results.items():
        print(f"{name:{width}}  {'yes' if row['caught'] else 'NO':6}  {row['caught_by']}")
    report("mutation", results, TARGETS)


if __name__ == "__main__":
    main()
