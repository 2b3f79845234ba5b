"""The CLI's choice options list exactly the names the library accepts, and Typer refuses the rest."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mixscope.choices import AUDIENCES
from mixscope.cli import app
from mixscope.cli.fit import CalibrationMode, Engine, RidgeMethod
from mixscope.cli.insights import Audience
from mixscope.ridge.regression import METHODS
from mixscope.spec import CALIBRATION_MODES


@pytest.mark.parametrize(("choice", "names"), [
    (Engine, ("bayes", "ridge")),
    (RidgeMethod, METHODS),
    (CalibrationMode, CALIBRATION_MODES),
    (Audience, AUDIENCES),
])
def test_choices_are_the_library_names(choice, names):
    assert tuple(member.value for member in choice) == tuple(names)


@pytest.mark.parametrize(("command", "option", "choices"), [
    ("fit", "--engine", "bayes|ridge"),
    ("fit", "--method", "ols|ridge|lasso"),
    ("fit", "--calibration-mode", "likelihood|prior"),
    ("explain", "--audience", "executive|analyst"),
])
def test_help_lists_the_choices_and_refuses_others_before_any_work(command, option, choices, tmp_path):
    runner = CliRunner()
    shown = runner.invoke(app, [command, "--help"], terminal_width=200, env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and choices in shown.output
    refused = runner.invoke(app, [command, str(tmp_path / "missing"), option, "nope"])
    assert refused.exit_code == 2
    assert f"Invalid value for '{option}'" in refused.stderr and "Traceback" not in refused.output
