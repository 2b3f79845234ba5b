"""Meridian's column conventions, the mapping TOML, and the spec an imported run carries."""

from __future__ import annotations

import pytest

from mixscope.errors import SpecError
from mixscope.meridian.mapping import (
    MeridianSettings,
    guess_mapping,
    lognormal_mean_sd,
    merge_settings,
    read_mapping_file,
    run_spec,
)
from mixscope.spec import PriorSpec

CHANNELS = ("Channel0", "Channel1")
GEO_COLUMNS = [
    "geo", "time", "Channel0_impression", "Channel1_impression", "price_control", "Channel0_spend",
    "Channel1_spend", "conversions", "revenue_per_conversion", "population",
]


def test_meridians_naming_conventions_are_guessed():
    mapping = guess_mapping(GEO_COLUMNS, CHANNELS, ("price_control",))
    assert (mapping.time, mapping.geo, mapping.population) == ("time", "geo", "population")
    assert (mapping.kpi, mapping.kpi_type, mapping.revenue_per_kpi) == (
        "conversions", "non_revenue", "revenue_per_conversion")
    assert mapping.media == ("Channel0_impression", "Channel1_impression")
    assert mapping.media_spend == ("Channel0_spend", "Channel1_spend")
    assert mapping.controls == ("price_control",)


def test_a_revenue_kpi_has_no_revenue_per_kpi():
    columns = ["time", "revenue", "Channel0_spend", "Channel0_impression"]
    mapping = guess_mapping(columns, ("Channel0",), ())
    assert (mapping.kpi, mapping.kpi_type, mapping.revenue_per_kpi, mapping.geo) == (
        "revenue", "revenue", None, None)


def test_the_mapping_file_overrides_columns_and_settings(tmp_path):
    path = tmp_path / "mapping.toml"
    path.write_text(
        '[columns]\ntime = "week"\nkpi = "sales"\nkpi_type = "revenue"\n'
        'media = ["tv_grps", "search_clicks"]\nmedia_spend = ["tv_cost", "search_cost"]\ncontrols = []\n'
        "[model]\nmax_lag = 12\nroi_prior = { loc = 0.5, scale = 0.4 }\n"
    )
    overrides = read_mapping_file(path)
    columns = ["week", "sales", "tv_grps", "search_clicks", "tv_cost", "search_cost"]
    mapping = guess_mapping(columns, CHANNELS, ("ignored_control",), overrides.columns)
    assert (mapping.time, mapping.kpi, mapping.kpi_type) == ("week", "sales", "revenue")
    assert mapping.media == ("tv_grps", "search_clicks") and mapping.controls == ()
    settings = merge_settings(MeridianSettings(), overrides.settings)
    assert settings.max_lag == 12 and settings.roi_prior == (0.5, 0.4) and not settings.hill_before_adstock


@pytest.mark.parametrize("text,message", [
    ("[columns]\nmedia_columns = []\n", "unknown key 'media_columns'"),
    ("[model]\nmax_lags = 8\n", "Did you mean 'max_lag'"),
    ("[model]\nmax_lag = -1\n", "max_lag must be a whole number"),
    ("[model]\nroi_prior = { loc = 0.2 }\n", "roi_prior must be"),
    ("[columns]\nmedia = \"tv\"\n", "media must be a list"),
])
def test_a_bad_mapping_file_is_refused_naming_the_key(tmp_path, text, message):
    path = tmp_path / "mapping.toml"
    path.write_text(text)
    with pytest.raises(SpecError, match=message):
        read_mapping_file(path)


def test_a_missing_column_names_the_role_and_the_fix():
    columns = [c for c in GEO_COLUMNS if c != "Channel1_spend"]
    with pytest.raises(SpecError, match=r"no column 'Channel1_spend' for media_spend of Channel1.*--mapping"):
        guess_mapping(columns, CHANNELS, ("price_control",))


def test_the_spec_holds_meridians_lags_and_roi_prior(tmp_path):
    mapping = guess_mapping(GEO_COLUMNS, CHANNELS, ("price_control",))
    spec = run_spec(mapping, CHANNELS, tmp_path / "data.csv", MeridianSettings(), chains=2, draws=250)
    assert spec.data.kpi_type == "conversions" and spec.data.geo == "geo"
    channel = spec.channels[0]
    assert (channel.max_lag, channel.exposure, channel.spend) == (9, "Channel0_impression", "Channel0_spend")
    mu, sigma = channel.roi_prior.lognormal_params()
    assert mu == pytest.approx(0.2) and sigma == pytest.approx(0.9)
    assert PriorSpec(**lognormal_mean_sd(0.2, 0.9)).lognormal_params() == pytest.approx((0.2, 0.9))
