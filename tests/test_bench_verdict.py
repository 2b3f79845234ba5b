"""The benches' shared verdict (bench/_common.py): a missed target fails the run, and every run is kept."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture()
def common(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_common", BENCH / "_common.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "RESULTS_DIR", tmp_path)
    return module


def test_targets_judge_the_cases_they_name(common):
    Target = common.Target
    results = {"national": {"max_rhat": 1.02, "errors": 0}, "geo": {"max_rhat": 1.005, "wall_s": 200.0}}
    failures, skipped = common.verdict(results, (
        Target("max_rhat", at_most=1.01),  # every case holding the figure
        Target("wall_s", at_most=180, cases="geo"),
        Target("errors", at_most=0),
        Target("wall_s", at_most=1, cases="40 geo"),  # no such case in this run: skipped, said so
    ))
    assert failures == ["national: max_rhat = 1.02, target max_rhat <= 1.01",
                        "geo: wall_s = 200, target wall_s <= 180 in cases with 'geo'"]
    assert skipped == ["wall_s <= 1 in cases with '40 geo'"]


def test_a_target_that_checks_nothing_or_a_non_number_fails(common):
    Target = common.Target
    failures, _ = common.verdict({"a": {"throughput_rps": math.nan, "verdict": "fine"}}, (
        Target("renamed_figure", at_least=1),
        Target("throughput_rps", at_least=1000),
        Target("verdict", at_least=1),
    ))
    assert len(failures) == 3
    assert "no case has this figure" in failures[0]
    assert all("is not a number" in failure for failure in failures[1:])


def test_report_appends_history_and_exits_1_on_a_miss(common, tmp_path, capsys):
    Target = common.Target
    common.report("demo", {"case": {"p99_ms": 5.0}}, (Target("p99_ms", at_most=10),))
    with pytest.raises(SystemExit) as ended:
        common.report("demo", {"case": {"p99_ms": 50.0}}, (Target("p99_ms", at_most=10),),
                      failures=["case: a check across cases"])
    assert ended.value.code == 1
    records = [json.loads(line) for line in (tmp_path / "demo.jsonl").read_text().splitlines()]
    assert [r["results"]["case"]["p99_ms"] for r in records] == [5.0, 50.0]  # kept, not overwritten
    assert records[0]["failures"] == [] and len(records[1]["failures"]) == 2
    assert {"timestamp", "commit", "dirty", "command"} <= set(records[1])
    assert "(previous: 5.0)" in capsys.readouterr().out  # compared with the last run that had the case
