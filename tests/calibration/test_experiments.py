"""Experiment files: every kind of bad input gives a clear error naming the row and the fix."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from mixscope.calibration import Experiment, ExperimentError, experiments_frame, load_experiments
from mixscope.calibration.experiments import parse_experiments

HEADER = "channel,start,end,spend_delta,incremental_kpi,standard_error"
GOOD = "tv,2022-05-23,2022-06-27,-300000,-450000,60000"  # simulated weeks 20..25
ACTIONS = ("fix", "drop", "add", "fill", "write", "rename", "merge", "widen", "name", "leave", "swap")


def load(tmp_path, dataset, text: str, name: str = "lifts.csv"):
    path = tmp_path / name
    path.write_text(text)
    return load_experiments(path, dataset)


def error_for(tmp_path, dataset, text: str, name: str = "lifts.csv") -> str:
    with pytest.raises(ExperimentError) as caught:
        load(tmp_path, dataset, text, name)
    message = str(caught.value)
    assert "Traceback" not in message
    assert any(action in message.lower() for action in ACTIONS), message
    return message


def test_good_csv_and_round_trip(tmp_path, lift_dataset):
    (experiment,) = load(tmp_path, lift_dataset, f"{HEADER}\n{GOOD}\n")
    assert isinstance(experiment, Experiment)
    assert experiment.channel == "tv" and experiment.geo is None and experiment.row == 1
    assert experiment.periods(lift_dataset).sum() == 6
    again = parse_experiments(experiments_frame([experiment]).astype(str), lift_dataset)
    assert again[0] == experiment


def test_confidence_interval_instead_of_standard_error(tmp_path, lift_dataset):
    text = "channel,start,end,spend_delta,incremental_kpi,ci_lower,ci_upper\n"
    text += "tv,2022-05-23,2022-06-27,-300000,-450000,-567598,-332402\n"
    (experiment,) = load(tmp_path, lift_dataset, text)
    assert math.isclose(experiment.standard_error, 60000, rel_tol=1e-3)  # 95% by default
    text = text.replace("ci_upper\n", "ci_upper,ci_level\n").rstrip() + ",0.9\n"
    (experiment,) = load(tmp_path, lift_dataset, text)
    assert math.isclose(experiment.standard_error, 235196 / (2 * 1.6449), rel_tol=1e-3)


def test_toml_list(tmp_path, lift_dataset):
    text = """
