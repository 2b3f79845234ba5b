"""The specs in docs/public (fitted by scripts/run_public_datasets.py): each parses, and no column of
its dataset is dropped in silence. Issue 19's bar is "all of its columns used as their authors meant,
and none dropped": a column the spec does not use must be named in the spec's leading comments (which
become the doc's text) with the reason, e.g. as the simulation's truth or as a restated calendar.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from mixscope.spec import RunSpec, load_spec

PUBLIC = Path(__file__).parents[1] / "docs" / "public"
SPECS = sorted(PUBLIC.glob("*.toml"))
# The public datasets sit beside the repository (../shared/data); or MIXSCOPE_SHARED_DATA names them.
SHARED_DATA = Path(os.environ.get("MIXSCOPE_SHARED_DATA", Path(__file__).parents[2] / "shared" / "data"))
INDEX_HEADERS = ("", "Unnamed: 0")  # pandas' row index written to CSV: not data


def used_columns(spec: RunSpec) -> set[str]:
    """Every data column the spec gives a role."""
    data = spec.data
    used = {data.date, data.kpi, *data.controls, *data.events}
    used |= {column for column in (data.geo, data.population) if column}
    if isinstance(data.revenue_per_kpi, str):
        used.add(data.revenue_per_kpi)
    for channel in spec.channels:
        used |= {c for c in (channel.spend, channel.exposure, channel.reach, channel.frequency) if c}
    used |= {organic.column for organic in spec.organic}
    used |= {treatment.column for treatment in spec.treatments}
    return used


def comments(path: Path) -> str:
    """The spec's comment lines (the script makes the doc's "about" text of them)."""
    return "\n".join(line for line in path.read_text().splitlines() if line.startswith("#"))


def named(column: str, text: str) -> bool:
    """Whether ``text`` names ``column`` as a whole word (``t`` is not named by "trend")."""
    return re.search(rf"(?<!\w){re.escape(column)}(?!\w)", text) is not None


def data_file(spec: RunSpec) -> Path:
    """The spec's data file under SHARED_DATA (its path is written relative to a checkout beside shared/)."""
    parts = Path(spec.data.path).parts
    return SHARED_DATA.joinpath(*parts[parts.index("data") + 1:])


# Public files that are no model's data: a holiday calendar a spec reads as `holidays_file`, and
# Meridian's future flighting plan, which has no KPI to fit (it is input for planning, not a dataset).
NOT_DATASETS = {"dt_prophet_holidays.csv", "hypothetical_geo_all_channels.csv"}


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="the public datasets are not checked out")
def test_every_public_dataset_has_a_spec():
    fitted = {data_file(load_spec(path)).name for path in SPECS}
    datasets = {path.name for path in SHARED_DATA.glob("*/*.csv")} - NOT_DATASETS
    assert datasets, SHARED_DATA
    assert datasets <= fitted, f"public datasets without a spec in docs/public: {sorted(datasets - fitted)}"


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_a_public_spec_uses_or_explains_every_column_of_its_data(path):
    spec = load_spec(path)
    about = comments(path)
    assert re.search(r"Apache-2\.0|MIT|[Ll]icen[cs]e", about), "say where the data come from, and its license"
    source = data_file(spec)
    if not source.is_file():
        pytest.skip(f"{source} is not checked out")
    columns = pd.read_csv(source, nrows=0).columns
    columns = ["" if str(c).startswith("Unnamed: ") else str(c) for c in columns]
    used = used_columns(spec)
    missing = used - set(columns)
    assert not missing, f"the spec names columns its data lack: {sorted(missing)}"
    unexplained = [c for c in columns if c not in used and c not in INDEX_HEADERS and not named(c, about)]
    assert not unexplained, f"columns neither used nor explained in the spec's comments: {unexplained}"
    if any(c in INDEX_HEADERS for c in columns):
        assert "row index" in about, "say the unnamed first column is a row index"
