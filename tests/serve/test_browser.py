"""The planner page in a real browser (Debian's chromium under Playwright), against `mixscope serve`."""

from __future__ import annotations

import json

import httpx
import pytest

from mixscope.insights.formatting import with_currency
from tests.serve.browser import amount, browser_page, evaluations, running_server, screenshot, wait_until


def test_slider_updates_outcome_matching_the_api_and_optimiser_applies(national_surface_dir):
    with running_server(national_surface_dir) as url, browser_page() as (page, errors):
        page.goto(f"{url}/")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        before = float(page.get_attribute("#outcome-mean", "data-value"))
        answered = evaluations(page)
        meta = httpx.get(f"{url}/api/meta", timeout=10).json()
        names = [channel["name"] for channel in meta["channels"]]
        search = names.index("search")  # per-channel elements are numbered, never named after the channel
        # A run with neither organic media nor treatments: no scenario inputs card.
        assert meta["scenario_inputs"] == {} and page.locator("#scenario-inputs").count() == 0

        # Drag-free slider move: a click at 85% of the track sets the value there and fires `input`.
        box = page.locator(f"#slider-{search}").bounding_box()
        page.mouse.click(box["x"] + 0.85 * box["width"], box["y"] + box["height"] / 2)
        wait_until(page, lambda: evaluations(page) > answered, "the what-if answer to the slider move")
        page.wait_for_timeout(300)  # let any trailing (debounced) query land
        shown = float(page.get_attribute("#outcome-mean", "data-value"))
        assert shown != pytest.approx(before, rel=1e-9)

        # The page's number is the API's number for the plan it shows.
        spend = json.loads(page.get_attribute("#outcome-mean", "data-spend"))
        assert spend["search"] == pytest.approx(float(page.input_value(f"#slider-{search}")))
        answer = httpx.post(f"{url}/api/evaluate", json={"spend": spend}, timeout=10).json()
        assert shown == pytest.approx(answer["outcome"]["mean"], rel=1e-12)
        assert page.inner_text("#outcome-mean") == f"{answer['outcome']['mean']:,.0f}"
        mroi = answer["marginal_roi"]["search"]
        assert page.inner_text(f"#mroi-{search}").startswith(f"{mroi['mean']:.2f}")
        page.wait_for_selector("#frontier-chart[data-ready='1'] .main-svg", timeout=60_000)

        # The optimiser with the page's default constraints (±30%, trust region) and the total on screen
        # (the slider moved it) = the API's answer, and it spends that total. The slider goes to about 1.15x
        # the channel's current spend: a total the ±30% bounds can absorb.
        current = meta["channels"][search]["current"]
        top = float(page.get_attribute(f"#slider-{search}", "max"))
        answered = evaluations(page)
        page.mouse.click(box["x"] + 1.15 * current / top * box["width"], box["y"] + box["height"] / 2)
        wait_until(page, lambda: evaluations(page) > answered, "the what-if answer to the second move")
        page.wait_for_timeout(300)
        on_screen = amount(page.input_value("#total-budget"))
        assert on_screen != pytest.approx(sum(c["current"] for c in meta["channels"]), rel=1e-4)
        assert amount(page.input_value("#opt-budget")) == on_screen
        assert page.inner_text("#outcome-draws") == (
            f"from {meta['live_draws']:,} of {meta['n_draws']:,} posterior draws")
        assert meta["live_draws"] < meta["n_draws"]  # the fixture answers what-ifs from a subset
        page.click("#btn-optimize")
        wait_until(page, lambda: page.get_attribute("#plan-summary", "data-outcome") is not None
                   or page.inner_text("#error") != "", "the optimised plan", timeout_ms=30_000)
        assert page.inner_text("#error") == ""
        request = {"budget": on_screen, "max_change": 0.3, "trust_region": True, "locked": []}
        plan = httpx.post(f"{url}/api/optimize", json=request, timeout=30).json()
        assert float(page.get_attribute("#plan-summary", "data-outcome")) == pytest.approx(
            plan["expected_outcome"]["mean"], rel=1e-9)
        assert sum(plan["allocation"].values()) == pytest.approx(on_screen, rel=1e-6)
        for name, spend in plan["allocation"].items():
            assert amount(page.input_value(f"#spend-{names.index(name)}")) == pytest.approx(spend, abs=1.0)
        wait_until(page, lambda: abs(amount(page.input_value("#total-budget")) - on_screen) <= 2,
                   "the optimised plan's total on screen")
        # One number per quantity: the outcome panel answers the optimised plan from every draw, as the
        # optimiser did, so both panels (and the frontier's two markers) show the same outcome.
        every = f"from all {meta['n_draws']:,} posterior draws"
        wait_until(page, lambda: page.inner_text("#outcome-draws") == every,
                   "the all-draw answer to the optimised plan")
        assert page.inner_text("#outcome-mean") == page.inner_text("#plan-outcome")
        assert float(page.get_attribute("#outcome-mean", "data-value")) == pytest.approx(
            plan["expected_outcome"]["mean"], rel=1e-12)
        assert every in page.inner_text("#plan-summary")
        uplift = plan["uplift"]["mean"]
        assert page.inner_text("#difference").startswith(("+" if uplift > 0 else "−") + f"{abs(uplift):,.0f}")
        frontier = page.evaluate("() => document.getElementById('frontier-chart').data.slice(4)"
                                 ".map(t => [t.x[0], t.y[0]])")
        assert frontier[0] == pytest.approx(frontier[1], rel=1e-12)

        page.click("#btn-near-optimal")
        page.wait_for_selector("#alternatives tbody tr", timeout=30_000)
        screenshot(page, "planner.png")
        assert errors == [], json.dumps(errors)


