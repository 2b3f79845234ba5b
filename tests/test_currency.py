"""A spec's `[data] currency` is shown wherever the report and the CLI plan show money."""

from __future__ import annotations

import dataclasses
import re

import pytest
import tomli_w
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.errors import SpecError
from mixscope.insights.formatting import with_currency
from mixscope.spec import parse_spec, run_currency

SPEC = {
    "data": {"path": "data.csv", "kpi": "revenue", "currency": "EUR", "name": "Acme DE"},
    "channels": {"tv": {"spend": "tv_spend"}},
}


def test_currency_and_name_parse_round_trip_and_validate(tmp_path):
    spec = parse_spec(SPEC, base_dir=tmp_path)
    assert (spec.data.currency, spec.data.name) == ("EUR", "Acme DE")
    (tmp_path / "spec.toml").write_text(tomli_w.dumps(spec.to_dict()), encoding="utf-8")
    assert run_currency(tmp_path) == "EUR"
    assert parse_spec({**SPEC, "data": {"path": "data.csv"}}).data.currency is None
    assert "currency" not in parse_spec({**SPEC, "data": {"path": "data.csv"}}).to_dict()["data"]
    with pytest.raises(SpecError, match="currency must be 1 to 5"):
        parse_spec({**SPEC, "data": {"path": "data.csv", "currency": "euros!"}})
    with pytest.raises(SpecError, match="currency"):
        parse_spec({**SPEC, "data": {"path": "data.csv", "currency": 978}})


def test_with_currency_puts_codes_after_and_symbols_before_the_sign():
    assert with_currency("1,200", "EUR") == "1,200 EUR"
    assert with_currency("-1,200", "€") == "-€1,200"
    assert with_currency("+1,200", "R$") == "+R$1,200"
    assert with_currency("1,200", None) == "1,200"


def _with_currency(monkeypatch, currency):
    """Runs loaded as if their spec named ``currency`` (the shared run must not be edited)."""
    import mixscope.run

    load_run = mixscope.run.load_run

    def patched(path):
        run = load_run(path)
        return dataclasses.replace(run, spec=dataclasses.replace(
            run.spec, data=dataclasses.replace(run.spec.data, currency=currency)))

    monkeypatch.setattr(mixscope.run, "load_run", patched)
    monkeypatch.setattr("mixscope.spec.run_currency", lambda run_dir: currency)


def test_report_shows_the_currency_on_money(national_surface_dir, monkeypatch):
    from mixscope.report.html import build_report

    _with_currency(monkeypatch, "€")
    sections = {s.key: s for s in build_report(national_surface_dir, narrative=False).sections}
    assert "spend</td><td>€" in sections["data"].body
    assert "today's budget (€" in sections["plan"].body
    layouts = " ".join(str(figure.layout.to_plotly_json()) for key in ("data", "curves", "plan")
                       for figure in sections[key].figures)
    assert "spend (€)" in layouts and "reference window (€)" in layouts
    assert "(currency)" not in layouts


def test_cli_plan_shows_the_currency(national_surface_dir, monkeypatch):
    _with_currency(monkeypatch, "EUR")
    result = CliRunner().invoke(app, ["plan", str(national_surface_dir)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert result.output.count("(EUR)") == 2  # the current and recommended columns (headers may wrap)
    assert re.search(r"Total [\d,]+ EUR \(current [\d,]+ EUR\)", result.output)
