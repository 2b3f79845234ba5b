"""``mixscope plan`` and ``mixscope frontier`` through the CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mixscope.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_plan_json_contract(national_surface_dir):
    result = invoke("plan", national_surface_dir, "--budget", "1.1x", "--max-change", "30%",
                    "--min", "tv=2000000", "--lock", "radio", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    for key in ("allocation", "current", "expected_outcome", "uplift", "prob_beats_current",
                "near_optimal_ranges"):
        assert key in payload
    assert set(payload["expected_outcome"]) >= {"mean", "ci_90"}
    assert payload["allocation"]["radio"] == payload["current"]["radio"]
    assert payload["allocation"]["tv"] >= 2_000_000 - 1
    assert abs(sum(payload["allocation"].values()) / payload["current_total"] - 1.1) < 1e-6
    text = invoke("plan", national_surface_dir)
    assert text.exit_code == 0 and "probability of beating the current plan" in text.stdout


def test_plan_errors_are_clear(national_surface_dir):
    for args, message in [
        (["--budget", "lots"], "is not an amount"),
        (["--max-change", "x%"], "not a percentage"),
        (["--lock", "radioo"], "Did you mean 'radio'"),
        (["--budget", "9x"], "Infeasible"),
        (["--objective", "best"], "Unknown objective"),
    ]:
        result = invoke("plan", national_surface_dir, *args)
        assert result.exit_code == 2 and message in result.stderr, (args, result.stderr)


def test_frontier_json_and_csv(national_surface_dir, tmp_path):
    target = tmp_path / "frontier.csv"
    result = invoke("frontier", national_surface_dir, "--levels", "0.5:1.5:0.25", "--no-trust-region",
                    "--out", target, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["budget_level"] for row in rows] == [0.5, 0.75, 1.0, 1.25, 1.5]
    assert target.read_text().startswith("budget_level")
    bad = invoke("frontier", national_surface_dir, "--levels", "1:0.5")
    assert bad.exit_code == 2 and "LOW:HIGH:STEP" in bad.stderr
