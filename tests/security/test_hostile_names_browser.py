"""The planner page in Chromium, serving a run whose channel, KPI and run names are attacks.

Names must show as typed and never run: with the page's Content-Security-Policy
bypassed (so only the page's own DOM code stands between a name and the
browser) and with it on (where an attempt would also log a violation).
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.security.conftest import HOSTILE_KPI, HOSTILE_RUN
from tests.serve.browser import amount, browser_page, evaluations, running_server, screenshot, wait_until


def _shown_plan(page) -> dict[str, float]:
    return json.loads(page.get_attribute("#outcome-mean", "data-spend"))


@pytest.mark.parametrize("bypass_csp", [True, False], ids=["page-code-only", "with-csp"])
def test_hostile_names_stay_text_and_every_slider_works(hostile_run_dir, bypass_csp):
    console: list[str] = []
    with running_server(hostile_run_dir) as url, \
            browser_page(bypass_csp=bypass_csp, console=console) as (page, errors):
        names = [channel["name"] for channel in httpx.get(f"{url}/api/meta", timeout=10).json()["channels"]]
        page.goto(f"{url}/")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        assert page.title() == f"mixscope planner — {HOSTILE_RUN}"
        rows = page.locator("#channels tbody tr")
        assert rows.count() == len(names)
        assert [rows.nth(i).locator("td.name b").text_content() for i in range(len(names))] == names
        assert HOSTILE_KPI in page.text_content("#run-info")

        for i, name in enumerate(names):
            before = float(page.get_attribute("#outcome-mean", "data-value"))
            answered = evaluations(page)
            box = page.locator(f"#slider-{i}").bounding_box()
            page.mouse.click(box["x"] + 0.9 * box["width"], box["y"] + box["height"] / 2)
            target = float(page.input_value(f"#slider-{i}"))
            def answered_move(answered=answered, name=name, target=target) -> bool:
                return evaluations(page) > answered and _shown_plan(page)[name] == pytest.approx(target)

            wait_until(page, answered_move, f"the answer to slider {i}")
            assert float(page.get_attribute("#outcome-mean", "data-value")) != pytest.approx(before, rel=1e-9)
            assert amount(page.input_value(f"#spend-{i}")) == pytest.approx(round(target))

        # Optimise spends the total on screen: back to the current one, which ±30% can absorb.
        page.click("#btn-reset")
        page.click("#btn-optimize")
        page.wait_for_selector("#plan-summary[data-outcome]", timeout=30_000)
        page.click("#btn-near-optimal")
        page.wait_for_selector("#alternatives tbody tr", timeout=30_000)
        headers = page.locator("#alternatives thead th").all_text_contents()
        assert headers[1:-2] == names
        assert page.locator("#near-ranges tbody td:first-child").all_text_contents() == names
        page.wait_for_selector("#frontier-chart[data-ready='1'] .main-svg", timeout=60_000)
        assert page.text_content("#frontier-chart .ytitle") == f"{HOSTILE_KPI} (window + carryover)"
        page.wait_for_timeout(500)  # any injected handler (autofocus, onerror, onload) would have fired
        screenshot(page, f"planner-hostile-{'no-csp' if bypass_csp else 'csp'}.png")

        assert page.evaluate("() => window.__pwned") is None
        assert not [message for message in console if "pwned" in message], console
        assert errors == [], json.dumps(errors)
