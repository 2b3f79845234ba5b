"""``mixscope init`` on other tools' naming (Robyn's, Meridian's) and with the user's column mappings."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mixscope.cli import app
from mixscope.data import load_table, validate_frame
from mixscope.pipeline import data_warning_lines
from mixscope.spec import load_spec

FIXTURES = Path(__file__).parent / "fixtures"
ROBYN = FIXTURES / "robyn" / "dt_simulated_weekly.csv"
MERIDIAN = Path(__file__).parents[1] / "meridian" / "fixtures" / "national_media.csv"

runner = CliRunner()


def init(data: Path, spec: Path, *options: str):
    """Run ``mixscope init`` and return (result, the spec written as a dict or None)."""
    result = runner.invoke(app, ["init", str(data), "-o", str(spec), *options], catch_exceptions=False)
    written = tomllib.loads(spec.read_text()) if result.exit_code == 0 else None
    return result, written


def test_robyn_sample_maps_without_options(tmp_path):
    result, spec = init(ROBYN, tmp_path / "s.toml")
    assert result.exit_code == 0, result.output
    assert spec["data"]["date"] == "DATE" and spec["data"]["kpi"] == "revenue"
    assert spec["channels"] == {
        "tv": {"spend": "tv_S"},
        "ooh": {"spend": "ooh_S"},
        "print": {"spend": "print_S"},
        "search": {"spend": "search_S", "exposure": "search_clicks_P"},  # a mediator, not a control
        "facebook": {"spend": "facebook_S", "exposure": "facebook_I"},
    }
    assert spec["data"]["controls"] == ["competitor_sales_B", "newsletter"]
    assert spec["data"]["events"] == ["events"]  # text with a few levels: proposed as events
    # Every role is named, and the dropped column with its reason.
    for text in ("KPI: revenue", "date: DATE", "search: spend search_S, exposure search_clicks_P",
                 "facebook: spend facebook_S, exposure facebook_I",
                 "controls (2): competitor_sales_B, newsletter", "events (1, one effect per level"):
        assert text in result.stdout, text
    load_spec(tmp_path / "s.toml")  # the spec written is a valid spec
    check = runner.invoke(app, ["validate", str(tmp_path / "s.toml"), "--json"])
    assert check.exit_code == 0, check.output
    assert "control_tracks_spend" not in {f["code"] for f in json.loads(check.stdout)["findings"]}


def test_meridian_national_sample_maps_without_options(tmp_path):
    result, spec = init(MERIDIAN, tmp_path / "s.toml")
    assert result.exit_code == 0, result.output
    data = spec["data"]
    assert (data["date"], data["kpi"], data["kpi_type"]) == ("time", "conversions", "conversions")
    assert data["revenue_per_kpi"] == "revenue_per_conversion"
    assert spec["channels"] == {
        f"Channel{i}": {"spend": f"Channel{i}_spend", "exposure": f"Channel{i}_impression"}
        for i in range(4)
    }
    assert data["controls"] == ["competitor_activity_score_control", "sentiment_score_control"]
    assert "revenue per KPI unit: revenue_per_conversion" in result.stdout
    assert "0 columns not used" in result.stdout


def test_meridian_reach_and_frequency_become_an_rf_channel(tmp_path):
    frame = pd.read_csv(MERIDIAN)
    frame["Channel3_reach"] = frame["Channel3_impression"] / 3
    frame["Channel3_frequency"] = 3.0
    path = tmp_path / "rf.csv"
    frame.to_csv(path, index=False)
    result, spec = init(path, tmp_path / "s.toml")
    assert result.exit_code == 0, result.output
    assert "Channel3_reach" not in spec["data"]["controls"]
    assert "Channel3_frequency" not in spec["data"]["controls"]
    assert spec["channels"]["Channel3"] == {
        "spend": "Channel3_spend", "reach": "Channel3_reach", "frequency": "Channel3_frequency",
    }
    said = "Channel3: spend Channel3_spend, reach Channel3_reach, frequency Channel3_frequency"
    assert said in result.stdout
    # Reach x frequency is its exposure: the impressions are left out, with the reason.
    assert "Channel3_impression: reach x frequency is the exposure of 'Channel3'" in result.stdout
    load_spec(tmp_path / "s.toml")


def test_a_lone_reach_column_is_left_out_and_said(tmp_path):
    frame = pd.read_csv(MERIDIAN)
    frame["Channel3_reach"] = frame["Channel3_impression"] / 3
    path = tmp_path / "rf.csv"
    frame.to_csv(path, index=False)
    result, spec = init(path, tmp_path / "s.toml")
    assert result.exit_code == 0, result.output
    assert spec["channels"]["Channel3"] == {"spend": "Channel3_spend", "exposure": "Channel3_impression"}
    assert "Channel3_reach: a reach or frequency column needs its pair" in result.stdout


def test_unnamed_index_column_is_not_a_control(tmp_path):
    frame = pd.read_csv(MERIDIAN)
    path = tmp_path / "indexed.csv"
    frame.to_csv(path)  # writes the index as a first, unnamed column
    result, spec = init(path, tmp_path / "s.toml")
    assert result.exit_code == 0, result.output
    assert not any(c.startswith("Unnamed") for c in spec["data"]["controls"])
    assert "Unnamed: 0: an unnamed index column" in result.stdout


@pytest.fixture
def custom_csv(tmp_path) -> Path:
    """Weekly data whose names follow no convention init knows."""
    weeks = pd.date_range("2021-01-04", periods=60, freq="7D")
    n = len(weeks)
    frame = pd.DataFrame({
        "week": weeks.strftime("%Y-%m-%d"),
        "sales": [1000.0 + i for i in range(n)],
        "TV cost": [100.0 + (i % 7) for i in range(n)],
        "radio_cost": [50.0 + (i % 5) for i in range(n)],
        "tv_grp_total": [10.0 + (i % 3) for i in range(n)],
        "price": [9.0 + (i % 2) for i in range(n)],
        "temperature": [15.0 + (i % 11) for i in range(n)],
    })
    path = tmp_path / "custom.csv"
    frame.to_csv(path, index=False)
    return path


def test_spend_suffix_option(custom_csv, tmp_path):
    result, _ = init(custom_csv, tmp_path / "s.toml")
    assert result.exit_code == 2 and "--spend-suffix" in result.stderr and "--channel" in result.stderr
    result, spec = init(custom_csv, tmp_path / "s.toml", "--spend-suffix", "_cost")
    assert result.exit_code == 0, result.output
    assert spec["channels"] == {"radio": {"spend": "radio_cost"}}
    assert spec["data"]["controls"] == ["TV cost", "tv_grp_total", "price", "temperature"]


def test_channel_exposure_and_control_options(custom_csv, tmp_path):
    result, spec = init(
        custom_csv, tmp_path / "s.toml", "--spend-suffix", "_cost", "--channel", "tv=TV cost",
        "--exposure", "tv=tv_grp_total", "--control", "price",
    )
    assert result.exit_code == 0, result.output
    assert spec["channels"] == {
        "tv": {"spend": "TV cost", "exposure": "tv_grp_total"},
        "radio": {"spend": "radio_cost"},
    }
    assert spec["data"]["controls"] == ["price"]  # given controls are the only ones
    assert "temperature: not among the controls you listed" in result.stdout
    assert "tv: spend TV cost, exposure tv_grp_total" in result.stdout


def test_control_option_keeps_a_column_from_a_guessed_role(tmp_path):
    result, spec = init(ROBYN, tmp_path / "s.toml", "--control", "search_clicks_P",
                        "--control", "competitor_sales_B")
    assert result.exit_code == 0, result.output
    assert spec["channels"]["search"] == {"spend": "search_S"}
    assert spec["data"]["controls"] == ["search_clicks_P", "competitor_sales_B"]
    assert "newsletter: not among the controls you listed" in result.stdout
    # The data gate then warns that the clicks move with search's spend, naming both columns.
    check = runner.invoke(app, ["validate", str(tmp_path / "s.toml")])
    assert check.exit_code == 0, check.output
    assert "WARNING [control_tracks_spend] Control 'search_clicks_P'" in check.stdout
    assert "'search_S' (spend of channel 'search'), r = 0.98" in check.stdout
    # ... and `fit` keeps it in summary.json["warnings"] (the gate's warnings, as tagged lines).
    spec = load_spec(tmp_path / "s.toml")
    report = validate_frame(load_table(spec.data), spec)
    assert any(line.startswith("DATA [control_tracks_spend]: Control 'search_clicks_P'")
               for line in data_warning_lines(report.findings))


def test_a_mapped_channel_wins_over_a_guess_and_the_guess_is_said(tmp_path):
    result, spec = init(ROBYN, tmp_path / "s.toml", "--channel", "tv=ooh_S")
    assert result.exit_code == 0, result.output
    assert spec["channels"]["tv"] == {"spend": "ooh_S"} and "ooh" not in spec["channels"]
    assert "tv_S" not in spec["data"]["controls"]
    assert "tv_S: looks like the spend of 'tv', which --channel tv=ooh_S maps to 'ooh_S'" in result.stdout


def test_mapping_file_has_the_same_keys(custom_csv, tmp_path):
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        'spend_suffix = ["_cost"]\ncontrols = ["temperature"]\n'
        '[channels]\ntv = "TV cost"\n[exposure]\ntv = "tv_grp_total"\n'
    )
    result, spec = init(custom_csv, tmp_path / "s.toml", "--mapping", str(mapping))
    assert result.exit_code == 0, result.output
    assert spec["channels"] == {
        "tv": {"spend": "TV cost", "exposure": "tv_grp_total"},
        "radio": {"spend": "radio_cost"},
    }
    assert spec["data"]["controls"] == ["temperature"]
    # Options given beside the file add to it.
    result, spec = init(custom_csv, tmp_path / "s2.toml", "--mapping", str(mapping), "--control", "price")
    assert result.exit_code == 0, result.output
    assert spec["data"]["controls"] == ["temperature", "price"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--channel", "tv"], "--channel 'tv' is not NAME=COLUMN"),
        (["--channel", "=TV cost"], "--channel '=TV cost' is not NAME=COLUMN"),
        (["--channel", "tv=tv_costs"], "--channel tv=tv_costs: there is no column 'tv_costs'"),
        (["--control", "temprature"], "--control temprature: there is no column 'temprature'"),
        (["--spend-suffix", "_cost", "--exposure", "tv=tv_grp_total"],
         "--exposure tv=tv_grp_total: there is no channel 'tv'"),
        (["--channel", "tv=sales"], "--channel tv=sales: column 'sales' is already the KPI"),
        (["--spend-suffix", "_cost", "--channel", "tv=TV cost", "--control", "TV cost"],
         "--control TV cost: column 'TV cost' is already the spend of channel 'tv'"),
        (["--spend-suffix", "", "--channel", "tv=TV cost"], "--spend-suffix is empty"),
    ],
)
def test_bad_mapping_entries_are_named(custom_csv, tmp_path, options, message):
    result, _ = init(custom_csv, tmp_path / "s.toml", *options)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "s.toml").exists()


def test_a_misspelt_column_gets_a_suggestion(custom_csv, tmp_path):
    result, _ = init(custom_csv, tmp_path / "s.toml", "--channel", "tv=TV cots")
    assert result.exit_code == 2 and "Did you mean 'TV cost'?" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('chanels = {tv = "TV cost"}\n', "unknown key 'chanels'. Did you mean 'channels'?"),
        ('[channels]\ntv = "nope"\n', "[channels] tv = 'nope': there is no column 'nope'"),
        ("[channels]\ntv = 3\n", "[channels] tv = 3 must be a column name"),
        ("spend_suffix = 3\n", "spend_suffix = 3 must be a list of names"),
        ("controls = [\n", "is not valid TOML"),
    ],
)
def test_bad_mapping_files_are_named(custom_csv, tmp_path, text, message):
    mapping = tmp_path / "map.toml"
    mapping.write_text(text)
    result, _ = init(custom_csv, tmp_path / "s.toml", "--mapping", str(mapping))
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "map.toml" in result.stderr


def test_a_missing_mapping_file_is_said(custom_csv, tmp_path):
    result, _ = init(custom_csv, tmp_path / "s.toml", "--mapping", str(tmp_path / "none.toml"))
    assert result.exit_code == 2 and "none.toml: no such file" in result.stderr
