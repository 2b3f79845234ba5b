"""The TOML run spec: parsing, round trip, conventions of `init`."""

from __future__ import annotations

import math

import pytest

from mixscope.errors import SpecError
from mixscope.spec import PriorSpec, SamplerSpec, load_spec, parse_spec
from mixscope.starter import GEO_STARTER_SAMPLER, starter_spec

BASE = {
    "data": {"path": "data.csv", "kpi": "revenue", "controls": ["price"]},
    "channels": {
        "tv": {
            "spend": "tv_spend", "adstock": "delayed", "max_lag": 6,
            "roi_prior": {"mean": 2.0, "sd": 1.0},
        },
        "search": {"spend": "search_spend", "saturation": "logistic",
                   "coefficient_prior": {"mean": 0.1, "sd": 0.05}},
    },
    "sampler": {"chains": 2, "draws": 100},
    "holdout": {"periods": 8},
}


def test_parse_resolves_paths_relative_to_spec(tmp_path):
    spec = parse_spec(BASE, base_dir=tmp_path)
    assert spec.data.path == tmp_path / "data.csv"
    assert spec.channel_names == ("tv", "search")
    assert spec.channels[0].roi_prior == PriorSpec(2.0, 1.0)
    assert spec.sampler.chains == 2 and spec.sampler.warmup == 500
    assert spec.holdout.periods == 8


def test_round_trip_through_toml(tmp_path):
    import tomli_w

    spec = parse_spec(BASE, base_dir=tmp_path)
    path = tmp_path / "again.toml"
    path.write_text(tomli_w.dumps(spec.to_dict()))
    assert load_spec(path) == parse_spec(BASE, base_dir=tmp_path, source=path)


def test_lognormal_prior_matches_mean_and_sd():
    mu, sigma = PriorSpec(2.0, 1.0).lognormal_params()
    mean = math.exp(mu + sigma**2 / 2)
    sd = math.sqrt((math.exp(sigma**2) - 1) * math.exp(2 * mu + sigma**2))
    assert mean == pytest.approx(2.0) and sd == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sampler": {"chains": 2, "draw": 5}}, "unknown key `draw`.*Did you mean `draws`"),
        ({"channels": {"tv": {"spend": "a", "adstock": "weibull"}}}, "adstock = 'weibull'"),
        ({"channels": {"tv": {"spend": "a", "roi_prior": {"mean": -1, "sd": 1}}}}, "positive mean"),
        ({"channels": {}}, "no channels"),
        ({"holdout": {"periods": -1}}, "periods must be zero or positive"),
        ({"data": {"path": "x.csv", "kpi_type": "clicks"}}, "kpi_type"),
        ({"channels": {"tv": {"spend": "a"}, "tv2": {"spend": "a"}}}, "more than one channel"),
    ],
)
def test_spec_errors_name_the_field(change, message):
    with pytest.raises(SpecError, match=message):
        parse_spec({**BASE, **change})


def test_starter_spec_conventions():
    columns = {
        "week": False, "geo": False, "population": True, "conversions": True,
        "revenue_per_conversion": True, "tv_spend": True, "tv_impressions": True,
        "search_spend": True, "price": True, "label": False,
    }
    spec = starter_spec(columns, "data.csv")
    assert spec["data"]["date"] == "week"
    assert spec["data"]["kpi"] == "conversions" and spec["data"]["kpi_type"] == "conversions"
    assert spec["data"]["revenue_per_kpi"] == "revenue_per_conversion"
    assert spec["data"]["geo"] == "geo" and spec["data"]["population"] == "population"
    assert spec["channels"] == {
        "tv": {"spend": "tv_spend", "exposure": "tv_impressions"},
        "search": {"spend": "search_spend"},
    }
    assert spec["data"]["controls"] == ["price"]
    # Geo posteriors need at least the national draws, at a lower target_accept to keep the time.
    assert spec["sampler"]["draws"] == GEO_STARTER_SAMPLER.draws >= SamplerSpec().draws
    assert spec["sampler"]["target_accept"] == GEO_STARTER_SAMPLER.target_accept
    parse_spec(spec)  # a starter spec is always a valid spec
    national = starter_spec({name: numeric for name, numeric in columns.items() if name != "geo"}, "d.csv")
    assert national["sampler"]["draws"] == SamplerSpec().draws


def test_starter_spec_needs_kpi_flag_when_ambiguous():
    with pytest.raises(SpecError, match="--kpi"):
        starter_spec({"date": False, "y": True, "tv_spend": True}, "d.csv")
    assert starter_spec({"date": False, "y": True, "tv_spend": True}, "d.csv", kpi="y")["data"]["kpi"] == "y"
