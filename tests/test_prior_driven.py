"""Channels whose ROI is mostly the prior are marked in `fit`'s table, the report and `explain`'s facts."""

from __future__ import annotations

import json
import shutil

import pytest

from mixscope.calibration.evidence import evidence_report
from mixscope.cli._output import out
from mixscope.cli.fit import _print_fit
from mixscope.insights.facts import facts_from_summary
from mixscope.insights.template import template_narrative
from mixscope.insights.verify import verify
from mixscope.report.html import build_report
from mixscope.run import load_run
from mixscope.run_files import RUN_MANIFEST
from mixscope.storage import sha256_file


@pytest.fixture(scope="module")
def marked_run(national_run_dir, tmp_path_factory):
    """A copy of the national run whose summary flags its first channel prior-driven."""
    run_dir = tmp_path_factory.mktemp("prior_driven") / "run"
    shutil.copytree(national_run_dir, run_dir)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    summary["prior_driven"] = [summary["channels"][0]]
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    manifest = json.loads((run_dir / RUN_MANIFEST).read_text(encoding="utf-8"))
    manifest["files"]["summary.json"] = sha256_file(run_dir / "summary.json")  # vouch for the edit
    (run_dir / RUN_MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return run_dir, summary


def test_fit_stores_the_channels_evidence_flags(national_run_dir):
    summary = json.loads((national_run_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["prior_driven"] == list(evidence_report(load_run(national_run_dir)).prior_driven)


def test_fit_table_marks_prior_driven_channels(marked_run):
    run_dir, summary = marked_run
    flagged, other = summary["channels"][0], summary["channels"][1]
    with out.capture() as captured:
        _print_fit(summary, run_dir)
    text = captured.get()
    assert f"{flagged} *" in text and f"{other} *" not in text
    assert "prior-driven" in text


def test_report_roi_chart_and_table_mark_prior_driven_channels(marked_run):
    run_dir, summary = marked_run
    flagged, other = summary["channels"][0], summary["channels"][1]
    roi = next(s for s in build_report(run_dir, narrative=False).sections if s.key == "roi")
    labels = list(roi.figures[0].data[0].x)
    assert f"{flagged} *" in labels and other in labels
    assert "prior-driven" in roi.body and "prior-driven" in roi.guide


def test_explain_facts_state_prior_driven_channels(marked_run):
    _, summary = marked_run
    facts = facts_from_summary(summary)
    flagged = facts.channels[0].key
    assert [f.id for f in facts.facts if f.topic == "prior"] == [f"prior.{flagged}"]
    narrative = template_narrative(facts)
    item = next(item for item in narrative.findings if f"prior.{flagged}" in item.facts)
    assert "mostly the prior" in item.text
    assert verify(narrative, facts).passed
