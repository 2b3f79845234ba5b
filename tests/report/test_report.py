"""The HTML report: every section, self-contained (no network), charts render in a real browser."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from mixscope.cli import app as cli
from mixscope.report import build_report
from tests.serve.browser import browser_page, screenshot

SECTIONS = ("narrative", "data", "fit", "contributions", "roi", "curves", "adstock", "diagnostics", "plan")


@pytest.fixture(scope="module")
def report_file(national_surface_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(cli, ["report", str(national_surface_dir), "-o", str(path), "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["sections"] == list(SECTIONS)
    assert set(summary["unavailable"]) <= {"narrative"}  # only the optional insights layer may be missing
    return path


def test_every_chart_has_a_title_axis_units_and_a_reading_guide(national_surface_dir):
    report = build_report(national_surface_dir)
    assert [section.key for section in report.sections] == list(SECTIONS)
    for section in report.sections:
        assert section.guide, section.key
        if section.key == "narrative":
            continue
        assert section.figures, section.key
        for figure in section.figures:
            layout = figure.layout
            assert layout.title.text, section.key
            axes = [axis for name, axis in layout.to_plotly_json().items()
                    if re.fullmatch(r"[xy]axis\d*", name)]
            titled = [axis for axis in axes if axis.get("title", {}).get("text")]
            assert len(titled) >= 2, (section.key, layout.title.text)


def test_sections_without_a_surface_say_what_to_run(national_run_dir):
    report = build_report(national_run_dir, narrative=False)
    sections = {section.key: section for section in report.sections}
    assert "narrative" not in sections
    for key in ("curves", "plan"):
        assert not sections[key].figures
        assert "mixscope surface" in sections[key].unavailable
    assert sections["fit"].figures and sections["diagnostics"].figures


def test_report_is_self_contained(report_file):
    text = report_file.read_text(encoding="utf-8")
    # No script or stylesheet from elsewhere (Plotly's bundle mentions its CDN in strings it never loads).
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", text)
    assert "Plotly" in text and len(text) > 3_000_000  # the bundle is inline
    for key in SECTIONS:
        assert f"<section id='{key}'" in text


def test_report_renders_offline_in_chromium(report_file):
    with browser_page((1300, 900)) as (page, errors):
        requests: list[str] = []

        def block_network(route) -> None:
            # Opening the report must need nothing but the file: refuse (and record) anything else.
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                requests.append(route.request.url)
                route.abort()

        page.route("**/*", block_network)
        page.goto(report_file.as_uri())
        page.wait_for_load_state("load")
        for key in SECTIONS:
            section = page.locator(f"section#{key}")
            expected = int(section.get_attribute("data-charts"))
            if key != "narrative":
                assert expected >= 1, key
            assert section.locator(".js-plotly-plot").count() == expected, key
            assert section.locator(".js-plotly-plot .main-svg").count() >= expected, key
            assert section.locator("h2").inner_text()
            assert key == "narrative" or section.locator(".guide").inner_text().startswith("How to read")
        # Charts have drawn data: the fit chart carries its traces.
        assert page.locator("#fit .js-plotly-plot .scatterlayer .trace").count() >= 3
        screenshot(page, "report.png")
        assert requests == []
        assert errors == [], errors
