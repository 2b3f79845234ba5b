"""``mixscope explain`` through the CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mixscope.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_explain_json(national_run_dir, monkeypatch):
    monkeypatch.delenv("MIXSCOPE_LLM_MODEL", raising=False)
    run_dir = national_run_dir
    result = invoke("explain", run_dir, "--json", "--audience", "analyst")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["verified"] and payload["backend"] == "template"
    assert payload["findings"] and payload["recommendations"]
    text = invoke("explain", run_dir)
    assert text.exit_code == 0 and text.stdout.startswith("## Summary")


def test_explain_errors_are_clear(national_run_dir, tmp_path):
    run_dir = national_run_dir
    for args, message in [
        (["--audience", "ceo"], "Invalid value for '--audience'"),
        (["--model", tmp_path / "nope.gguf"], "does not exist"),
        (["--endpoint", "localhost:8080"], "--endpoint must be an http(s) URL"),
    ]:
        result = invoke("explain", run_dir, *args)
        assert result.exit_code == 2 and message in result.stderr, (args, result.stderr)
    result = invoke("explain", tmp_path / "nothing")
    assert result.exit_code == 2 and "not a run directory" in result.stderr
