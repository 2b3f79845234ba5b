"""Malformed inputs: each must give one readable paragraph that names the problem and the fix.

Three families: bad specs (SpecError from the parser), unreadable sources
(DataError from load_table) and readable tables that fail validation
(a finding in the report; DataError from load_dataset when it is an error).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixscope.data import load_dataset, load_table, validate_frame
from mixscope.errors import DataError, SpecError

ACTIONS = (
    "fix", "drop", "rename", "remove", "add", "merge", "check", "write", "aggregate", "make",
    "set", "fill", "put", "reduce", "save", "trim", "re-export", "name",
)

Mutation = Callable[[pd.DataFrame], pd.DataFrame]


def week(index: int) -> str:
    """The ISO date of data row ``index + 1`` in a national fixture table."""
    return (pd.Timestamp("2021-01-04") + pd.Timedelta(weeks=index)).strftime("%Y-%m-%d")


def assert_readable(message: str) -> None:
    """One paragraph of prose: no traceback, no stray line breaks, tells the user what to do."""
    assert "Traceback" not in message
    assert 'File "' not in message
    assert "\n" not in message
    assert any(action in message.lower() for action in ACTIONS), message


# --------------------------------------------------------------------------- mutations


def set_cells(column: str, rows: list[int], value: Any) -> Mutation:
    def mutate(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        if isinstance(value, str) and column != "date":
            frame[column] = frame[column].astype(object)
        frame.loc[rows, column] = value
        return frame

    return mutate


def set_column(column: str, make: Callable[[pd.DataFrame], Any]) -> Mutation:
    return lambda frame: frame.assign(**{column: make(frame)})


def drop_rows(rows: list[int]) -> Mutation:
    return lambda frame: frame.drop(index=rows).reset_index(drop=True)


def shift_dates(start: int, days: int) -> Mutation:
    def mutate(frame: pd.DataFrame) -> pd.DataFrame:
        dates = pd.to_datetime(frame["date"])
        dates.iloc[start:] += pd.Timedelta(days=days)
        return frame.assign(date=dates.dt.strftime("%Y-%m-%d"))

    return mutate


def noisy_copy(frame: pd.DataFrame) -> np.ndarray:
    # VIF about 33 against tv: strongly correlated, not degenerate.
    noise = np.random.default_rng(5).normal(0, 0.05 * frame["tv_spend"].std(), len(frame))
    return 0.3 * frame["tv_spend"] + noise + 5_000


def identity(frame: pd.DataFrame) -> pd.DataFrame:
    return frame


# --------------------------------------------------------------------------- failing tables


@dataclass(frozen=True)
class DataCase:
    id: str
    code: str
    expects: tuple[str, ...]
    mutate: Mutation = identity
    data: Mapping[str, Any] = field(default_factory=dict)
    sections: Mapping[str, Any] = field(default_factory=dict)
    geo: bool = False
    weeks: int = 120
    level: str = "error"


DATA_CASES = [
    DataCase(
        "missing spend column", "missing_column",
        ("'tv_spend'", "channel 'tv'", "Did you mean 'tv_spend_usd'?", "Rename"),
        mutate=lambda f: f.rename(columns={"tv_spend": "tv_spend_usd"}),
    ),
    DataCase(
        "misspelled control", "missing_column",
        ("'prices'", "Did you mean 'price'?", "`controls` in [data]"),
        data={"controls": ["prices"]},
    ),
    DataCase(
        "column in two roles", "column_clash",
        ("'tv_spend'", "more than one role", "remove it"),
        data={"controls": ["price", "tv_spend"]},
    ),
    DataCase(
        "control named like the KPI", "target_clash",
        ("'kpi'", "'sales' as the KPI", "rename the other column"),
        mutate=lambda f: f.rename(columns={"revenue": "sales"}).assign(kpi=f["price"] * 2),
        data={"kpi": "sales", "controls": ["price", "kpi"]},
    ),
    DataCase(
        "negative spend", "negative_spend",
        ("'tv_spend'", "rows 12, 40", week(11), week(39), "-500", "set those periods to 0"),
        mutate=set_cells("tv_spend", [11, 39], -500.0),
    ),
    DataCase(
        "thousands separator in spend", "non_numeric",
        ("'search_spend'", "row 5", week(4), "'1,200'", "thousands separators"),
        mutate=set_cells("search_spend", [4], "1,200"),
    ),
    DataCase(
        "text in spend", "non_numeric",
        ("'search_spend'", "rows 9, 10", week(8), "'$500'", "'twelve'"),
        mutate=lambda f: set_cells("search_spend", [9], "twelve")(
            set_cells("search_spend", [8], "$500")(f)
        ),
    ),
    DataCase(
        "n/a in spend", "missing_values",
        ("'social_spend'", "row 8", week(7), "use 0"),
        mutate=set_cells("social_spend", [7], "n/a"),
    ),
    DataCase(
        "empty KPI", "missing_values",
        ("'revenue'", "the KPI", "row 21", week(20), "Fill in"),
        mutate=set_cells("revenue", [20], np.nan),
    ),
    DataCase(
        "duplicate week", "duplicate_period",
        ("'date'", "rows 31, 32", week(30), "remove the duplicate rows"),
        mutate=lambda f: pd.concat([f.iloc[:31], f.iloc[30:]], ignore_index=True),
    ),
    DataCase(
        "geo rows without geo in spec", "duplicate_period",
        ("'date'", "`geo` in [data]"),
        mutate=lambda f: pd.concat([f, f], ignore_index=True),
    ),
    DataCase(
        "missing weeks", "missing_periods",
        ("'date'", "skips 2 periods", week(50), week(51), "Add a row"),
        mutate=drop_rows([50, 51]),
    ),
    DataCase(
        "irregular spacing", "irregular_spacing",
        ("'date'", "row 61", "come 10 days", "same weekday"),
        mutate=shift_dates(60, 3),
    ),
    DataCase(
        "monthly data", "unsupported_frequency",
        ("'date'", "weekly (7 days)", "Aggregate"),
        mutate=set_column(
            "date", lambda f: pd.date_range("2012-01-01", periods=len(f), freq="MS").astype(str)
        ),
    ),
    DataCase(
        "unparseable date", "non_date",
        ("'date'", "row 8", "'2021-13-01'", "YYYY-MM-DD"),
        mutate=set_cells("date", [7], "2021-13-01"),
    ),
    DataCase(
        "constant control", "constant_control",
        ("'price'", "always 9.99", "drop it from `controls`"),
        mutate=set_column("price", lambda f: 9.99),
    ),
    DataCase(
        "all-zero spend", "zero_spend",
        ("'social_spend'", "channel 'social'", "zero in every row", "remove the channel"),
        mutate=set_column("social_spend", lambda f: 0.0),
    ),
    DataCase(
        "constant spend", "constant_spend",
        ("'search_spend'", "always 10,000", "remove the channel"),
        mutate=set_column("search_spend", lambda f: 10_000.0),
    ),
    DataCase(
        "KPI without variance", "constant_kpi",
        ("'revenue'", "never varies", "`kpi` in [data]"),
        mutate=set_column("revenue", lambda f: 1_000.0),
    ),
    DataCase(
        "40 weeks of history", "short_history",
        ("40 weekly periods", "at least 52 weeks", "Add more history"), weeks=40,
    ),
    DataCase(
        "identical spend columns", "collinear_spend",
        ("'tv_spend'", "'social_spend'", "infinite", "merge them"),
        mutate=set_column("social_spend", lambda f: f["tv_spend"]),
    ),
    DataCase(
        "holdout longer than data", "holdout_too_long",
        ("[holdout] periods = 200", "reduce"),
        sections={"holdout": {"periods": 200}},
    ),
    DataCase(
        "geos with different dates", "geo_dates_differ",
        ("'geo'", "'south' lacks", "2021-01-04", "add the missing rows"),
        mutate=lambda f: f.drop(index=f.index[f["geo"] == "south"][:4]), geo=True,
    ),
    DataCase(
        "missing geo label", "missing_values",
        ("'geo'", "row 3", "Every row needs a geo"),
        mutate=set_cells("geo", [2], np.nan), geo=True,
    ),
    DataCase(
        "non-positive population", "nonpositive_population",
        ("'population'", "zero or negative", "north", "fix the source data"),
        mutate=lambda f: f.assign(population=f["population"].where(f["geo"] != "north", 0)),
        geo=True,
    ),
    DataCase(
        "revenue_per_kpi column with zeros", "nonpositive_revenue_per_kpi",
        ("'value'", "rows 4, 5", week(3), "must be positive"),
        mutate=lambda f: f.assign(value=30.0).pipe(set_cells("value", [3, 4], 0.0)),
        data={"kpi_type": "conversions", "revenue_per_kpi": "value"},
    ),
    DataCase(
        "negative exposure", "negative_exposure",
        ("'tv_grps'", "exposure of channel 'tv'", "row 6", week(5), "-3"),
        mutate=lambda f: f.assign(tv_grps=f["tv_spend"] / 100).pipe(
            set_cells("tv_grps", [5], -3.0)
        ),
        sections={"channels": {"tv": {"spend": "tv_spend", "exposure": "tv_grps"}}},
    ),
    # Warnings: the data loads, the report says what to look at.
    DataCase(
        "80 weeks of history", "limited_history",
        ("80 weekly periods", "lean on priors for seasonality", "Add more history"),
        weeks=80, level="warning",
    ),
    DataCase(
        "KPI spike", "outlier",
        ("'revenue'", "row 61", week(60), "robust standard deviations", "add a control"),
        mutate=lambda f: f.assign(revenue=f["revenue"].where(f.index != 60, 5e7)),
        level="warning",
    ),
    DataCase(
        "spend spike", "outlier",
        ("'search_spend'", "row 71", week(70), "fix typos"),
        mutate=set_cells("search_spend", [70], 5e6), level="warning",
    ),
    DataCase(
        "negative KPI", "negative_kpi",
        ("'revenue'", "row 3", "check the source data"),
        mutate=set_cells("revenue", [2], -50.0), level="warning",
    ),
    DataCase(
        "correlated spend", "correlated_spend",
        ("'tv_spend'", "'social_spend'", "VIF above 10", "merging"),
        mutate=set_column("social_spend", noisy_copy), level="warning",
    ),
    DataCase(
        "varying population", "population_varies",
        ("'population'", "geo west", "first value"),
        mutate=lambda f: f.assign(
            population=f["population"].where(~((f["geo"] == "west") & (f.index > 100)), 1.2e6)
        ),
        geo=True, level="warning",
    ),
    DataCase(
        "conversions without revenue_per_kpi", "roi_in_kpi_units",
        ("'revenue'", "conversions per currency unit", "Add `revenue_per_kpi`"),
        data={"kpi_type": "conversions"}, level="warning",
    ),
]


def _spec_raw(case: DataCase, make_spec_dict) -> dict[str, Any]:
    raw = make_spec_dict(path="data.csv", geo=case.geo, **case.data)
    for section, values in case.sections.items():
        raw[section] = {**raw.get(section, {}), **values}
    return raw


@pytest.mark.parametrize("case", DATA_CASES, ids=lambda case: case.id)
def test_bad_table(case, make_frame, make_spec_dict, write_table, make_spec):
    frame = case.mutate(make_frame(weeks=case.weeks, geo=case.geo))
    write_table(frame, "data.csv")
    spec = make_spec(_spec_raw(case, make_spec_dict))
    report = validate_frame(load_table(spec.data), spec)
    matching = [finding for finding in report.findings if finding.code == case.code]
    assert matching, report.format()
    finding = matching[0]
    assert finding.level == case.level
    for text in case.expects:
        assert text in finding.message, finding.message
    for each in report.findings:
        assert_readable(each.message)
    if case.level == "error":
        with pytest.raises(DataError) as caught:
            load_dataset(spec)
        text = str(caught.value)
        assert text.startswith(f"Validation of {spec.data.source_label}:")
        assert finding.message in text
        assert "Traceback" not in text and 'File "' not in text
    else:
        dataset, loaded = load_dataset(spec)
        assert loaded.ok and dataset.n_times == len(frame["date"].unique())


# --------------------------------------------------------------------------- unreadable sources


def _write_bytes(name: str, content: bytes) -> Callable[[Any], dict[str, Any]]:
    def setup(tmp_path) -> dict[str, Any]:
        (tmp_path / name).write_bytes(content)
        return {"path": name}

    return setup


LOAD_CASES = [
    ("empty file", _write_bytes("data.csv", b""), ("data.csv", "empty", "Re-export")),
    ("header only", _write_bytes("data.csv", b"date,revenue,tv_spend\n"),
     ("data.csv", "no data rows", "Add")),
    ("ragged csv", _write_bytes("data.csv", b"date,revenue\n2021-01-04,1\n2021-01-11,1,2,3\n"),
     ("data.csv", "as CSV", "line 3", "re-export")),
    ("not utf-8", _write_bytes("data.csv", "date,caf\xe9\n2021-01-04,1\n".encode("latin-1")),
     ("data.csv", "UTF-8", "save")),
    ("corrupt gzip", _write_bytes("data.csv.gz", b"date,revenue\n2021-01-04,1\n"),
     ("data.csv.gz", "gzipped CSV", "re-export")),
    ("corrupt parquet", _write_bytes("data.parquet", np.random.default_rng(0).bytes(512)),
     ("data.parquet", "as Parquet", "re-export")),
    ("unknown extension", _write_bytes("data.xlsx", b"PK\x03\x04"),
     ("data.xlsx", "'.xlsx'", "Save the data as CSV")),
    ("missing file", lambda tmp_path: {"path": "nope.csv"},
     ("nope.csv", "does not exist", "Fix `path`")),
    ("database without query", _write_bytes("mmm.duckdb", b""),
     ("mmm.duckdb", "add a `query`",)),
    ("SQL syntax error", lambda tmp_path: {"query": "SELEC * FRM weekly"},
     ("SELEC * FRM weekly", "syntax error", "Fix the SQL")),
    ("query on a missing file",
     lambda tmp_path: {"query": f"SELECT * FROM read_csv_auto('{tmp_path / 'gone.csv'}')"},
     ("gone.csv", "failed", "Fix the SQL")),
    ("query with a csv path",
     lambda tmp_path: {"query": "SELECT 1", "path": "data.csv"},
     ("data.csv", "not a DuckDB database", "remove `path`")),
    ("query returning nothing",
     lambda tmp_path: {"query": "SELECT 1 AS date WHERE false"},
     ("SELECT 1 AS date WHERE false", "no data rows", "fix the file or query")),
]


@pytest.mark.parametrize(("setup", "expects"), [case[1:] for case in LOAD_CASES],
                         ids=[case[0] for case in LOAD_CASES])
def test_unreadable_source(setup, expects, tmp_path, make_spec):
    spec = make_spec(**setup(tmp_path))
    with pytest.raises(DataError) as caught:
        load_table(spec.data)
    message = str(caught.value)
    for text in expects:
        assert text in message, message
    assert_readable(message)
    # Raised fresh or `from None`: the reader's own traceback is never chained on.
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


# --------------------------------------------------------------------------- bad specs

SPEC_CASES = [
    ("misspelled data key", ("data", "kpii", "revenue"), ("`kpii`", "Did you mean `kpi`?")),
    ("unknown channel key", ("channels.tv", "spnd", "tv_spend"),
     ("`spnd`", "[channels.tv]", "Did you mean `spend`?")),
    ("wrong type in sampler", ("sampler", "chains", "4"), ("[sampler] `chains`", "must be int")),
    ("bad kpi_type", ("data", "kpi_type", "sales"), ("kpi_type", "revenue, conversions")),
    ("population without geo", ("data", "population", "population"), ("geo is not",)),
]


@pytest.mark.parametrize(("edit", "expects"), [case[1:] for case in SPEC_CASES],
                         ids=[case[0] for case in SPEC_CASES])
def test_bad_spec(edit, expects, make_spec_dict, make_spec):
    section, key, value = edit
    raw = make_spec_dict(path="data.csv")
    target = raw
    for part in section.split("."):
        target = target.setdefault(part, {})
    target[key] = value
    with pytest.raises(SpecError) as caught:
        make_spec(raw)
    message = str(caught.value)
    for text in expects:
        assert text in message, message
    assert "Traceback" not in message and "\n" not in message
