"""The planner's named scenarios: plans a user saves in the run folder and compares side by side.

Saved in ``RUN/scenarios.json`` (what ``mixscope export`` reads)::

    {"format": "mixscope-scenarios", "version": 1,
     "scenarios": [{"name": "brand push", "spend": {"tv": 120000.0, ...}, "total_spend": 310000.0,
                    "saved_at": "2026-12-02T09:00:00+00:00",
                    "organic": {"newsletter": 1.5}, "treatments": {"price": 4.99}}]}

Each scenario keeps every channel's spend, so it means the same plan whatever
the page showed, and the what-if inputs it was saved with (organic volume multiples,
treatment levels: :mod:`mixscope.surface.scenario_inputs`), only where it set any; a
file from before they were kept (spend only) reads as scenarios without inputs.

The file is rewritten whole through a temporary file renamed over it
(:func:`mixscope.storage.write_text_atomically`): a failed write leaves
the previous file as it was. Every change re-reads the file under a lock (a
thread lock, and ``flock`` on the run folder where the system has it), so
server workers in other processes lose no one's scenarios.

Names are the user's text: :func:`check_name` refuses empty, over-long and
control-character names; the page shows them as text only.

A comparison evaluates each plan with its own inputs exactly as ``/api/evaluate`` does (the same
:class:`~mixscope.serve.whatif.WhatIf`, so the same draws) and P(A beats B) pairs
the two plans' outcomes draw by draw, as P(beats the current plan) does.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import threading
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mixscope.errors import MixscopeError
from mixscope.serve.whatif import WhatIf, prob_beats_by_draw
from mixscope.storage import write_text_atomically

try:  # POSIX: one writer at a time across processes (uvicorn --workers)
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock alone
    fcntl = None  # type: ignore[assignment]

SCENARIOS_FILE = "scenarios.json"  # in the run folder; mixscope.report.export reads it
FORMAT, VERSION = "mixscope-scenarios", 1
MAX_NAME_LENGTH = 80
MAX_SCENARIOS = 100  # a page's list, not a database: the file stays small whatever a client sends
MIN_COMPARED, MAX_COMPARED = 2, 4
# Unicode's bidirectional controls reorder the text around them: a name could show as another name.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_CONTROL_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# What a comparison shows of each scenario's /api/evaluate answer.
_COMPARED = ("spend", "total_spend", "outcome", "difference", "prob_beats_baseline_plan")
_INPUTS = ("organic", "treatments")  # a scenario's what-if inputs, each {name: number}


class ScenarioNotFoundError(MixscopeError):
    """A request names a scenario the run folder does not hold."""


class ScenarioStoreError(MixscopeError):
    """The scenarios file cannot be read or written: the server's problem, not the request's."""


def check_name(name: str) -> str:
    """``name`` with surrounding blanks removed, in Unicode's composed form (what looks the same is the
    same name); refused when empty, longer than :data:`MAX_NAME_LENGTH` or holding control characters."""
    text = unicodedata.normalize("NFC", name).strip()
    if not text:
        raise ValueError("a scenario needs a name")
    if len(text) > MAX_NAME_LENGTH:
        raise ValueError(f"a scenario name has at most {MAX_NAME_LENGTH} characters, got {len(text)}")
    bad = next((char for char in text if unicodedata.category(char) in _CONTROL_CATEGORIES
                or char in _BIDI_CONTROLS), None)
    if bad is not None:
        raise ValueError(f"a scenario name cannot hold control characters (U+{ord(bad):04X})")
    return text


def check_compared(names: Sequence[str]) -> list[str]:
    """Two to four distinct names, in the order given."""
    if not MIN_COMPARED <= len(names) <= MAX_COMPARED:
        raise ValueError(f"compare {MIN_COMPARED} to {MAX_COMPARED} saved scenarios at once, "
                         f"got {len(names)}")
    if len(set(names)) != len(names):
        raise ValueError("name each scenario once")
    return list(names)


@dataclass(frozen=True)
class Scenario:
    """One saved plan: its name, every channel's spend (reference window), when it was saved, and the
    what-if inputs it holds (``organic``: volume multiples; ``treatments``: levels; empty: as they were)."""

    name: str
    spend: dict[str, float]
    saved_at: str
    organic: dict[str, float] = field(default_factory=dict)
    treatments: dict[str, float] = field(default_factory=dict)

    @property
    def total_spend(self) -> float:
        return math.fsum(self.spend.values())

    def to_dict(self) -> dict[str, Any]:
        """Inputs only where set: a scenario without them is written as before they were kept."""
        inputs = {key: dict(getattr(self, key)) for key in _INPUTS if getattr(self, key)}
        return {"name": self.name, "spend": dict(self.spend), "total_spend": self.total_spend,
                "saved_at": self.saved_at, **inputs}


@dataclass(frozen=True)
class Saved:
    """What a save did: the scenario as stored, and whether it replaced one of the same name."""

    scenario: Scenario
    replaced: bool

    def to_dict(self) -> dict[str, Any]:
        verb = "Replaced the earlier scenario" if self.replaced else "Saved scenario"
        return {"scenario": self.scenario.to_dict(), "replaced": self.replaced,
                "message": f"{verb} {self.scenario.name!r}."}


class ScenarioStore:
    """The scenarios of one run folder. Reads the file on every call: another worker may have changed it."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / SCENARIOS_FILE
        self._lock = threading.Lock()

    def saved(self) -> list[Scenario]:
        """Saved scenarios in the order they were first saved."""
        return _parse(self.path)

    def get(self, name: str) -> Scenario:
        found = {scenario.name: scenario for scenario in self.saved()}
        if name not in found:
            saved = ", ".join(repr(known) for known in found) or "none yet"
            raise ScenarioNotFoundError(f"no saved scenario named {name!r} (saved: {saved}).")
        return found[name]

    def save(
        self, name: str, spend: Mapping[str, float], organic: Mapping[str, float] | None = None,
        treatments: Mapping[str, float] | None = None,
    ) -> Saved:
        """Store ``spend`` (and the checked what-if inputs) under ``name``; a name saved before is replaced,
        in its place in the list."""
        scenario = Scenario(check_name(name), {key: float(value) for key, value in spend.items()},
                            datetime.now(UTC).isoformat(timespec="seconds"),
                            {key: float(value) for key, value in (organic or {}).items()},
                            {key: float(value) for key, value in (treatments or {}).items()})
        with self._exclusive():
            scenarios = _parse(self.path)
            names = [saved.name for saved in scenarios]
            replaced = scenario.name in names
            if replaced:
                scenarios[names.index(scenario.name)] = scenario
            elif len(scenarios) >= MAX_SCENARIOS:
                raise MixscopeError(f"this run already holds {MAX_SCENARIOS} saved scenarios, the most it "
                                    "keeps: delete one first.")
            else:
                scenarios.append(scenario)
            self._write(scenarios)
        return Saved(scenario, replaced)

    def delete(self, name: str) -> Scenario:
        """Remove ``name``; the scenario removed."""
        with self._exclusive():
            scenarios = _parse(self.path)
            kept = [saved for saved in scenarios if saved.name != name]
            if len(kept) == len(scenarios):
                raise ScenarioNotFoundError(f"no saved scenario named {name!r}.")
            self._write(kept)
        return next(saved for saved in scenarios if saved.name == name)

    def _write(self, scenarios: Sequence[Scenario]) -> None:
        document = {"format": FORMAT, "version": VERSION, "scenarios": [s.to_dict() for s in scenarios]}
        try:
            write_text_atomically(self.path, json.dumps(document, indent=1, ensure_ascii=False) + "\n")
        except OSError as error:
            raise ScenarioStoreError(f"could not write {self.path} ({error.strerror or error}); the saved "
                                     "scenarios are unchanged.") from None

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        with self._lock:
            if fcntl is None:
                yield
                return
            try:
                folder = os.open(self.run_dir, os.O_RDONLY)  # the run folder's own descriptor: no lock file
            except OSError:
                yield  # a folder that cannot be opened cannot be written either: the write says why
                return
            try:
                fcntl.flock(folder, fcntl.LOCK_EX)
                yield
            finally:
                os.close(folder)  # releases the lock


