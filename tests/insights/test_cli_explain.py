"""``mixscope explain`` through the CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mixscope.cli import app
from tests.insights.conftest import synthetic_summary, write_run

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_explain_json(tmp_path, monkeypatch):
    monkeypatch.delenv("MIXSCOPE_LLM_MODEL", raising=False)
    run_dir = write_run(tmp_path / "run", synthetic_summary())
    result = invoke("explain", run_dir, "--json", "--audience", "analyst")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["verified"] and payload["backend"] == "template"
    assert payload["findings"] and payload["recommendations"]
    text = invoke("explain", run_dir)
    assert text.exit_code == 0 and text.stdout.startswith("## Summary")


def test_explain_errors_are_clear(tmp_path):
    run_dir = write_run(tmp_path / "run", synthetic_summary())
    for args, message in [
        (["--audience", "ceo"], "--audience must be one of"),
        (["--model", tmp_path / "nope.gguf"], "does not exist"),
        (["--endpoint", "localhost:8080"], "--endpoint must be an http(s) URL"),
    ]:
        result = invoke("explain", run_dir, *args)
        assert result.exit_code == 2 and message in result.stderr, (args, result.stderr)
    result = invoke("explain", tmp_path / "nothing")
    assert result.exit_code == 2 and "summary.json" in result.stderr
