"""Holidays, events and treatments at the spec and the data gate: calendars, indicators, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixscope.data import load_dataset, validate_frame
from mixscope.data.calendar import MAX_HOLIDAY_COLUMNS, OTHER_HOLIDAYS, _merge, holiday_indicators
from mixscope.data.events import event_indicators
from mixscope.errors import DataError, SpecError
from mixscope.model.terms import build_terms
from mixscope.spec import parse_spec
from mixscope.spec_terms import HolidaySpec, NormalPrior, TreatmentSpec

ROBYN_HOLIDAYS = Path(__file__).resolve().parents[3] / "shared" / "data" / "robyn" / "dt_prophet_holidays.csv"
MONDAYS = np.arange(np.datetime64("2022-01-03"), np.datetime64("2022-01-03") + 7 * 104, 7)


def _spec(**data):
    return parse_spec({"data": {"path": "data.csv", **data}, "channels": {"tv": {"spend": "tv_spend"}}})


# --------------------------------------------------------------------------- holidays


def test_a_holiday_counts_in_the_week_that_contains_it():
    names, design = holiday_indicators(MONDAYS, HolidaySpec("US"))
    thanksgiving = design[:, names.index("Thanksgiving Day")]
    weeks = MONDAYS[thanksgiving == 1]
    # Thursdays 2022-11-24 and 2023-11-23: the weeks starting on the Mondays before.
    np.testing.assert_array_equal(weeks, np.array(["2022-11-21", "2023-11-20"], dtype="datetime64[D]"))
    assert design.shape == (104, len(names)) and set(np.unique(design)) == {0.0, 1.0}


def test_a_window_also_marks_the_neighbouring_weeks():
    names, design = holiday_indicators(MONDAYS, HolidaySpec("US", window=1))
    weeks = MONDAYS[design[:, names.index("Thanksgiving Day")] == 1]
    assert [str(w) for w in weeks] == [
        "2022-11-14", "2022-11-21", "2022-11-28", "2023-11-13", "2023-11-20", "2023-11-27",
    ]


def test_observed_days_join_their_holiday_and_same_week_holidays_merge():
    names, _ = holiday_indicators(MONDAYS, HolidaySpec("US-CA"))
    assert not any("observed" in name for name in names)
    # The day after Thanksgiving is always in Thanksgiving's week: one column, both names.
    assert "Thanksgiving Day + Day After Thanksgiving" in names


def test_past_the_cap_the_tail_merges_into_other_holidays():
    columns = {f"h{i}": np.eye(40)[i] for i in range(MAX_HOLIDAY_COLUMNS + 4)}
    names, design = _merge(columns)
    assert len(names) == MAX_HOLIDAY_COLUMNS and names[-1] == OTHER_HOLIDAYS
    assert design[:, -1].sum() == 5  # the five holidays past the first fifteen


@pytest.mark.skipif(not ROBYN_HOLIDAYS.is_file(), reason="shared/ data not present")
def test_a_prophet_holidays_file_gives_the_same_us_calendar_shape():
    names, design = holiday_indicators(MONDAYS, HolidaySpec("US", file=ROBYN_HOLIDAYS))
    assert "Thanksgiving" in names and "Christmas Day" in names
    assert design[:, names.index("Thanksgiving")].sum() == 2


def test_a_holidays_file_without_the_country_names_what_it_has(tmp_path):
    path = tmp_path / "h.csv"
    pd.DataFrame({"ds": ["2022-12-25"], "holiday": ["Christmas"], "country": ["DE"], "year": [2022]}).to_csv(
        path, index=False
    )
    with pytest.raises(DataError, match=r"no rows for country 'US'.*it has: DE"):
        holiday_indicators(MONDAYS, HolidaySpec("US", file=path))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("XX", r"holidays = 'XX'.*not a country code.*list_supported_countries"),
        ("us", r"Country codes are upper case: 'US'"),
        ("US-ZZ", r"'ZZ' is not a subdivision of US.*CA"),
        (3, r"`holidays` must be a country code"),
    ],
)
def test_an_unknown_country_is_an_error_naming_field_and_value(value, message):
    with pytest.raises(SpecError, match=message):
        _spec(holidays=value)


def test_holiday_keys_parse_and_round_trip(tmp_path):
    spec = parse_spec(
        {"data": {"path": "d.csv", "holidays": "US-CA", "holiday_window": 1, "events": ["events"]},
         "channels": {"tv": {"spend": "tv"}},
         "treatments": {"price": {"column": "price", "baseline": 4.99, "prior": {"mean": -1.0, "sd": 2.0}}}},
        base_dir=tmp_path,
    )
    assert spec.data.holidays == HolidaySpec("US-CA", 1)
    assert spec.data.events == ("events",)
    assert spec.treatments == (TreatmentSpec("price", "price", 4.99, NormalPrior(-1.0, 2.0)),)
    assert parse_spec(spec.to_dict()) == spec
    # Specs without them write no new keys, so their hashes are unchanged.
    plain = _spec().to_dict()
    assert "treatments" not in plain and not {"holidays", "events"} & set(plain["data"])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"data": {"holiday_window": 1}}, "sets `holiday_window` but not `holidays`"),
        ({"data": {"holidays": "US", "holiday_window": 9}}, "holiday_window` must be a whole number"),
        ({"data": {"events": "events"}, "treatments": {"price": {}}}, r"needs `column = \"COLUMN\"`"),
        ({"treatments": {"price": {"column": "price", "baseline": "regular"}}},
         "baseline = 'regular' is not a number"),
        ({"treatments": {"price": {"column": "price", "baseline": True}}}, "baseline must be a number"),
        ({"treatments": {"price": {"column": "price", "prior": {"mean": 1}}}}, "`prior` must be a table"),
        ({"treatments": {"price": {"column": "price", "level": 1}}}, "unknown key `level`"),
    ],
)
def test_bad_treatment_and_holiday_keys_are_spec_errors(raw, message):
    data = {"path": "d.csv", **raw.get("data", {})}
    with pytest.raises(SpecError, match=message):
        parse_spec({"data": data, "channels": {"tv": {"spend": "tv"}}, **{
            key: value for key, value in raw.items() if key != "data"}})


# --------------------------------------------------------------------------- events


def test_an_event_column_becomes_one_indicator_per_level_without_the_reference():
    values = np.array([["na", "event1", "event2", "", None, "NA", "event1"]], dtype=object)
    names, design = event_indicators("events", values)
    assert names == ("events=event1", "events=event2")
    np.testing.assert_array_equal(design[0].T, [[0, 1, 0, 0, 0, 0, 1], [0, 0, 1, 0, 0, 0, 0]])


def _events_frame(make_frame, values):
    frame = make_frame()
    frame["events"] = values
    return frame


def test_a_numeric_many_level_events_column_is_refused(make_frame, make_spec):
    frame = _events_frame(make_frame, np.arange(len(make_frame())) % 30 * 1.5)
    report = validate_frame(frame, make_spec(path="data.csv", events=["events"]))
    [finding] = [f for f in report.errors if f.code == "not_categorical_event"]
    assert "Column 'events'" in finding.message and "list it under `controls`" in finding.message


def test_an_events_column_without_any_event_is_refused(make_frame, make_spec):
    report = validate_frame(_events_frame(make_frame, "na"), make_spec(path="data.csv", events=["events"]))
    assert [f.code for f in report.errors] == ["not_categorical_event"]


def test_a_categorical_events_column_passes_and_a_missing_treatment_is_named(make_frame, make_spec):
    frame = _events_frame(make_frame, np.where(np.arange(len(make_frame())) % 10 == 0, "sale", "na"))
    assert validate_frame(frame, make_spec(path="data.csv", events=["events"])).ok
    spec = parse_spec({**make_spec(path="data.csv", events=["events"]).to_dict(),
                       "treatments": {"discount": {"column": "discount_pct", "baseline": 0}}})
    [finding] = validate_frame(frame, spec).errors
    assert finding.code == "missing_column" and "'discount_pct' (treatment 'discount'" in finding.message


def test_a_non_numeric_treatment_column_is_an_error(make_frame, make_spec, write_table, tmp_path):
    frame = make_frame()
    frame["promo_price"] = np.where(np.arange(len(frame)) % 3, "4.99", "cheap")
    write_table(frame, "data.csv")
    raw = make_spec(path="data.csv").to_dict()
    raw["treatments"] = {"promo": {"column": "promo_price", "baseline": 4.99}}
    with pytest.raises(DataError, match=r"Column 'promo_price' \(treatment 'promo'\) has non-numeric values"):
        load_dataset(parse_spec(raw, base_dir=tmp_path))


def test_daily_data_marks_the_day_and_a_window_of_days():
    days = np.arange(np.datetime64("2023-12-20"), np.datetime64("2024-01-05"))
    names, design = holiday_indicators(days, HolidaySpec("US", window=1))
    christmas = days[design[:, names.index("Christmas Day")] == 1]
    assert [str(day) for day in christmas] == ["2023-12-24", "2023-12-25", "2023-12-26"]


# --------------------------------------------------------------------------- per-geo calendars


def test_per_geo_calendars_parse_round_trip_and_refuse_unknown_codes_by_geo(tmp_path):
    spec = _spec(holidays={"west": "US-CA", "*": "US"}, holiday_window=1)
    assert spec.data.holidays == HolidaySpec("US", 1, None, (("west", "US-CA"),))
    assert spec.data.holidays.calendar_of("west") == "US-CA"
    assert spec.data.holidays.calendar_of("north") == "US"
    assert parse_spec(spec.to_dict()) == spec
    assert _spec(holidays={"west": "US-CA"}).data.holidays.calendar_of("north") is None
    with pytest.raises(SpecError, match=r"\[data\] holidays, geo 'north' = 'XX': 'XX' is not a country code"):
        _spec(holidays={"west": "US-CA", "north": "XX"})
    with pytest.raises(SpecError, match=r"holidays, geo 'west' = 'US-ZZ': 'ZZ' is not a subdivision of US"):
        _spec(holidays={"west": "US-ZZ"})
    with pytest.raises(SpecError, match=r"holidays, geo 'west' must be a country code"):
        _spec(holidays={"west": 3})
    with pytest.raises(SpecError, match="holidays is an empty table"):
        _spec(holidays={})


def test_each_geo_gets_its_own_calendar_in_the_fit_design(make_frame, make_spec, tmp_path):
    """The model's holiday block is (geo, time, holiday): California's Cesar Chavez Day is on in
    west only, Christmas in every geo, Washington's Birthday (California's Presidents' Day) elsewhere."""
    from mixscope.data.build import build_dataset
    from mixscope.model.inputs import build_inputs, compute_scaling

    spec = make_spec(path="data.csv", geo=True, holidays={"west": "US-CA", "*": "US"})
    dataset = build_dataset(make_frame(geo=True), spec)
    [block] = build_terms(dataset, spec, compute_scaling(dataset).kpi_scale)
    assert block.kind == "holiday" and block.design.shape == (3, dataset.n_times, len(block.names))
    geos = {geo: g for g, geo in enumerate(dataset.geos)}
    on = {name: block.design[:, :, k].any(axis=1) for k, name in enumerate(block.names)}
    assert list(on["Cesar Chavez Day"]) == [geo == "west" for geo in dataset.geos]
    assert on["Christmas Day"].all()
    assert sorted(geo for geo, g in geos.items() if on["Washington's Birthday"][g]) == ["north", "south"]
    inputs = build_inputs(dataset, spec, compute_scaling(dataset))
    assert inputs.terms[0].design.shape[0] == 3  # the fit reads the per-geo design


