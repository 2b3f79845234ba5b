"""One run, one question, one number: every surface of the product shows the same ROI, mROI and share.

A run answers two questions about each channel, and each has one answer wherever it is shown:

- **over the fitted history** (``summary.json``): the ``fit`` table, the report's ROI table and
  charts, its contribution shares, and the facts ``explain`` states (and the narrative it writes);
- **at the current plan over the surface's reference window**: the planner API (``/api/evaluate``,
  ``/api/marginal``, ``/api/ask``) and the surface it reads.

Each surface is read back as it shows the number (floats where it gives floats, its printed
rounding where it prints), from one fitted run with a surface (the shared national fixture).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from mixscope.insights import explain_run
from mixscope.insights.facts import build_facts
from mixscope.report import build_report
from mixscope.serve import create_app
from mixscope.surface import Surface
from tests.serve.clients import local_client

_QUANTITIES = (("roi", "roi"), ("mroi", "mroi"), ("share", "contribution_share"))  # (fact topic, summary key)


@pytest.fixture(scope="module")
def summary(national_surface_dir):
    return json.loads((national_surface_dir / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def facts(national_surface_dir):
    """The facts ``explain`` builds for the run: with its surface and planner, as the CLI does."""
    return build_facts(national_surface_dir)


def _interval(stored) -> tuple[float, float, float]:
    return stored["mean"], *stored["ci_90"]


def _ratio(stored) -> str:
    mean, low, high = _interval(stored)
    return f"{mean:.2f} (90% interval {low:.2f}–{high:.2f})"


def _share(stored) -> str:
    mean, low, high = _interval(stored)
    return f"{mean:.1%} (90% interval {low:.1%}–{high:.1%})"


# ------------------------------------------------------------------ over the fitted history


def test_fit_table_shows_the_summary(summary, national_surface_dir, capsys):
    from mixscope.cli.fit import _print_fit  # the table `mixscope fit` prints

    _print_fit(summary, national_surface_dir)
    printed = capsys.readouterr().out
    rows = {cells[0]: cells[1:] for line in printed.splitlines()
            if len(cells := [cell.strip() for cell in re.split(r"[│┃|]", line)[1:-1]]) == 5}
    prior_driven = set(summary.get("prior_driven", []))
    for channel in summary["channels"]:
        label = f"{channel} *" if channel in prior_driven else channel  # the mark evidence's measure sets
        rows[channel] = rows.pop(label)
        roi, mroi = summary["roi"][channel], summary["mroi"][channel]
        share = summary["contribution_share"][channel]
        assert rows[channel] == [
            f"{roi['mean']:.2f}", f"[{roi['ci_90'][0]:.2f}, {roi['ci_90'][1]:.2f}]",
            f"{mroi['mean']:.2f}", f"{share['mean']:.1%}",
        ], channel


def test_report_shows_the_summary(summary, national_surface_dir):
    report = build_report(national_surface_dir, narrative=False)
    sections = {section.key: section for section in report.sections}
    roi = sections["roi"]
    rows = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", roi.body)[1:]]
    table = {row[0]: row[1:] for row in rows}
    prior_driven = set(summary.get("prior_driven", []))
    for channel in summary["channels"]:
        expected = []
        for key in ("roi", "mroi"):
            mean, low, high = _interval(summary[key][channel])
            expected += [f"{mean:.2f}", f"[{low:.2f}, {high:.2f}]"]
        expected.append("prior-driven" if channel in prior_driven else "")  # the evidence column
        assert table[channel] == expected, channel
    labels = [f"{channel} *" if channel in prior_driven else channel for channel in summary["channels"]]
    # The ROI chart: bars at the mean, whiskers to the 90% interval, for ROI then mROI.
    for trace, key in zip(roi.figures[0].data, ("roi", "mroi"), strict=True):
        assert list(trace.x) == labels
        mean, low, high = np.array([_interval(summary[key][c]) for c in summary["channels"]]).T
        np.testing.assert_allclose(trace.y, mean, rtol=1e-12)
        np.testing.assert_allclose(np.asarray(trace.y) + trace.error_y.array, high, rtol=1e-12)
        np.testing.assert_allclose(np.asarray(trace.y) - trace.error_y.arrayminus, low, rtol=1e-12)
    # The shares chart: baseline then channels, in percent.
    bars = sections["contributions"].figures[1].data[0]
    shares = dict(zip(bars.x, bars.y, strict=True))
    for channel in summary["channels"]:
        expected = summary["contribution_share"][channel]["mean"] * 100
        assert shares[channel] == pytest.approx(expected, rel=1e-12), channel


def test_explain_states_the_summary(summary, facts):
    for channel in facts.channels:
        for topic, key in _QUANTITIES:
            stored = summary[key][channel.key]
            fact = facts.get(f"{topic}.{channel.key}")
            assert facts.interval(fact.id) == pytest.approx(_interval(stored), rel=1e-12), fact.id
            assert fact.display == (_share if topic == "share" else _ratio)(stored), fact.id
    # The narrative `explain` writes copies those displays: each cited ROI, mROI or share appears as stated.
    explanation = explain_run(".", facts=facts)
    items = [*explanation.findings, *explanation.recommendations]
    cited = [(item.text, facts.get(fact_id)) for item in items for fact_id in item.facts
             if fact_id.split(".")[0] in ("roi", "mroi", "share")]
    assert cited, "the narrative cites no ROI, mROI or share"
    for text, fact in cited:
        assert fact.display in text, (fact.id, text)


# ------------------------------------------------------------------ at the current plan (reference window)


def test_planner_api_answers_the_current_plan_once(national_surface_dir):
    surface = Surface.load(national_surface_dir)
    current = surface.historical_plan()
    marginal, evaluated = surface.marginal(current), surface.evaluate(current)
    # live_draws=None: every draw, as /api/marginal and the planner use (the default what-if subset
    # answers from fewer draws and says so in draws_used).
    with local_client(create_app(national_surface_dir, live_draws=None)) as client:
        api_marginal = client.post("/api/marginal", json={"spend": {}}).json()["marginal_roi"]
        api_evaluate = client.post("/api/evaluate", json={"spend": {}}).json()
        asked = client.post("/api/ask", json={"question": "what is the marginal roi of each channel?"}).json()
    answered = asked["result"]["marginal"]["marginal_roi"]
    for channel in surface.channels:
        expected = _interval(marginal[channel])
        for shown in (api_marginal[channel], api_evaluate["marginal_roi"][channel], answered[channel]):
            assert _interval(shown) == pytest.approx(expected, rel=1e-9), channel
        assert _ratio(marginal[channel]) in asked["answer"], channel
        assert _interval(api_evaluate["channels"][channel]["roi"]) == pytest.approx(
            _interval(evaluated["channels"][channel]["roi"]), rel=1e-9), channel
