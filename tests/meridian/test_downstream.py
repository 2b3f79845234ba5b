"""Every command after the fit reads an imported Meridian run; its planner beats Meridian's optimiser."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.run import load_run
from tests.meridian.conftest import reference
from tests.serve.clients import local_client

runner = CliRunner()


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _meridian_outcome(run_dir, allocations: list[dict[str, float]]) -> np.ndarray:
    """``(allocation, channel)`` expected incremental revenue by Meridian's response curves (its equations,
    which reproduce every stored point of its curves): each channel's spend scaled in every week."""
    from mixscope.meridian.curves import plan_outcome

    run = load_run(run_dir)
    spend = run.dataset.spend.sum(axis=(0, 1))
    channels = run.dataset.channels
    multipliers = np.array([[a[c] / spend[i] for i, c in enumerate(channels)] for a in allocations])
    return plan_outcome(run, multipliers).mean(axis=0)


def test_the_curves_reproduce_meridians_optimiser_figures(national_planned):
    optimiser = reference("national")["optimizer"]
    ours = _meridian_outcome(national_planned, [optimiser["optimized_spend"]])[0]
    theirs = np.array(list(optimiser["optimized_incremental_outcome"].values()))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("budget", ["1x", "meridian"])
def test_plan_finds_at_least_meridians_optimum_under_the_same_bounds(national_planned, budget):
    """``--objective mean --min-confidence 0%``: the default rule is risk-aware and may keep the mix."""
    optimiser = reference("national")["optimizer"]
    total = sum(optimiser["optimized_spend"].values())  # Meridian rounds its budget (to 121.7M here)
    plan = _json([
        "plan", str(national_planned), "--budget", "1x" if budget == "1x" else f"{total:.0f}",
        "--max-change", "30%", "--objective", "mean", "--min-confidence", "0%", "--json",
    ])
    ours, theirs = _meridian_outcome(national_planned, [plan["allocation"], optimiser["optimized_spend"]])
    assert ours.sum() >= theirs.sum() >= sum(optimiser["optimized_incremental_outcome"].values()) * (1 - 1e-6)
    assert plan["decision"] == "reallocate"


def test_whatif_frontier_explain_and_report_read_an_imported_run(national_planned, tmp_path):
    run = str(national_planned)
    whatif = _json(["whatif", run, "--spend", "Channel2=30000000", "--json"])
    assert whatif["outcome"]["mean"] > 0
    frontier = _json(["frontier", run, "--levels", "0.8:1.2:0.2", "--max-change", "30%", "--json"])
    assert len(frontier) == 3
    story = _json(["explain", run, "--json"])
    assert story["verified"] and "Channel" in json.dumps(story["findings"])
    result = runner.invoke(app, ["report", run, "-o", str(tmp_path / "report.html"), "--no-narrative"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report.html").read_text()
    assert "meridian" in page and "Response curves" in page


def test_the_planner_serves_an_imported_run(national_planned):
    from mixscope.serve import create_app

    with local_client(create_app(national_planned)) as client:
        meta = client.get("/api/meta").json()
        assert [c["name"] for c in meta["channels"]] == ["Channel0", "Channel1", "Channel2", "Channel3"]
        answer = client.post("/api/evaluate", json={"spend": {"Channel0": 40_000_000}})
        assert answer.status_code == 200 and answer.json()["outcome"]["mean"] > 0
