"""``mixscope whatif`` says per channel how far a plan goes past the media levels the data showed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.plan.optimize import plan_extrapolation

runner = CliRunner()


def _whatif(run_dir, spend: str, *options: str):
    result = runner.invoke(app, ["whatif", str(run_dir), "--spend", spend, *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_whatif_json_carries_the_extrapolation_figure(national_surface_dir, surface):
    tv = round(4 * surface.reference_spend["tv"])  # like tv=2,000,000 on Robyn's data: far past the data
    payload = json.loads(_whatif(national_surface_dir, f"tv={tv:.0f}", "--json").stdout)
    report = payload["extrapolation"]
    assert set(report) == set(surface.channels)
    assert all(set(figures) == {"peak_ratio", "share_beyond"} for figures in report.values())
    assert report["tv"]["peak_ratio"] > 1.5 and 0 < report["tv"]["share_beyond"] <= 1
    expected = plan_extrapolation(surface, surface.plan_vector({"tv": tv}))
    for name, figures in expected.items():
        assert report[name] == pytest.approx(figures, rel=1e-12)


def test_the_current_plan_stays_within_the_data(national_surface_dir, surface):
    current = ",".join(f"{name}={amount!r}" for name, amount in surface.reference_spend.items())
    report = json.loads(_whatif(national_surface_dir, current, "--json").stdout)["extrapolation"]
    assert max(figures["peak_ratio"] for figures in report.values()) <= 1 + 1e-9
    assert all(figures["share_beyond"] == 0 for figures in report.values())
    text = _whatif(national_surface_dir, current).stdout
    assert "Within the data" in text and "peak week" not in text


def test_the_table_names_each_channel_past_the_data(national_surface_dir, surface):
    tv = round(4 * surface.reference_spend["tv"])
    text = " ".join(_whatif(national_surface_dir, f"tv={tv:.0f}").stdout.split())
    figures = plan_extrapolation(surface, surface.plan_vector({"tv": tv}))["tv"]
    assert f"tv: peak week {figures['peak_ratio']:.1f}× the largest in the data; " \
           f"{figures['share_beyond']:.0%} of weeks beyond it" in text
    assert np.isfinite(figures["peak_ratio"])
