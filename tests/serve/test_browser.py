"""The planner page in a real browser (Debian's chromium under Playwright), against `mixscope serve`."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.serve.browser import browser_page, evaluations, running_server, screenshot, wait_until


def test_slider_updates_outcome_matching_the_api_and_optimiser_applies(national_surface_dir):
    with running_server(national_surface_dir) as url, browser_page() as (page, errors):
        page.goto(f"{url}/")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        before = float(page.get_attribute("#outcome-mean", "data-value"))
        answered = evaluations(page)
        meta = httpx.get(f"{url}/api/meta", timeout=10).json()
        names = [channel["name"] for channel in meta["channels"]]
        search = names.index("search")  # per-channel elements are numbered, never named after the channel

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
        on_screen = float(page.input_value("#total-budget"))
        assert on_screen != pytest.approx(sum(c["current"] for c in meta["channels"]), rel=1e-4)
        assert float(page.input_value("#opt-budget")) == on_screen
        page.click("#btn-optimize")
        wait_until(page, lambda: page.get_attribute("#plan-summary", "data-outcome") is not None
                   or page.inner_text("#error") != "", "the optimised plan", timeout_ms=30_000)
        assert page.inner_text("#error") == ""
        request = {"budget": on_screen, "max_change": 0.3, "trust_region": True, "locked": []}
        plan = httpx.post(f"{url}/api/optimize", json=request, timeout=30).json()
        assert float(page.get_attribute("#plan-summary", "data-outcome")) == pytest.approx(
            plan["expected_outcome"]["mean"], rel=1e-9)
        assert sum(plan["allocation"].values()) == pytest.approx(on_screen, rel=1e-6)
        for name, amount in plan["allocation"].items():
            assert float(page.input_value(f"#spend-{names.index(name)}")) == pytest.approx(amount, abs=1.0)
        wait_until(page, lambda: abs(float(page.input_value("#total-budget")) - on_screen) <= 2,
                   "the optimised plan's total on screen")
        wait_until(page, lambda: evaluations(page) > 1, "the what-if answer to the optimised plan")

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
        current = float(page.input_value("#spend-0"))
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
