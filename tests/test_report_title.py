"""The report is titled by the spec's name and the KPI, not by the run folder."""

from __future__ import annotations

import dataclasses

from mixscope.report.html import build_report, report_title


def test_report_title_names_the_model_and_the_kpi():
    assert report_title("Acme DE", "revenue") == "Acme DE: revenue mix model report"
    assert report_title(None, "sales_EUR") == "Sales_EUR mix model report"


def test_report_uses_the_spec_name_and_keeps_the_folder_as_a_fact(national_run_dir, monkeypatch):
    import mixscope.run

    load_run = mixscope.run.load_run

    def named(path):
        run = load_run(path)
        data = dataclasses.replace(run.spec.data, name="Acme <DE>")
        return dataclasses.replace(run, spec=dataclasses.replace(run.spec, data=data))

    monkeypatch.setattr(mixscope.run, "load_run", named)
    report = build_report(national_run_dir, narrative=False)
    kpi = report.facts["KPI"].split(" (")[0]
    assert report.title == f"Acme <DE>: {kpi} mix model report"
    assert report.facts["run"] == national_run_dir.name
    html = report.to_html()
    assert f"<h1>Acme &lt;DE&gt;: {kpi} mix model report</h1>" in html
    assert national_run_dir.name not in report.title
