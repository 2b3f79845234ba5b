"""Bad numbers and hostile text get a clear refusal that names the field: CLI exit 2, API 4xx, never an
internal error, a traceback, or text read as Rich markup."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mixscope import cli
from mixscope.plan import Constraints, Objective, optimize
from mixscope.plan.constraints import PlanError
from mixscope.serve import create_app
from tests.security.conftest import HOSTILE_CHANNELS, HOSTILE_KPI
from tests.serve.clients import local_client

runner = CliRunner()


def invoke(*args):
    return runner.invoke(cli.app, [str(a) for a in args], catch_exceptions=False)


def refused(result, *fragments: str) -> None:
    """Exit 2 with every fragment in the message, and nothing that looks like a crash."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert "internal error" not in result.stderr and "Traceback" not in result.output


# --------------------------------------------------------------------------- CLI numbers


@pytest.mark.parametrize(("args", "fragments"), [
    (["--budget", "0"], ["--budget: '0' must be more than zero"]),
    (["--budget=-1x"], ["--budget: '-1x' must be more than zero"]),
    (["--budget", "nan"], ["--budget: 'nan' is not an amount"]),
    (["--budget", "0.9x-0x"], ["--budget: '0x' must be more than zero"]),
    (["--target-roi", "nan"], ["--target-roi must be a number above zero"]),
    (["--target-roi=-1"], ["--target-roi must be a number above zero"]),
    (["--target-cpa", "inf"], ["--target-cpa must be a number above zero"]),
    (["--objective", "mean-sd:nan"], ["mean-sd:nan", "must be a finite number"]),
    (["--objective", "mean-sd:inf"], ["mean-sd:inf", "must be a finite number"]),
    (["--max-change", "30"], ["--max-change: '30' is ambiguous: write 30% for 30 percent, or a fraction"]),
    (["--max-change", "nan"], ["--max-change: 'nan' is not a percentage"]),
    (["--tolerance", "5"], ["--tolerance: '5' is ambiguous"]),
    (["--min", "tv=1,tv=2"], ["--min: 'tv' is given twice"]),
    (["--max", "tv=1e308"], ["--max tv: '1e308' is larger than any budget"]),
])
def test_plan_refuses_bad_numbers_naming_the_option(national_surface_dir, args, fragments):
    refused(invoke("plan", national_surface_dir, *args), *fragments)


@pytest.mark.parametrize(("spend", "fragments"), [
    ("tv=1,tv=2", ["--spend: 'tv' is given twice (1 and 2)"]),
    ("tv=1e308", ["--spend tv: '1e308' is larger than any budget (1e+15)"]),
    ("tv=1e999", ["--spend: the amount for 'tv' is not a number: '1e999'"]),
    ("tv=5e9", ["spend for channel 'tv' (5,000,000,000) is beyond the surface's range"]),
])
def test_whatif_refuses_bad_amounts(national_surface_dir, spend, fragments):
    refused(invoke("whatif", national_surface_dir, "--spend", spend), *fragments)


def test_fit_checks_its_arguments_before_any_work(national_case, tmp_path):
    spec_path = national_case[0]
    refused(invoke("fit", spec_path.parent, "--out", tmp_path / "run"), "is a directory; pass the spec file",
            "mixscope.toml")
    refused(invoke("fit", spec_path, "--chains", "-1", "--out", tmp_path / "run"),
            "[sampler] chains must be at least 1")
    refused(invoke("fit", spec_path, "--draws", "0", "--out", tmp_path / "run"),
            "[sampler] draws must be at least 10")
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------------------- CLI text is text


@pytest.mark.parametrize("spend", ["[/x]=5", "[red]tv[/red]=5", "[bold]=1", ":smile:=5"])
def test_names_in_messages_are_printed_as_typed(national_surface_dir, spend):
    name = spend.split("=")[0]
    refused(invoke("whatif", national_surface_dir, "--spend", spend), f"unknown channel '{name}'")