[[experiment]]
channel = "tv"
start = 2022-05-23
end = 2022-06-27
spend_delta = -300000
incremental_kpi = -450000
standard_error = 60000
name = "summer holdout"
"""
    (experiment,) = load(tmp_path, lift_dataset, text, "lifts.toml")
    assert experiment.name == "summer holdout" and experiment.spend_delta == -300000
    message = error_for(tmp_path, lift_dataset, text.replace("tv", "tvv"), "lifts.toml")
    assert "experiment 1" in message and "Did you mean `tv`" in message
    message = error_for(tmp_path, lift_dataset, "[experiments]\nchannel = 'tv'\n", "lifts.toml")
    assert "[[experiment]]" in message


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("tvv,2022-05-23,2022-06-27,-300000,-450000,60000", ["row 1", "channel `tvv`", "Did you mean `tv`"]),
        (",2022-05-23,2022-06-27,-300000,-450000,60000", ["row 1", "`channel` is empty"]),
        ("tv,2020-05-23,2020-06-27,-300000,-450000,60000", ["outside the data", "2022-01-03"]),
        ("tv,2022-05-23,2024-06-27,-300000,-450000,60000", ["outside the data"]),
        ("tv,2022-06-27,2022-05-23,-300000,-450000,60000", ["`end` 2022-05-23 is before `start`"]),
        ("tv,2022-05-24,2022-05-25,-300000,-450000,60000", ["contains no period start"]),
        ("tv,2022-05-23,2022-06-27,-300000,-450000,0", ["`standard_error` = 0 must be positive"]),
        ("tv,2022-05-23,2022-06-27,-300000,-450000,-5", ["must be positive"]),
        ("tv,2022-05-23,2022-06-27,-300000,-450000,", ["no `standard_error`"]),
        ("tv,2022-05-23,2022-06-27,lots,-450000,60000", ["`spend_delta` = 'lots' is not a number"]),
        ("tv,2022-05-23,2022-06-27,-300000,n/a,60000", ["`incremental_kpi` = 'n/a' is not a number"]),
        ("tv,2022-05-23,2022-06-27,-300000,-450000,inf", ["not finite"]),
        ("tv,2022-05-23,2022-06-27,,-450000,60000", ["`spend_delta` is missing"]),
        ("tv,2022-05-23,2022-06-27,0,-450000,60000", ["`spend_delta` is 0"]),
        ("tv,someday,2022-06-27,-300000,-450000,60000", ["`start` = 'someday' is not a date"]),
        ("tv,2022-05-23,2022-06-27,99000000,450000,60000", ["more than the", "data shows"]),
    ],
)
def test_bad_rows(tmp_path, lift_dataset, row, expected):
    message = error_for(tmp_path, lift_dataset, f"{HEADER}\n{row}\n")
    for part in expected:
        assert part in message, message


def test_all_problems_reported_at_once(tmp_path, lift_dataset):
    bad = "tvv,2022-05-23,2022-06-27,-300000,-450000,60000\ntv,2022-05-23,2022-06-27,1,2,-1"
    text = f"{HEADER}\n{GOOD}\n{bad}\n"
    message = error_for(tmp_path, lift_dataset, text)
    assert "row 2" in message and "row 3" in message
    assert len(message.split("\n\n")) == 2


def test_overlapping_duplicates(tmp_path, lift_dataset):
    overlapping = "tv,2022-06-13,2022-07-11,-200000,-250000,50000"
    message = error_for(tmp_path, lift_dataset, f"{HEADER}\n{GOOD}\n{overlapping}\n")
    assert "rows 1 and 2 both test tv in overlapping windows" in message and "merge" in message
    # Other channels, or the same channel at other times, are fine.
    other = "search,2022-05-23,2022-06-27,-100000,-150000,30000\ntv,2022-09-05,2022-09-26,-1e5,-1e5,4e4"
    assert len(load(tmp_path, lift_dataset, f"{HEADER}\n{GOOD}\n{other}\n")) == 3


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("channel,start,end,spend_delta,incremental_kpi", "standard_error (or ci_lower and ci_upper)"),
        ("channel,start,spend_delta,incremental_kpi,standard_error", "lacks column(s) end"),
        ("channel,start,end,spend_delta,incremental_kpi,std_error", "Did you mean `standard_error`"),
    ],
)
def test_bad_columns(tmp_path, lift_dataset, header, expected):
    assert expected in error_for(tmp_path, lift_dataset, f"{header}\n{GOOD}\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "is empty"),
        (f"{HEADER}\n", "has no experiments"),
        ("channel,start,end,spend_delta,incremental_kpi,ci_lower,ci_upper\n"
         "tv,2022-05-23,2022-06-27,-300000,-450000,-300000,-500000\n", "not above ci_lower"),
        ("channel,start,end,spend_delta,incremental_kpi,ci_lower,ci_upper,ci_level\n"
         "tv,2022-05-23,2022-06-27,-300000,-450000,-500000,-300000,95\n", "between 0 and 1"),
    ],
)
def test_bad_files(tmp_path, lift_dataset, text, expected):
    assert expected in error_for(tmp_path, lift_dataset, text)


def test_missing_file(tmp_path, lift_dataset):
    with pytest.raises(ExperimentError, match="does not exist"):
        load_experiments(tmp_path / "nope.csv", lift_dataset)


def test_geo_column(tmp_path, lift_dataset):
    # National data: "national" or empty is fine, anything else is an error.
    (experiment,) = load(tmp_path, lift_dataset, f"{HEADER},geo\n{GOOD},national\n")
    assert experiment.geo is None
    assert "data is national" in error_for(tmp_path, lift_dataset, f"{HEADER},geo\n{GOOD},geo_01\n")


def test_unknown_geo_in_geo_data(tmp_path):
    from mixscope.data import load_dataset
    from mixscope.simulate import write_simulated_project

    _, spec, _ = write_simulated_project(tmp_path / "geo", 3, 60, 1)
    dataset = load_dataset(spec)[0]
    row = "tv,2022-05-23,2022-06-27,-30000,-45000,6000"
    (experiment,) = load(tmp_path, dataset, f"{HEADER},geo\n{row},geo_01\n")
    assert experiment.geo == "geo_01"
    assert experiment.geo_mask(dataset).tolist() == [False, True, False]
    message = error_for(tmp_path, dataset, f"{HEADER},geo\n{row},geo_1\n")
    assert "geo `geo_1` is not in the data" in message and "Did you mean `geo_01`" in message
    # A test in one geo overlaps a test of the same channel across all geos.
    message = error_for(tmp_path, dataset, f"{HEADER},geo\n{row},geo_01\n{row},\n")
    assert "overlapping" in message


def test_frame_without_file(lift_dataset):
    frame = pd.DataFrame([{"channel": "radio", "start": "2022-05-23", "end": "2022-05-30",
                           "spend_delta": -1000.0, "incremental_kpi": -900.0, "standard_error": 300.0}])
    (experiment,) = parse_experiments(frame, lift_dataset)
    assert experiment.periods(lift_dataset).sum() == 2
