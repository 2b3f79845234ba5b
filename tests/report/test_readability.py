"""The report reads cleanly: round ticks, no label over a whisker, the data's edge on the curves, and the
baseline split into its components."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixscope.plan.optimize import plan_extrapolation
from mixscope.report import baseline as baseline_module
from mixscope.report import build_report, figures
from mixscope.report.baseline import baseline_components
from mixscope.report.ticks import nice_step, round_axis, significant_digits
from mixscope.run import load_run
from mixscope.surface.support import observed_max_spend

# --------------------------------------------------------------------------- round ticks


@pytest.mark.parametrize(("low", "high"), [(2.367e6, 3.613e6), (1.098e6, 1.681e6), (0.0, 412_345.0),
                                           (0.0, 0.0031), (-3.2, 7.9), (17.0, 17.0), (0.0, 9.2e9)])
def test_round_axis_covers_the_data_in_round_steps(low, high):
    axis = round_axis(low, high)
    assert significant_digits(axis.step) <= 2
    assert axis.start <= low and axis.stop >= high
    for end in (axis.start, axis.stop):
        assert end / axis.step == pytest.approx(round(end / axis.step), abs=1e-9)  # ticks land on both ends
    assert 3 <= round((axis.stop - axis.start) / axis.step) <= 12


def test_significant_digits_tells_round_from_not():
    assert [significant_digits(v) for v in (3.613e6, 2.99e6, 2.5e6, 1e5, 0.0)] == [4, 3, 2, 1, 0]
    assert nice_step(623_000) == 100_000 and nice_step(1.2e6) == 250_000


def _axis_ticks_are_round(axis: dict) -> bool:
    return (axis.get("tickmode") == "linear" and axis.get("tick0") == 0
            and significant_digits(axis["dtick"]) <= 2)


def test_the_two_axes_of_the_data_overview_have_round_ticks():
    dates = pd.Series(pd.date_range("2024-01-01", periods=6, freq="W"))
    kpi = pd.Series([2.367e6, 2.99e6, 3.613e6, 3.1e6, 2.8e6, 3.0e6])
    spend = pd.DataFrame({"tv": [123_456.0, 98_765, 0, 55_555, 77_777, 66_666], "search": [31_234.0] * 6})
    layout = figures.data_overview(dates, kpi, spend, "revenue").layout.to_plotly_json()
    for name, high, low in (("yaxis", spend.sum(axis=1).max(), 0.0), ("yaxis2", kpi.max(), kpi.min())):
        axis = layout[name]
        assert _axis_ticks_are_round(axis), (name, axis)
        assert axis["range"][0] <= low and axis["range"][1] >= high


def test_no_axis_of_the_report_lines_its_ticks_up_with_another(national_surface_dir):
    """An axis overlaying another gets Plotly's 'sync' ticks (3.613M, 2.99M …) unless it sets its own."""
    report = build_report(national_surface_dir, narrative=False)
    overlaying = 0
    for section in report.sections:
        for figure in section.figures:
            for name, axis in figure.layout.to_plotly_json().items():
                if name.startswith(("xaxis", "yaxis")) and axis.get("overlaying"):
                    overlaying += 1
                    assert _axis_ticks_are_round(axis), (section.key, name, axis)
                if name.startswith(("xaxis", "yaxis")) and "dtick" in axis:
                    assert significant_digits(axis["dtick"]) <= 2, (section.key, name)
    assert overlaying >= 1  # the data overview's KPI axis


# --------------------------------------------------------------------------- labels clear of whiskers


SHARES = {"tv": {"mean": 0.12, "ci_90": [0.05, 0.2]}, "search": {"mean": 0.031, "ci_90": [0.01, 0.06]}}


def test_shares_are_written_under_the_bars_not_where_the_whiskers_run():
    figure = figures.contribution_shares(SHARES, {"mean": 0.849, "ci_90": [0.78, 0.92]})
    bar = figure.data[0]
    assert bar.textposition == "none" and bar.error_y.array is not None
    ticks = figure.layout.xaxis
    assert list(ticks.tickvals) == ["baseline", "tv", "search"]
    shares = [text.split("<br>")[1] for text in ticks.ticktext]
    assert shares == ["<b>84.9%</b>", "<b>12.0%</b>", "<b>3.1%</b>"]
    assert "90% interval" in bar.hovertemplate


def test_the_break_even_label_sits_past_the_plot_edge():
    roi = {"tv": {"mean": 1.1, "ci_90": [0.6, 1.8]}, "radio": {"mean": 0.9, "ci_90": [0.4, 1.5]}}
    figure = figures.roi_mroi(roi, roi, "revenue per unit of spend", break_even=True)
    (label,) = [a for a in figure.layout.annotations if "break-even" in a.text]
    assert (label.xref, label.x, label.xanchor, label.yref, label.y) == ("paper", 1.0, "left", "y", 1.0)
    assert figure.layout.margin.r >= figures.BREAK_EVEN_MARGIN  # room for it beside the plot
    assert any(shape.y0 == shape.y1 == 1.0 for shape in figure.layout.shapes)  # the line itself
    without = figures.roi_mroi(roi, roi, "KPI per unit of spend", break_even=False)
    assert not without.layout.annotations and not without.layout.shapes


# --------------------------------------------------------------------------- the data's edge on the curves


def test_observed_edge_is_where_the_peak_week_reaches_the_data():
    grid = np.array([0.0, 100.0, 200.0, 300.0])
    assert observed_max_spend({"peak_ratio": [0.0, 0.5, 1.5, 2.0]}, grid) == pytest.approx(150.0)
    assert observed_max_spend({"peak_ratio": [0.0, 1.0, 1.5, 2.0]}, grid) == pytest.approx(100.0)
    assert observed_max_spend({"peak_ratio": [0.0, 0.2, 0.4, 0.6]}, grid) is None


