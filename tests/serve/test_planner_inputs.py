"""The planner page's scenario inputs card (issue 19 item 6): organic volume and treatment levels set on
the page reach /api/evaluate, the outcome panel shows each one's change, and names stay text.

One small fit of the organic test project with a shelf-price treatment (tests/surface/test_scenario_inputs),
its organic channel and treatment given hostile names, served once for the module.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.serve.browser import browser_page, evaluations, running_server, screenshot, wait_until
from tests.surface.test_scenario_inputs import build_inputs_run

ORGANIC = '<img src=x onerror="window.pwned=1">'
TREATMENT = "<b>price</b> & <script>window.pwned=2</script>"


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    run_dir = build_inputs_run(tmp_path_factory, organic=ORGANIC, treatment=TREATMENT)
    with running_server(run_dir) as base:
        yield base


def _open(page, url: str) -> None:
    page.goto(f"{url}/")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)


def _set(page, selector: str, text: str) -> None:
    """Type into an input and commit it; wait for the what-if answer it asks for."""
    answered = evaluations(page)
    page.fill(selector, text)
    page.dispatch_event(selector, "change")
    wait_until(page, lambda: evaluations(page) > answered, f"the what-if answer to {selector} = {text}")


def _evaluate(url: str, **inputs) -> dict:
    """/api/evaluate at the current plan (the page's first plan) with ``inputs``."""
    meta = httpx.get(f"{url}/api/meta", timeout=10).json()
    spend = {channel["name"]: channel["current"] for channel in meta["channels"]}
    answer = httpx.post(f"{url}/api/evaluate", json={"spend": spend, **inputs}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _shown(page) -> float:
    return float(page.get_attribute("#outcome-mean", "data-value"))


def test_card_is_absent_for_a_run_without_inputs(url):
    with browser_page() as (page, errors):
        def without_inputs(route):  # the run's /api/meta as a run with neither organic media nor treatments
            route.fulfill(json={**route.fetch().json(), "scenario_inputs": {}})

        page.route("**/api/meta", without_inputs)
        _open(page, url)
        assert page.locator("#scenario-inputs").count() == 0
        assert page.inner_text("#outcome-inputs") == ""
        assert "organic" not in json.dumps(page.evaluate("() => withInputs({})"))
        assert errors == [], json.dumps(errors)


def test_organic_volume_moves_the_outcome_by_the_api_answer_names_as_text_and_reset(url):
    plain = _evaluate(url)
    with browser_page(bypass_csp=True) as (page, errors):  # the page's own code, without the CSP's net
        _open(page, url)
        assert page.is_visible("#scenario-inputs")
        assert page.input_value("#organic-0") == "100" and page.input_value("#treatment-0") == ""
        assert _shown(page) == plain["outcome"]["mean"]

        _set(page, "#organic-0", "150")
        expected = _evaluate(url, organic={ORGANIC: 1.5})
        change = expected["scenario_inputs"]["organic"][ORGANIC]["change"]
        assert change["mean"] > 0
        assert _shown(page) == expected["outcome"]["mean"]  # the same request: the same answer, exactly
        assert _shown(page) - plain["outcome"]["mean"] == pytest.approx(change["mean"], rel=1e-9)
        assert float(page.get_attribute("#organic-change-0", "data-value")) == change["mean"]
        low, high = (f"{value:+,.0f}".replace("-", "−") for value in change["ci_90"])
        assert page.inner_text("#organic-change-0").endswith(f"[{low}, {high}]")
        assert page.input_value("#organic-slider-0") == "150"

        # Names are the run's column headers: shown as typed, as text, and nothing of them runs.
        _set(page, "#treatment-0", "4.75")
        names = page.locator("#inputs-table td.name b").all_inner_texts()
        assert names == [ORGANIC, TREATMENT]
        assert page.locator("#outcome-inputs-table .input-name").all_inner_texts() == [ORGANIC, TREATMENT]
        assert page.locator("#scenario-inputs img, #scenario-inputs script, #outcome-inputs img, "
                            "#outcome-inputs script, #outcome-inputs b").count() == 0
        assert page.evaluate("() => window.pwned === undefined")

        page.fill("#organic-0", "400")  # past the surface's 3x: refused naming the input, the value kept
        page.dispatch_event("#organic-0", "change")
        assert page.inner_text("#inputs-status") == f"{ORGANIC}: '400' is not a volume from 0 to 300%"
        assert page.input_value("#organic-0") == "150"

        page.click("#btn-inputs-reset")  # (leaving the box above commits it first: one more what-if before)
        wait_until(page, lambda: page.inner_text("#outcome-inputs") == "", "the what-if answer to Reset")
        assert _shown(page) == plain["outcome"]["mean"]
        assert page.inner_text("#outcome-inputs") == ""
        assert page.input_value("#organic-0") == "100" and page.input_value("#treatment-0") == ""
        assert page.inner_text("#prob-beats") == "—"
        assert errors == [], json.dumps(errors)


def test_treatment_outside_the_data_is_warned_and_optimise_says_it_holds_the_inputs(url):
    with browser_page() as (page, errors):
        _open(page, url)
        meta = httpx.get(f"{url}/api/meta", timeout=10).json()["scenario_inputs"]["treatments"][TREATMENT]
        shown = page.inner_text("#treatment-range-0")
        assert shown == (f"reference level {meta['reference_level']:g} · seen in the data "
                         f"{meta['observed_min']:g} – {meta['observed_max']:g} · reference window mean "
                         f"{round(meta['window_mean'], 4):g}")

        _set(page, "#treatment-0", "4.5")  # a level the data showed: no warning
        assert page.locator("#treatment-warning-0").count() == 0
        expected = _evaluate(url, treatments={TREATMENT: 4.5})
        assert _shown(page) == expected["outcome"]["mean"]

        _set(page, "#treatment-0", "6")  # above the highest level seen (5)
        expected = _evaluate(url, treatments={TREATMENT: 6.0})
        assert expected["scenario_inputs"]["treatments"][TREATMENT]["outside_data"] is True
        assert _shown(page) == expected["outcome"]["mean"]
        assert page.is_visible("#treatment-warning-0")
        assert page.inner_text("#treatment-warning-0").startswith(
            f"{TREATMENT} at 6 is outside the levels the data showed (4.5 – 5)")
        assert "outside-data" in page.get_attribute("#treatment-row-0", "class")
        assert page.inner_text("#prob-beats") != "—"  # the current spend, moved by an input

        # Optimise holds the inputs as the reference window had them, and the page says so in the API's words.
        page.click("#btn-optimize")
        page.wait_for_selector("#plan-inputs-note", timeout=60_000)
        held = f"{ORGANIC}, {TREATMENT}: held as the reference window had them"
        assert page.inner_text("#plan-inputs-note").startswith(held)
        assert page.is_visible("#treatment-warning-0")  # the what-if of the plan keeps the inputs set
        screenshot(page, "planner-inputs.png")
        assert errors == [], json.dumps(errors)


def test_a_saved_scenario_keeps_the_inputs_shows_them_as_text_and_loads_them_back(url):
    expected = _evaluate(url, organic={ORGANIC: 1.5}, treatments={TREATMENT: 4.5})
    with browser_page() as (page, errors):
        _open(page, url)
        _set(page, "#organic-0", "150")
        _set(page, "#treatment-0", "4.5")
        page.fill("#scenario-name", "promo")
        page.click("#btn-save-scenario")
        page.wait_for_selector("#scenario-list[data-count='1']", timeout=10_000)
        assert page.inner_text("#scenario-inputs-0") == f"{ORGANIC}: volume 150%; {TREATMENT}: level 4.5"
        assert page.locator("#scenario-list img, #scenario-list script, #scenario-list b").count() == 0

        page.click("#btn-inputs-reset")
        wait_until(page, lambda: page.inner_text("#outcome-inputs") == "", "the what-if answer to Reset")
        page.click("#scenario-load-0")  # the saved inputs come back with the plan, and so does the answer
        wait_until(page, lambda: _shown(page) == expected["outcome"]["mean"], "the loaded scenario's answer")
        assert page.input_value("#organic-0") == "150" and page.input_value("#treatment-0") == "4.5"
        assert page.evaluate("() => window.pwned === undefined")
        assert errors == [], json.dumps(errors)
    saved = httpx.get(f"{url}/api/scenarios", timeout=10).json()["scenarios"]
    assert [(s["organic"], s["treatments"]) for s in saved] == [({ORGANIC: 1.5}, {TREATMENT: 4.5})]