def test_per_geo_holidays_name_a_geo_without_a_calendar_or_not_in_the_data(make_frame, make_spec):
    from mixscope.data.build import build_dataset
    from mixscope.model.inputs import compute_scaling

    def terms(holidays):
        spec = make_spec(path="data.csv", geo=True, holidays=holidays)
        dataset = build_dataset(make_frame(geo=True), spec)
        return build_terms(dataset, spec, compute_scaling(dataset).kpi_scale)

    with pytest.raises(DataError, match=r"gives no calendar to geo\(s\) 'north', 'south'.*\"\*\" = \"CODE\""):
        terms({"west": "US-CA"})
    with pytest.raises(DataError, match=r"names geo\(s\) 'east' \(calendar 'US'\) that the data does not"):
        terms({"east": "US", "*": "US"})


# --------------------------------------------------------------------------- per-geo calendars at validate


def _project(tmp_path, make_frame, make_spec_dict, geo=True, **data):
    """A spec file and its data under ``tmp_path``; the spec's path."""
    import tomli_w

    make_frame(geo=geo).to_csv(tmp_path / "data.csv", index=False)
    path = tmp_path / "spec.toml"
    path.write_text(tomli_w.dumps(make_spec_dict(path="data.csv", geo=geo, **data)), encoding="utf-8")
    return path


