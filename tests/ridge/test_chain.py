"""A ridge run goes through the same downstream chain as a Bayesian one, unchanged."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.run import save_run

runner = CliRunner()


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    return result


def test_ridge_run_through_surface_whatif_plan_frontier_explain_report(ridge_fit, tmp_path):
    result, _ = ridge_fit
    run_dir = save_run(result, tmp_path / "run")
    invoke("surface", run_dir, "--grid-points", "61")
    whatif = json.loads(invoke("whatif", run_dir, "--spend", "tv=2000000", "--json").stdout)
    assert whatif["outcome"]["ci_90"][0] < whatif["outcome"]["mean"] < whatif["outcome"]["ci_90"][1]
    plan = json.loads(invoke("plan", run_dir, "--max-change", "20%", "--json").stdout)
    assert plan["expected_outcome"]["mean"] >= plan["current_outcome"]["mean"]
    frontier = json.loads(invoke("frontier", run_dir, "--levels", "0.8:1.2:0.2", "--json").stdout)
    assert len(frontier) == 3
    explained = json.loads(invoke("explain", run_dir, "--json").stdout)
    assert explained["summary"] and explained["verified"]
    built = json.loads(invoke("report", run_dir, "-o", tmp_path / "report.html", "--json").stdout)
    assert built["unavailable"] == {} and "plan" in built["sections"] and "curves" in built["sections"]
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<dt>engine</dt><dd>ridge</dd>" in text
    # Bootstrap replicates have no R-hat: the report says n/a rather than invent one.
    assert "<td>max R-hat</td><td>n/a</td>" in text
    for key in ("curves", "plan"):  # charts drawn from the ridge run's surface
        assert re.search(rf"<section id='{key}' data-charts='[1-9]", text), key
