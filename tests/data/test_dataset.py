"""The data's identity (``Dataset.content_hash``): every column a run uses, and old runs' hashes kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixscope.data.build import build_dataset
from mixscope.errors import DataError
from mixscope.spec import parse_spec
from tests.data.conftest import build_frame, build_spec_dict

# The hashes of these tables before events and treatments counted (main at 24dccb3): a run stored
# then must still match its data. The tables are seeded, so they are the same on every machine.
HASHES_BEFORE = {
    False: "89e06607e87d0d6a630d940a0af6ebeaf0cdc1b0aba402f1460fd191ddee3665",
    True: "a2f50d0156e60b915d7feb89666ccc4290cb2038df338406fadbd3808c0b8612",
}


@pytest.mark.parametrize("geo", [False, True])
def test_data_without_events_or_treatments_keeps_its_hash(geo):
    spec = parse_spec(build_spec_dict(path="data.csv", geo=geo))
    assert build_dataset(build_frame(geo=geo), spec).content_hash() == HASHES_BEFORE[geo]


def _with_terms():
    frame = build_frame()
    weeks = np.arange(len(frame))
    frame["events"] = np.where(weeks % 10 == 0, "sale", "na")
    frame["shelf_price"] = np.where(weeks % 4 == 0, 4.5, 5.0)
    raw = build_spec_dict(path="data.csv", events=["events"])
    raw["treatments"] = {"shelf": {"column": "shelf_price", "baseline": 5.0}}
    return frame, parse_spec(raw)


def test_changing_only_an_event_or_a_treatment_value_changes_the_hash():
    frame, spec = _with_terms()
    before = build_dataset(frame, spec).content_hash()
    assert before != build_dataset(build_frame(), parse_spec(build_spec_dict(path="data.csv"))).content_hash()
    event = frame.copy()
    event.loc[3, "events"] = "launch"
    treatment = frame.copy()
    treatment.loc[5, "shelf_price"] = 4.0
    hashes = {build_dataset(changed, spec).content_hash() for changed in (event, treatment)}
    assert before not in hashes and len(hashes) == 2
    assert build_dataset(frame.copy(), spec).content_hash() == before  # and nothing else moves it


def _calendar(path, day="2021-12-25"):
    pd.DataFrame({"ds": ["2021-07-04", day], "holiday": ["Independence Day", "Christmas Day"],
                  "country": ["US", "US"], "year": [2021, 2021]}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("geo", [False, True])
def test_a_holidays_file_is_part_of_the_hash_and_a_package_calendar_is_not(tmp_path, geo):
    """Editing the calendar CSV moves the data hash (a stored run is then not current); a spec with a
    package calendar (no file) keeps today's hash exactly, as data without holidays does."""
    frame = build_frame(geo=geo)
    package = parse_spec(build_spec_dict(path="data.csv", geo=geo, holidays="US"))
    assert build_dataset(frame, package).content_hash() == HASHES_BEFORE[geo]

    path = _calendar(tmp_path / "holidays.csv")
    spec = parse_spec(build_spec_dict(path="data.csv", geo=geo, holidays="US", holidays_file=str(path)))
    before = build_dataset(frame, spec).content_hash()
    assert before != HASHES_BEFORE[geo]
    assert build_dataset(frame, spec).content_hash() == before  # the same bytes, the same hash
    _calendar(path, day="2021-12-24")  # one date moved
    assert build_dataset(frame, spec).content_hash() != before
    path.unlink()
    missing = r"Holidays file .*holidays\.csv \(set by `holidays_file` in \[data\]\) does not exist"
    with pytest.raises(DataError, match=missing):
        build_dataset(frame, spec)
