"""CLI polish: help printed as written, no progress-bar escape codes in logs, tables never cut with "…"."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pandas as pd
import pytest
from typer.models import ParameterInfo
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.cli._output import out
from mixscope.model.fit import chain_report

runner = CliRunner()


def _flat(text: str) -> str:
    """Help text without Rich's box and the line breaks of wrapping."""
    return re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", text))


def test_fit_help_prints_spec_sections_literally():
    shown = runner.invoke(app, ["fit", "--help"], terminal_width=200, env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    text = _flat(shown.output)
    assert "Override [sampler] chains." in text and "Override [sampler] seed." in text
    assert "overrides [calibration]." in text and "overrides [calibration] mode." in text
    assert "Override  chains" not in shown.output


@pytest.mark.parametrize("command", [command.name or command.callback.__name__
                                     for command in app.registered_commands])
def test_every_help_shows_its_brackets(command):
    """Whatever an option's help says in brackets is printed, for every command."""
    registered = next(c for c in app.registered_commands if (c.name or c.callback.__name__) == command)
    shown = runner.invoke(app, [command, "--help"], terminal_width=200, env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    text = _flat(shown.output)
    infos = [parameter.default for parameter in inspect.signature(registered.callback).parameters.values()]
    written = [registered.help or ""] + [info.help or "" for info in infos if isinstance(info, ParameterInfo)]
    for bracket in re.findall(r"\[[a-z][^\]]*\]", " ".join(written)):
        assert bracket in text, (command, bracket)
    assert "\\[" not in text  # the escaping itself never shows


def test_chain_report_is_one_line_per_chain():
    diverging = np.zeros((2, 20), dtype=bool)
    diverging[1, :3] = True
    assert chain_report(diverging) == "chain 1: 20 draws, 0 divergences\nchain 2: 20 draws, 3 divergences\n"


def test_fit_into_a_log_has_no_escape_codes_and_a_line_per_chain(tmp_path, monkeypatch):
    from mixscope.simulate import write_simulated_project

    monkeypatch.delenv("MIXSCOPE_NO_PROGRESS", raising=False)  # the bar would be on, were this a terminal
    sampler = {"chains": 2, "warmup": 30, "draws": 20}
    spec, _, _ = write_simulated_project(tmp_path / "tiny", 1, 80, 0, sampler)
    result = runner.invoke(app, ["fit", str(spec), "--out", str(tmp_path / "run")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.output
    assert "chain 1: 20 draws, " in result.stderr and "chain 2: 20 draws, " in result.stderr
    assert "ROI" in result.stdout


@pytest.fixture
def width_80(monkeypatch):
    monkeypatch.setattr(out, "_width", 80)


def _header_words_whole(output: str, headers: list[str]) -> None:
    for header in headers:
        for word in header.split():
            assert word in output, (header, word)


def test_evidence_table_at_80_columns_cuts_nothing(national_run_dir, width_80):
    result = runner.invoke(app, ["evidence", str(national_run_dir)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    assert max(len(line) for line in _table_lines(result.stdout)) <= 80
    _header_words_whole(result.stdout, ["channel", "prior mean [90%]", "posterior mean [90%]", "status"])
    assert "data-driven" in result.stdout or "prior-driven" in result.stdout


def test_query_tables_at_80_columns_cut_nothing(national_surface_dir, width_80):
    sql = ("SELECT channel, AVG(incremental_kpi) AS incremental_kpi_mean, MAX(spend) AS largest_spend_level "
           "FROM curves GROUP BY channel ORDER BY channel")
    result = runner.invoke(app, ["query", str(national_surface_dir), sql], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    _header_words_whole(result.stdout, ["channel", "incremental_kpi_mean", "largest_spend_level"])
    # Far more columns than 80 characters hold: one block per row, each column's name beside its value.
    wide = runner.invoke(app, ["query", str(national_surface_dir), "SELECT * FROM scenarios LIMIT 3"],
                         catch_exceptions=False)
    assert wide.exit_code == 0, wide.output
    assert "…" not in wide.stdout
    assert max(len(line) for line in wide.stdout.splitlines()) <= 80
    assert "row 1" in wide.stdout and "row 3" in wide.stdout and "row 4" not in wide.stdout
    columns = pd.read_parquet(national_surface_dir / "surface" / "scenarios.parquet").columns
    assert len(columns) > 10
    _header_words_whole(wide.stdout, list(columns))


def _table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line[:1] in "┏┃┡│└"]