def test_page_asks_for_the_token_when_gated(national_surface_dir):
    with running_server(national_surface_dir, "--token", "s3cret") as url, browser_page() as (page, errors):
        page.goto(f"{url}/")
        page.wait_for_selector("#error:not(:empty)", timeout=30_000)
        assert "token" in page.inner_text("#error")
        page.goto(f"{url}/?token=s3cret")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        assert page.get_attribute("#outcome-mean", "data-value")


def test_current_plan_shows_a_dash_not_a_probability_and_no_signed_zero(national_surface_dir):
    with running_server(national_surface_dir) as url, browser_page() as (page, errors):
        page.goto(f"{url}/")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        # The current plan compared with itself: no "0%" probability, no "-0%" change anywhere.
        assert page.inner_text("#prob-beats") == "—"
        assert page.inner_text("#change-0") == "0%"
        text = page.inner_text("main")
        assert "-0%" not in text and "−0%" not in text and "+0%" not in text

        # A plan a hair below current (rounds to 0%) still prints 0%, and now has a probability.
        answered = evaluations(page)
        current = amount(page.input_value("#spend-0"))
        page.fill("#spend-0", str(round(current * 0.999)))
        page.dispatch_event("#spend-0", "change")
        wait_until(page, lambda: evaluations(page) > answered, "the what-if answer to the edit")
        assert page.inner_text("#change-0") == "0%"
        assert page.inner_text("#prob-beats").endswith("%")
        assert errors == []


@pytest.mark.parametrize("width", [390, 1400])
def test_page_fits_the_viewport_without_horizontal_scrolling(national_surface_dir, width):
    with running_server(national_surface_dir) as url, browser_page(viewport=(width, 900)) as (page, errors):
        page.goto(f"{url}/")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        page.wait_for_selector("#frontier-chart[data-ready='1'] .main-svg", timeout=60_000)
        page.click("#btn-near-optimal")  # its tables are the widest thing the page shows
        page.wait_for_selector("#alternatives tbody tr", timeout=30_000)
        page.wait_for_timeout(300)  # Plotly resizes to its card on the next frame
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        path = screenshot(page, f"planner-{width}px.png")
        assert widths[1] == width
        assert widths[0] <= widths[1], f"page is {widths[0]} px wide in a {width} px viewport ({path})"
        header = page.locator("header h1").bounding_box()
        assert header["x"] >= 0 and header["x"] + header["width"] <= width  # the title is not cut off
        assert errors == [], json.dumps(errors)


