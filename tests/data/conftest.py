"""Small valid MMM tables and specs, written to tmp_path, for the data-layer tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mixscope.spec import RunSpec, parse_spec

START = "2021-01-04"  # a Monday
CHANNELS = ("tv", "search", "social")
GEOS = {"west": 1.0e6, "north": 2.0e6, "south": 0.5e6}  # file order is deliberately unsorted


def _series(rng: np.random.Generator, weeks: int, scale: float) -> dict[str, np.ndarray]:
    tv = np.where(rng.random(weeks) < 0.6, rng.uniform(20_000, 60_000, weeks), 0.0)
    search = rng.uniform(5_000, 15_000, weeks)
    # Social is dark in most weeks: normal flighting, not an outlier source.
    social = np.where(rng.random(weeks) < 0.4, rng.uniform(2_000, 8_000, weeks), 0.0)
    price = 10 + rng.normal(0, 0.5, weeks)
    season = 1 + 0.2 * np.sin(2 * np.pi * np.arange(weeks) / 52.18)
    revenue = (
        100_000 * season + 0.8 * tv + 1.5 * search + 2.0 * social - 3_000 * (price - 10)
        + rng.normal(0, 3_000, weeks)
    )
    return {
        "revenue": np.round(revenue * scale, 2),
        "tv_spend": np.round(tv * scale, 2),
        "search_spend": np.round(search * scale, 2),
        "social_spend": np.round(social * scale, 2),
        "price": np.round(price, 3),
    }


def build_frame(weeks: int = 120, geo: bool = False, seed: int = 0) -> pd.DataFrame:
    """A valid weekly table: national, or three geos with a population column.

    Dates are ISO strings, as most CSV exports have them.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(START, periods=weeks, freq="7D").strftime("%Y-%m-%d")
    if not geo:
        return pd.DataFrame({"date": dates, **_series(rng, weeks, 1.0)})
    parts = [
        pd.DataFrame({
            "date": dates, "geo": name, "population": population,
            **_series(rng, weeks, population / 1e6),
        })
        for name, population in GEOS.items()
    ]
    return pd.concat(parts, ignore_index=True)


def build_spec_dict(
    *, path: str | None = None, query: str | None = None, geo: bool = False, **data: Any
) -> dict[str, Any]:
    """A spec dict for :func:`build_frame` tables; keyword arguments override [data] keys."""
    section: dict[str, Any] = {"kpi": "revenue", "date": "date", "controls": ["price"]}
    if path is not None:
        section["path"] = path
    if query is not None:
        section["query"] = query
    if geo:
        section.update(geo="geo", population="population")
    section.update(data)
    return {
        "data": section,
        "channels": {name: {"spend": f"{name}_spend"} for name in CHANNELS},
    }


@pytest.fixture
def make_frame() -> Callable[..., pd.DataFrame]:
    return build_frame


@pytest.fixture
def make_spec_dict() -> Callable[..., dict[str, Any]]:
    return build_spec_dict


@pytest.fixture
def write_table(tmp_path: Path) -> Callable[[pd.DataFrame, str], Path]:
    """Write a frame under tmp_path with the format given by the name's extension."""

    def write(frame: pd.DataFrame, name: str) -> Path:
        path = tmp_path / name
        if name.endswith((".parquet", ".pq")):
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        return path

    return write


@pytest.fixture
def make_spec(tmp_path: Path) -> Callable[..., RunSpec]:
    """Build a RunSpec through the real parser, relative paths resolving in tmp_path."""

    def build(raw: dict[str, Any] | None = None, **kwargs: Any) -> RunSpec:
        return parse_spec(raw if raw is not None else build_spec_dict(**kwargs), base_dir=tmp_path)

    return build
