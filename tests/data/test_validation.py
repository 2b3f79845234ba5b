"""The validation report and the checks' finer points (the malformed-input tour is in
test_bad_inputs.py)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from mixscope.data import Finding, ValidationReport, validate_frame
from mixscope.data.columns import parse_dates, parse_numbers
from mixscope.errors import DataError


def codes(report: ValidationReport) -> list[str]:
    return [finding.code for finding in report.findings]


@pytest.fixture
def spec(make_spec):
    return make_spec(path="data.csv")


@pytest.fixture
def geo_spec(make_spec):
    return make_spec(path="data.csv", geo=True)


# --------------------------------------------------------------------------- report

REPORT = ValidationReport(
    "data.csv",
    (
        Finding("warning", "limited_history", "Short. Add more history.", "date"),
        Finding("error", "negative_spend", "Negative. Fix it.", "tv_spend", (3, 7)),
    ),
)


def test_report_properties():
    assert [finding.code for finding in REPORT.errors] == ["negative_spend"]
    assert [finding.code for finding in REPORT.warnings] == ["limited_history"]
    assert not REPORT.ok
    assert ValidationReport("data.csv", REPORT.warnings).ok
    with pytest.raises(dataclasses.FrozenInstanceError):
        REPORT.findings[0].level = "error"  # type: ignore[misc]


def test_report_to_dict_is_json():
    payload = json.loads(json.dumps(REPORT.to_dict()))
    assert payload["source"] == "data.csv"
    assert payload["ok"] is False
    assert (payload["n_errors"], payload["n_warnings"]) == (1, 1)
    assert payload["findings"][1] == {
        "level": "error", "code": "negative_spend", "message": "Negative. Fix it.",
        "column": "tv_spend", "rows": [3, 7],
    }


def test_report_format():
    paragraphs = REPORT.format().split("\n\n")
    assert paragraphs[0].startswith("Validation of data.csv: 1 error, 1 warning.")
    assert "row 1 is the first row after the header" in paragraphs[0]
    assert paragraphs[1] == "WARNING [limited_history] Short. Add more history."
    assert paragraphs[2] == "ERROR [negative_spend] Negative. Fix it."
    assert ValidationReport("x.csv").format() == "Validation of x.csv: no problems found."


def test_raise_for_errors():
    with pytest.raises(DataError) as caught:
        REPORT.raise_for_errors()
    assert str(caught.value) == REPORT.format()
    ValidationReport("data.csv", REPORT.warnings).raise_for_errors()  # warnings never raise


# --------------------------------------------------------------------------- clean data


@pytest.mark.parametrize("geo", [False, True], ids=["national", "geo"])
def test_valid_tables_have_no_findings(geo, make_frame, make_spec):
    report = validate_frame(make_frame(geo=geo), make_spec(path="data.csv", geo=geo))
    assert report.findings == (), report.format()
    assert report.source.endswith("data.csv")


def test_typed_columns_are_accepted(make_frame, spec):
    frame = make_frame()
    typed = frame.assign(
        date=pd.to_datetime(frame["date"]).dt.tz_localize("Europe/Berlin"),
        price=frame["price"].astype("float32"),
        search_spend=frame["search_spend"].round().astype("Int64"),
    )
    assert validate_frame(typed, spec).findings == ()


def test_daily_data_is_supported(make_frame, spec):
    frame = make_frame(weeks=800)
    frame["date"] = pd.date_range("2021-01-01", periods=800, freq="D").strftime("%Y-%m-%d")
    assert validate_frame(frame, spec).findings == ()
    short = validate_frame(frame.iloc[:200], spec)
    assert codes(short) == ["short_history"]
    assert "200 daily periods (about 29 weeks)" in short.findings[0].message


# --------------------------------------------------------------------------- rows and gating


def test_long_row_lists_are_cut_but_rows_kept(make_frame, spec):
    frame = make_frame()
    frame.loc[10:29, "tv_spend"] = -1.0
    finding = validate_frame(frame, spec).errors[0]
    assert finding.rows == tuple(range(11, 31))
    assert "rows 11, 12, 13, 14, 15, 16, 17, 18 (2021-03-15," in finding.message
    assert "and 12 more; value -1." in finding.message


def test_rows_are_positions_not_index_labels(make_frame, spec):
    frame = make_frame()
    frame.index = frame.index + 1000
    frame.iloc[4, frame.columns.get_loc("tv_spend")] = -5.0
    assert validate_frame(frame, spec).errors[0].rows == (5,)


def test_missing_columns_stop_the_other_checks(make_frame, spec):
    frame = make_frame().drop(columns=["price"])
    frame.loc[3, "tv_spend"] = -1.0
    assert codes(validate_frame(frame, spec)) == ["missing_column"]


def test_duplicate_and_empty_tables(make_frame, spec):
    frame = make_frame()
    doubled = pd.concat([frame, frame[["price"]]], axis=1)
    assert codes(validate_frame(doubled, spec)) == ["duplicate_column"]
    assert codes(validate_frame(frame.iloc[:0], spec)) == ["no_rows"]


def test_bad_dates_skip_the_calendar_checks(make_frame, spec):
    frame = make_frame().drop(index=[50])
    frame.loc[3, "date"] = "someday"
    assert codes(validate_frame(frame, spec)) == ["non_date"]


# --------------------------------------------------------------------------- geo calendars


def test_a_gap_shared_by_all_geos_is_a_missing_period(make_frame, geo_spec):
    frame = make_frame(geo=True)
    frame = frame[frame["date"] != "2021-06-07"]
    report = validate_frame(frame, geo_spec)
    assert codes(report) == ["missing_periods"]
    assert "2021-06-07" in report.findings[0].message


def test_a_gap_in_one_geo_is_a_geo_mismatch(make_frame, geo_spec):
    frame = make_frame(geo=True)
    frame = frame[~((frame["geo"] == "north") & (frame["date"] == "2021-06-07"))]
    report = validate_frame(frame, geo_spec)
    assert codes(report) == ["geo_dates_differ"]
    assert "'north' lacks 2021-06-07" in report.findings[0].message


def test_duplicates_are_per_geo(make_frame, geo_spec):
    frame = make_frame(geo=True)
    frame = pd.concat([frame, frame.iloc[[130]]], ignore_index=True)
    finding = validate_frame(frame, geo_spec).errors[0]
    assert finding.code == "duplicate_period"
    assert finding.rows == (131, 361)
    assert "north 2021-03-15" in finding.message


# --------------------------------------------------------------------------- collinearity


def test_a_channel_that_is_the_sum_of_others_is_an_error(make_frame, spec):
    frame = make_frame()
    frame["social_spend"] = frame["tv_spend"] + frame["search_spend"]
    report = validate_frame(frame, spec)
    assert codes(report) == ["collinear_spend"]
    assert all(name in report.findings[0].message for name in ("tv_", "search_", "social_"))


@pytest.mark.parametrize("geo", [False, True], ids=["national", "geo"])
def test_a_control_that_moves_with_a_spend_is_flagged_as_a_likely_mediator(geo, make_frame, make_spec):
    frame = make_frame(geo=geo)
    rng = np.random.default_rng(3)
    # Clicks bought by search: r ~ 0.98 with search spend, no relation to the other channels.
    frame["search_clicks"] = frame["search_spend"] * 0.4 + rng.normal(0, 150, len(frame))
    spec = make_spec(path="data.csv", geo=geo, controls=["price", "search_clicks"])
    report = validate_frame(frame, spec)
    assert codes(report) == ["control_tracks_spend"], report.format()
    finding = report.findings[0]
    assert finding.level == "warning" and finding.column == "search_clicks"
    assert "'search_clicks'" in finding.message and "'search_spend'" in finding.message
    assert "[channels.search]" in finding.message and "remove it from `controls`" in finding.message
    assert ("pooled over geos" in finding.message) == geo
    assert report.ok  # a warning: it does not stop the fit


def test_a_loosely_related_control_is_not_flagged(make_frame, make_spec):
    frame = make_frame()
    rng = np.random.default_rng(3)
    # r ~ 0.9 with search spend: related, but under the mediator threshold.
    frame["search_clicks"] = frame["search_spend"] * 0.4 + rng.normal(0, 600, len(frame))
    r = np.corrcoef(frame["search_clicks"], frame["search_spend"])[0, 1]
    assert 0.8 < r < 0.95
    report = validate_frame(frame, make_spec(path="data.csv", controls=["price", "search_clicks"]))
    assert report.findings == (), report.format()


# --------------------------------------------------------------------------- outliers


def test_outliers_are_judged_per_geo(make_frame, geo_spec):
    frame = make_frame(geo=True)
    big = frame["geo"] == "west"
    frame.loc[big, ["revenue", "tv_spend"]] *= 1000  # a huge geo is not an outlier
    assert "outlier" not in codes(validate_frame(frame, geo_spec))


def test_sparse_spend_and_flat_kpi_are_not_outliers(make_frame, spec):
    frame = make_frame()
    frame["social_spend"] = 0.0
    frame.loc[::10, "social_spend"] = 5_000.0 + np.arange(12)
    frame["revenue"] = 100.0
    frame.loc[5, "revenue"] = 1e9  # MAD is 0: no robust scale, no verdict
    assert "outlier" not in codes(validate_frame(frame, spec))


# --------------------------------------------------------------------------- parsing


def test_parse_dates_and_numbers():
    dates = parse_dates(pd.Series(["2021-01-04", "2021-13-01", None]))
    assert dates.iloc[0] == pd.Timestamp("2021-01-04") and dates.iloc[1:].isna().all()
    assert parse_dates(pd.Series([20210104, 20210111])).iloc[1] == pd.Timestamp("2021-01-11")
    numbers = parse_numbers(pd.Series(["1.5", "1,200", "inf", None, True], dtype=object))
    assert numbers.iloc[0] == 1.5 and numbers.iloc[4] == 1.0
    assert numbers.iloc[1:4].isna().all()