def _with_currency(page, currency: str) -> None:
    """The page's /api/meta as if the run's spec named ``currency`` (the shared run must not be edited)."""
    def answer(route):
        meta = route.fetch().json()
        route.fulfill(json={**meta, "currency": currency})

    page.route("**/api/meta", answer)


@pytest.mark.parametrize("currency", ["€", "EUR"])
def test_money_inputs_show_the_currency_and_read_typed_amounts(national_surface_dir, currency):
    with running_server(national_surface_dir) as url, browser_page() as (page, errors):
        _with_currency(page, currency)
        page.goto(f"{url}/")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        meta = httpx.get(f"{url}/api/meta", timeout=10).json()
        current = meta["channels"][0]["current"]
        # Shown as the CLI writes money (mixscope.insights.formatting.with_currency), in the same rule.
        assert page.input_value("#spend-0") == with_currency(f"{current:,.0f}", currency)
        assert page.input_value("#total-budget") == with_currency(f"{meta['current_total']:,.0f}", currency)
        assert page.input_value("#opt-budget") == page.input_value("#total-budget")
        for text in ("1,200", "-1,200", "+1,200", "−1,200", ""):
            assert page.evaluate("([text, currency]) => withCurrency(text, currency)", [text, currency]) \
                == with_currency(text, currency)

        # Typed with separators and the currency (before or after, any case): the API gets the number.
        name = meta["channels"][0]["name"]
        for typed, expected in ((f"{currency}1,234,567", 1234567), (f"1 234 568 {currency.lower()}", 1234568),
                                ("1234569.5", 1234569.5)):
            page.fill("#spend-0", typed)
            page.press("#spend-0", "Enter")
            wait_until(page, lambda expected=expected: json.loads(
                page.get_attribute("#outcome-mean", "data-spend"))[name] == expected,
                f"the what-if answer to {typed!r}")
            assert page.input_value("#spend-0") == with_currency(f"{expected:,.0f}", currency)

        # Not an amount: refused with a message, the box shows the plan's amount again, nothing is sent.
        answered = evaluations(page)
        page.fill("#spend-0", "12abc")
        page.press("#spend-0", "Enter")
        assert "is not an amount" in page.inner_text("#error")
        assert page.input_value("#spend-0") == with_currency("1,234,570", currency)
        page.wait_for_timeout(200)
        assert evaluations(page) == answered

        # The Optimise budget as typed reaches the API as a number.
        page.fill("#opt-budget", with_currency(f"{round(meta['current_total']):,}", currency))
        page.click("#btn-optimize")
        wait_until(page, lambda: page.get_attribute("#plan-summary", "data-outcome") is not None
                   or page.inner_text("#error") != "", "the optimised plan", timeout_ms=30_000)
        total = sum(amount(page.input_value(f"#spend-{i}")) for i in range(len(meta["channels"])))
        assert total == pytest.approx(round(meta["current_total"]), abs=len(meta["channels"]))
        assert errors == [], json.dumps(errors)


def test_about_this_run_names_the_constraints_of_its_plan(national_surface_dir):
    with running_server(national_surface_dir) as url, browser_page() as (page, errors):
        page.goto(f"{url}/")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        page.wait_for_selector("#narrative-constraints-text", timeout=180_000)
        meta = httpx.get(f"{url}/api/meta", timeout=10).json()
        text = page.inner_text("#narrative-constraints-text")
        assert f"a total of {meta['current_total']:,.0f}" in text
        assert "no limit on each channel's change" in text
        assert "within the spend levels seen in the data" in text
        assert page.input_value("#opt-max-change") == "30"  # the box's own default differs
        page.click("#btn-narrative-constraints")
        assert page.input_value("#opt-max-change") == ""
        assert amount(page.input_value("#opt-budget")) == round(meta["current_total"])
        assert page.is_checked("#opt-trust")
        assert errors == [], json.dumps(errors)