def _validate(spec_path):
    import json

    from typer.testing import CliRunner

    from mixscope.cli import app

    result = CliRunner().invoke(app, ["validate", str(spec_path), "--json"], catch_exceptions=False)
    findings = json.loads(result.stdout)["findings"] if result.exit_code in (0, 1) else []
    return result, [f["message"] for f in findings if f["code"] == "holiday_calendar"]


def test_validate_names_a_listed_geo_the_data_lacks_and_the_geos_left_without_a_calendar(
        tmp_path, make_frame, make_spec_dict):
    from mixscope.spec import load_spec

    spec_path = _project(tmp_path, make_frame, make_spec_dict, holidays={"east": "US", "west": "US-CA"})
    result, messages = _validate(spec_path)
    assert result.exit_code == 1
    assert messages == [
        "[data] holidays names geo(s) 'east' (calendar 'US') that the data does not have; its geos are: "
        "north, south, west. Correct the name (it must match the geo column exactly) or remove it from "
        "`holidays`.",
        "[data] holidays gives no calendar to geo(s) 'north', 'south'; list them, or add \"*\" = \"CODE\" "
        "for every geo not listed.",
    ]
    with pytest.raises(DataError, match=r"\[holiday_calendar\] \[data\] holidays names geo\(s\) 'east'"):
        load_dataset(load_spec(spec_path))  # the gate every fit goes through
    assert _validate(_project(tmp_path, make_frame, make_spec_dict,
                              holidays={"west": "US-CA", "*": "US"}))[1] == []