def test_response_curves_shade_the_spend_past_the_data(national_surface_dir, surface):
    report = build_report(national_surface_dir, narrative=False)
    (figure,) = next(section for section in report.sections if section.key == "curves").figures
    shapes = figure.layout.shapes
    support = surface.manifest["support"]
    shaded = 0
    for c, name in enumerate(surface.channels):
        edge = observed_max_spend(support[name], surface.curves.spend_grid[c])
        assert edge is not None, name
        # At the edge the plan's strongest week is the data's largest: what-if's peak_ratio reads 1 there.
        spend = surface.historical_plan()
        spend[c] = edge
        assert plan_extrapolation(surface, spend)[name]["peak_ratio"] == pytest.approx(1.0, abs=1e-3)
        mine = [shape for shape in shapes if shape.x0 == pytest.approx(edge)]
        assert {shape.type for shape in mine} == {"rect", "line"}, name
        shaded += 1
    assert shaded == len(surface.channels)
    assert any(trace.name == "past the largest weekly media level seen" for trace in figure.data)


# --------------------------------------------------------------------------- the baseline split


def test_the_baseline_components_add_up_to_the_baseline(national_run_dir):
    run = load_run(national_run_dir)
    parts = baseline_components(run)
    assert [part.name for part in parts] == ["trend", "seasonality",
                                             *(f"control: {name}" for name in run.dataset.control_names)]
    total = sum(part.values for part in parts)
    stored = run.predictions["baseline_mean"].to_numpy().reshape(total.shape)
    np.testing.assert_allclose(total, stored, rtol=1e-5, atol=1e-6 * np.abs(stored).max())
    assert np.ptp(parts[1].values) > 0  # seasonality moves, it is not folded into the trend

    frame = figures.decomposition(run.predictions, run.summary["channels"], parts)
    split = [f"baseline: {part.name}" for part in parts]
    assert list(frame.columns) == ["date", "baseline", *run.summary["channels"], *split]
    np.testing.assert_allclose(frame[split].sum(axis=1), frame["baseline"], rtol=1e-5)

    chart = figures.contribution_over_time(run.predictions, run.summary["channels"], "revenue", parts)
    names = [trace.name for trace in chart.data]
    assert names == [part.name for part in parts] + list(run.summary["channels"])
    assert "baseline" not in names  # no single grey block


def test_one_more_component_is_one_more_entry(national_run_dir, monkeypatch):
    """How issue 19's holidays/events term joins: a piece appended to COMPONENTS shows up by name."""
    def events(means, inputs, run):
        return [("holidays/events", np.zeros((inputs.controls.shape[0], inputs.n_times)))]

    monkeypatch.setattr(baseline_module, "COMPONENTS", (*baseline_module.COMPONENTS, events))
    names = [part.name for part in baseline_components(load_run(national_run_dir))]
    assert names[-1] == "holidays/events" and names[0] == "trend"


def test_a_split_that_does_not_add_up_is_left_out(national_run_dir, monkeypatch):
    def stray(means, inputs, run):
        return [("stray", np.ones((inputs.controls.shape[0], inputs.n_times)))]

    monkeypatch.setattr(baseline_module, "COMPONENTS", (*baseline_module.COMPONENTS, stray))
    assert baseline_components(load_run(national_run_dir)) == ()


@pytest.fixture(scope="module")
def organic_run_dir(tmp_path_factory):
    """The organic test project (tests/model/test_organic.py) fitted small and saved."""
    from mixscope.data import load_dataset
    from mixscope.pipeline import fit
    from mixscope.run import save_run
    from mixscope.spec import parse_spec
    from tests.model.test_organic import organic_project

    folder = tmp_path_factory.mktemp("organic_report")
    raw, _ = organic_project(folder)
    spec = parse_spec(raw, base_dir=folder)
    return save_run(fit(spec, load_dataset(spec)[0], progress=False), folder / "run")


def test_organic_media_is_its_own_term_and_the_baseline_split_adds_up(organic_run_dir):
    """With organic media the baseline still splits: organic stacks as its own term, as the paid
    media do, and the components add up to the baseline less it."""
    run = load_run(organic_run_dir)
    parts = baseline_components(run)
    assert [part.name for part in parts][:2] == ["trend", "seasonality"]
    organic = run.predictions["organic_newsletter"].to_numpy()
    # The stored term is the summary's organic contribution, period by period.
    assert organic.sum() == pytest.approx(run.summary["organic_contribution"]["newsletter"]["mean"], rel=1e-4)
    remainder = (run.predictions["baseline_mean"] - run.predictions["organic_newsletter"]).to_numpy()
    np.testing.assert_allclose(sum(part.values for part in parts).ravel(), remainder,
                               rtol=1e-5, atol=1e-5 * np.abs(remainder).max())
    frame = figures.decomposition(run.predictions, run.summary["channels"], parts)
    assert "organic: newsletter" in frame.columns
    total = frame[["baseline", *run.summary["channels"], "organic: newsletter"]].sum(axis=1)
    np.testing.assert_allclose(total, run.predictions.groupby("date")["expected_mean"].sum().to_numpy(),
                               rtol=1e-5)
    chart = figures.contribution_over_time(run.predictions, run.summary["channels"], "revenue", parts)
    assert "organic: newsletter" in [trace.name for trace in chart.data]
