"""``mixscope surface``, ``whatif`` and ``query`` through the CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mixscope.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_whatif_json_has_outcome_and_baseline_plan(national_surface_dir):
    result = invoke("whatif", national_surface_dir, "--spend", "tv=3000000,search=2000000", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    for key in ("outcome", "baseline_plan_outcome"):
        assert set(payload[key]) == {"mean", "median", "ci_90"}
    assert payload["spend"]["tv"] == 3_000_000
    assert set(payload["marginal_roi"]) == {"tv", "search", "social", "display", "radio"}
    table = invoke("whatif", national_surface_dir, "--spend", "tv=3000000")
    assert table.exit_code == 0 and "Historical plan" in table.stdout


def test_whatif_bad_input_is_a_clear_error(national_surface_dir, tmp_path):
    cases = [("tv", "CHANNEL=AMOUNT"), ("tv=abc", "not a number"), ("foo=1", "unknown channel")]
    for spend, message in cases:
        result = invoke("whatif", national_surface_dir, "--spend", spend)
        assert result.exit_code == 2 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    missing = invoke("whatif", tmp_path, "--spend", "tv=1")
    assert missing.exit_code == 2 and "mixscope fit" in missing.stderr


def test_query_runs_sql_over_the_surface(national_surface_dir):
    result = invoke(
        "query", national_surface_dir,
        "SELECT budget_level, max(outcome_mean) AS best FROM scenarios GROUP BY 1 ORDER BY 1", "--json",
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 31
    best = [row["best"] for row in rows]
    assert best == sorted(best)  # more budget, more outcome at the best mix
    bad = invoke("query", national_surface_dir, "SELECT * FROM nowhere")
    assert bad.exit_code == 2 and "Tables:" in bad.stderr


def test_surface_command_builds_and_reports(national_run_dir, tmp_path):
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(national_run_dir, run_dir)
    result = invoke("surface", run_dir, "--max-budget", "1.5", "--grid-points", "20", "--json")
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert manifest["scenarios"]["budget_levels"][-1] == 1.5
    assert manifest["grid"]["points"] == 20
    bad = invoke("surface", run_dir, "--reference-periods", "0")
    assert bad.exit_code == 2 and "--reference-periods" in bad.stderr