def test_validate_refuses_per_geo_calendars_on_national_data(tmp_path, make_frame, make_spec_dict):
    spec_path = _project(tmp_path, make_frame, make_spec_dict, geo=False, holidays={"west": "US-CA"})
    result, messages = _validate(spec_path)
    assert result.exit_code == 1
    assert messages == [
        "[data] holidays names geo(s) 'west' (calendar 'US-CA'), but the data is national (no `geo` in "
        '[data]); give one calendar for all of it, e.g. holidays = "US".'
    ]


def test_validate_names_the_geo_whose_country_code_is_unknown(tmp_path, make_frame, make_spec_dict):
    spec_path = _project(tmp_path, make_frame, make_spec_dict, holidays={"west": "US-XX", "*": "US"})
    result, _ = _validate(spec_path)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "[data] holidays, geo 'west' = 'US-XX': 'XX' is not a subdivision of US" in result.stderr


def test_validate_names_the_geo_whose_code_the_holidays_file_lacks(tmp_path, make_frame, make_spec_dict):
    calendar = tmp_path / "holidays.csv"
    pd.DataFrame({"ds": ["2021-12-25", "2022-12-25"], "holiday": ["Christmas Day"] * 2,
                  "country": ["US", "US"], "year": [2021, 2022]}).to_csv(calendar, index=False)
    spec_path = _project(tmp_path, make_frame, make_spec_dict, holidays={"west": "DE", "*": "US"},
                         holidays_file="holidays.csv")
    result, messages = _validate(spec_path)
    assert result.exit_code == 1
    assert messages == [
        f"Holidays file {calendar} has no rows for country 'DE' (`holidays` in [data], the calendar of "
        "geo(s) 'west'); it has: US. Add that country's holidays to the file, or use a code it has."
    ]
    calendar.unlink()
    assert _validate(spec_path)[1] == [
        f"Holidays file {calendar} (set by `holidays_file` in [data]) does not exist; fix the path (a "
        "relative path is resolved against the spec file's folder)."
    ]