def _parse(path: Path) -> list[Scenario]:
    """The scenarios in ``path`` ([] when there is no file); a file this module did not write is refused."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as error:
        raise ScenarioStoreError(f"could not read {path} ({error.strerror or error}).") from None
    problem = f"{path} is not a saved-scenarios file"
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ScenarioStoreError(f"{problem} ({error}); fix or remove it to save scenarios again.") from None
    entries = document.get("scenarios") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ScenarioStoreError(f"{problem} (no list under 'scenarios'); fix or remove it.")
    scenarios = []
    for entry in entries:
        spend = entry.get("spend") if isinstance(entry, dict) else None
        if not isinstance(spend, dict) or not isinstance(entry.get("name"), str) or not _is_numbers(spend):
            raise ScenarioStoreError(f"{problem} (an entry lacks a name or numeric spend); fix or remove it.")
        inputs = {key: entry.get(key, {}) for key in _INPUTS}  # absent in files from before inputs were kept
        if not all(isinstance(given, dict) and _is_numbers(given) for given in inputs.values()):
            raise ScenarioStoreError(f"{problem} (scenario {entry['name']!r}: organic or treatments is not "
                                     "a table of numbers); fix or remove it.")
        scenarios.append(Scenario(entry["name"], {key: float(value) for key, value in spend.items()},
                                  str(entry.get("saved_at", "")),
                                  *({key: float(value) for key, value in given.items()}
                                    for given in inputs.values())))
    return scenarios


def _is_numbers(table: Mapping[str, object]) -> bool:
    return all(type(value) in (int, float) and math.isfinite(value) for value in table.values())


def compare(whatif: WhatIf, scenarios: Sequence[Scenario]) -> dict[str, Any]:
    """Each scenario's outcome (as ``/api/evaluate`` answers its spend with its own organic and treatment
    inputs) and P(A beats B) for every ordered pair, from the same draws."""
    answers, draws = [], []
    for scenario in scenarios:
        try:
            answers.append(whatif.evaluate(scenario.spend, scenario.organic, scenario.treatments))
            draws.append(whatif.outcome_draws(scenario.spend, scenario.organic, scenario.treatments))
        except MixscopeError as error:  # e.g. a channel or an input the surface no longer has
            raise MixscopeError(f"scenario {scenario.name!r}: {error}") from None
    pairs = [{"a": scenarios[a].name, "b": scenarios[b].name,
              "prob_a_beats_b": prob_beats_by_draw(draws[a], draws[b])}
             for a, b in itertools.permutations(range(len(scenarios)), 2)]
    return {
        "scenarios": [
            {"name": scenario.name, "saved_at": scenario.saved_at, **{key: answer[key] for key in _COMPARED},
             **{key: dict(getattr(scenario, key)) for key in _INPUTS}}
            for scenario, answer in zip(scenarios, answers, strict=True)
        ],
        "pairs": pairs,
        "units": whatif.surface.units,
        "draws_used": whatif.draws_used,
        "draws_total": whatif.draws_total,
    }