def test_validate_keeps_section_names(national_case, tmp_path):
    spec_path = national_case[0]
    text = spec_path.read_text().replace("[sampler]\n", "[sampler]\nchainz = 4\n")
    (spec_path.parent / "bad.toml").write_text(text)
    refused(invoke("validate", spec_path.parent / "bad.toml"), "unknown key `chainz` in [sampler]")


def test_hostile_names_print_literally(hostile_run_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(cli.out, "width", 400)  # one line per table row: the names are not wrapped
    written = invoke("init", hostile_run_dir.parent / "hostile.csv", "-o", tmp_path / "spec.toml",
                     "--kpi", HOSTILE_KPI)
    assert written.exit_code == 0, written.output
    whatif = invoke("whatif", hostile_run_dir, "--spend", f"{HOSTILE_CHANNELS['radio']}=100000")
    assert whatif.exit_code == 0, whatif.output
    for name in HOSTILE_CHANNELS.values():
        assert name in written.stdout and name in whatif.stdout, name
    assert HOSTILE_KPI in written.stdout


# --------------------------------------------------------------------------- API numbers


@pytest.fixture(scope="module")
def client(national_surface_dir):
    with local_client(create_app(national_surface_dir)) as test_client:
        yield test_client


@pytest.mark.parametrize("route", ["/api/optimize", "/api/near-optimal"])
@pytest.mark.parametrize(("body", "field", "message"), [
    ('{"budget": 0}', "budget", "greater than 0"),
    ('{"budget": NaN}', "budget", "finite number"),
    ('{"budget": 1e300}', "budget", "less than or equal to"),
    ('{"max_change": NaN}', "max_change", "finite number"),
    ('{"tolerance": NaN}', "tolerance", "finite number"),
    ('{"tolerance": Infinity}', "tolerance", "finite number"),
    ('{"budget": "150000"}', "budget", "valid number"),
    ('{"budget": true}', "budget", "valid number"),
    ('{"minimum": {"tv": NaN}}', "minimum.tv", "finite number"),
    ('{"trust_region": "yes"}', "trust_region", "valid boolean"),
])
def test_planning_refuses_bad_numbers_naming_the_field(client, route, body, field, message):
    answer = client.post(route, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    problem = answer.json()["detail"][0]
    assert problem["field"] == field and problem["msg"].startswith(f"{field}: ") and message in problem["msg"]


@pytest.mark.parametrize("amount", ['"150000"', "true", "NaN", "-Infinity", "1e16"])
def test_spend_must_be_a_plausible_json_number(client, amount):
    for route in ("/api/evaluate", "/api/marginal"):
        answer = client.post(route, content=f'{{"spend": {{"tv": {amount}}}}}',
                             headers={"Content-Type": "application/json"})
        assert answer.status_code == 422, (route, amount, answer.text)
        assert answer.json()["detail"][0]["field"] == "spend.tv"


def test_frontier_refuses_non_finite_query_numbers(client):
    for value in ("nan", "inf", "-1"):
        answer = client.get(f"/api/frontier?max_change={value}")
        assert answer.status_code == 422 and answer.json()["detail"][0]["field"] == "max_change"


def test_a_lone_surrogate_in_a_name_is_refused_not_a_500(client):
    answer = client.post("/api/evaluate", content=b'{"spend": {"\\ud800": 1}}',
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and "unknown channel" in json.loads(answer.content)["detail"]


# --------------------------------------------------------------------------- library


def test_the_planner_refuses_a_zero_budget_and_infinite_risk_weights(surface):
    with pytest.raises(PlanError, match="budget must be a finite number, above zero; got 0"):
        optimize(surface, Constraints(budget=0))
    with pytest.raises(PlanError, match="budget must be a finite number, above zero; got True"):
        optimize(surface, Constraints(budget=True))
    for text in ("mean-sd:nan", "mean-sd:inf", "quantile:nan"):
        with pytest.raises(PlanError, match="must be a finite number"):
            Objective.parse(text)
