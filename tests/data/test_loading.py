"""Loading and building: every source format gives the same Dataset."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from mixscope.data import NATIONAL, Dataset, build_dataset, load_dataset, load_table
from mixscope.errors import DataError
from mixscope.spec import DataSpec

ARRAYS = ("kpi", "spend", "media", "controls", "revenue_per_kpi")


def assert_same_dataset(left: Dataset, right: Dataset) -> None:
    assert left.geos == right.geos
    assert left.channels == right.channels
    assert left.control_names == right.control_names
    np.testing.assert_array_equal(left.dates, right.dates)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(left, name), getattr(right, name), err_msg=name)
    if left.population is None:
        assert right.population is None
    else:
        np.testing.assert_array_equal(left.population, right.population)
    assert left.content_hash() == right.content_hash()


@pytest.fixture(params=[False, True], ids=["national", "geo"])
def geo(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture
def sources(geo, make_frame, write_table, make_spec):
    """The same table as CSV, gzipped CSV, Parquet (real datetimes) and a DuckDB query."""
    frame = make_frame(geo=geo)
    typed = frame.assign(date=pd.to_datetime(frame["date"]))
    csv = write_table(frame, "data.csv")
    return {
        "csv": make_spec(path="data.csv", geo=geo),
        "csv.gz": make_spec(path=str(write_table(frame, "data.csv.gz")), geo=geo),
        "parquet": make_spec(path=str(write_table(typed, "data.parquet")), geo=geo),
        "pq": make_spec(path=str(write_table(frame, "data.pq")), geo=geo),
        "duckdb": make_spec(query=f"SELECT * FROM read_csv_auto('{csv}')", geo=geo),
    }


def test_every_source_gives_the_same_dataset(sources, geo):
    datasets = {name: load_dataset(spec)[0] for name, spec in sources.items()}
    reference = datasets.pop("csv")
    for name, dataset in datasets.items():
        try:
            assert_same_dataset(reference, dataset)
        except AssertionError as error:
            raise AssertionError(f"{name} differs from csv: {error}") from None
    n_geos = 3 if geo else 1
    assert reference.kpi.shape == (n_geos, 120)
    assert reference.spend.shape == (n_geos, 120, 3)
    assert reference.controls.shape == (n_geos, 120, 1)
    assert reference.geos == (("north", "south", "west") if geo else (NATIONAL,))
    assert reference.is_geo is geo
    assert reference.channels == ("tv", "search", "social")


def test_arrays_follow_the_table(make_frame, write_table, make_spec):
    frame = make_frame(geo=True)
    write_table(frame.sample(frac=1.0, random_state=3), "shuffled.csv")  # order must not matter
    dataset, report = load_dataset(make_spec(path="shuffled.csv", geo=True))
    assert report.ok and not report.findings
    south = frame[frame["geo"] == "south"]
    np.testing.assert_array_equal(dataset.kpi[1], south["revenue"].to_numpy())
    np.testing.assert_array_equal(dataset.spend[1, :, 0], south["tv_spend"].to_numpy())
    np.testing.assert_array_equal(dataset.media, dataset.spend)
    np.testing.assert_array_equal(dataset.population, [2.0e6, 0.5e6, 1.0e6])
    np.testing.assert_array_equal(dataset.revenue_per_kpi, np.ones((3, 120)))
    assert dataset.dates.dtype == np.dtype("datetime64[ns]")
    assert (np.diff(dataset.dates) == np.timedelta64(7, "D")).all()
    assert list(dataset.frame.columns) == [
        "date", "geo", "revenue", "tv_spend", "search_spend", "social_spend", "price", "population",
    ]
    assert list(dataset.frame["geo"].unique()) == ["north", "south", "west"]


def test_exposure_becomes_media(make_frame, make_spec_dict, write_table, make_spec):
    frame = make_frame()
    write_table(frame.assign(tv_grps=frame["tv_spend"] / 100.0), "data.csv")
    raw = make_spec_dict(path="data.csv")
    raw["channels"]["tv"]["exposure"] = "tv_grps"
    dataset, _ = load_dataset(make_spec(raw))
    np.testing.assert_allclose(dataset.media[0, :, 0], frame["tv_spend"] / 100.0)
    np.testing.assert_array_equal(dataset.media[..., 1:], dataset.spend[..., 1:])
    assert "tv_grps" in dataset.frame.columns


@pytest.mark.parametrize(
    ("revenue_per_kpi", "expected"), [(None, 1.0), (25.0, 25.0), ("value", "column")]
)
def test_revenue_per_kpi(revenue_per_kpi, expected, make_frame, write_table, make_spec):
    frame = make_frame().rename(columns={"revenue": "conversions"})
    frame["value"] = np.linspace(20.0, 30.0, len(frame))
    write_table(frame, "data.csv")
    extra = {} if revenue_per_kpi is None else {"revenue_per_kpi": revenue_per_kpi}
    spec = make_spec(path="data.csv", kpi="conversions", kpi_type="conversions", **extra)
    dataset, report = load_dataset(spec)
    assert dataset.kpi_type == "conversions"
    column = frame["value"].to_numpy()[None]
    wanted = column if expected == "column" else np.full((1, 120), expected)
    np.testing.assert_allclose(dataset.revenue_per_kpi, wanted)
    codes = [finding.code for finding in report.warnings]
    assert ("roi_in_kpi_units" in codes) is (revenue_per_kpi is None)


def test_population_is_first_value_per_geo(make_frame, write_table, make_spec):
    frame = make_frame(geo=True)
    late = (frame["geo"] == "west") & (frame["date"] > "2022-01-01")
    frame.loc[late, "population"] = 1.1e6
    write_table(frame, "data.csv")
    dataset, report = load_dataset(make_spec(path="data.csv", geo=True))
    assert dataset.population[2] == 1.0e6
    assert [finding.code for finding in report.findings] == ["population_varies"]


def test_duckdb_database_file_is_opened_read_only(tmp_path, make_frame, make_spec):
    database = tmp_path / "mmm.duckdb"
    frame = make_frame()
    with duckdb.connect(str(database)) as connection:
        connection.register("frame", frame)
        connection.execute("CREATE TABLE weekly AS SELECT * FROM frame")
    table = load_table(DataSpec(path=database, query="SELECT * FROM weekly ORDER BY date"))
    assert len(table) == 120
    dataset, _ = load_dataset(make_spec(path="mmm.duckdb", query="SELECT * FROM weekly"))
    np.testing.assert_array_equal(dataset.kpi[0], frame["revenue"].to_numpy())


def test_limited_history_warns_but_loads(make_frame, write_table, make_spec):
    write_table(make_frame(weeks=80), "data.csv")
    dataset, report = load_dataset(make_spec(path="data.csv"))
    assert dataset.n_times == 80
    assert report.ok
    assert [finding.code for finding in report.warnings] == ["limited_history"]


def test_build_refuses_an_incomplete_grid(make_frame, make_spec):
    frame = make_frame(geo=True).drop(index=[5])  # unvalidated: west lacks a week
    with pytest.raises(DataError, match="one row per geo and period"):
        build_dataset(frame, make_spec(path="x.csv", geo=True))
