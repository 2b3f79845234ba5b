"""What-if answers from a fixed subset of posterior draws (``mixscope serve --live-draws N``)."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from mixscope import metrics
from mixscope.cli import app as cli
from mixscope.errors import MixscopeError
from mixscope.serve import DEFAULT_LIVE_DRAWS, create_app
from mixscope.serve.whatif import (
    MIN_LIVE_DRAWS,
    WhatIf,
    live_draw_error,
    live_draw_indices,
    parse_live_draws,
)
from mixscope.surface import Surface
from tests.serve.clients import local_client


def _plans(surface: Surface, count: int) -> list[dict[str, float]]:
    rng = np.random.default_rng(5)
    current = surface.historical_plan()
    return [dict(zip(surface.channels, (current * rng.uniform(0.5, 1.5, current.size)).tolist(), strict=True))
            for _ in range(count)]


def test_subset_answers_are_the_subset_draws_summarised(surface):
    live = WhatIf(surface, 300)
    picked = live_draw_indices(surface.n_draws, 300)
    assert picked.size == 300 and np.all(np.diff(picked) > 0)  # distinct draws, in order
    plan = _plans(surface, 1)[0]
    answer = live.evaluate(plan)
    assert (answer["draws_used"], answer["draws_total"]) == (300, surface.n_draws)

    # The same numbers as summarising those draws of the full per-draw outcome.
    full = surface.outcome(plan)
    historical = surface.outcome(surface.historical_plan())
    expected = metrics.interval_summary(full.outcome[picked])
    assert answer["outcome"]["mean"] == pytest.approx(expected["mean"], rel=1e-12)
    assert answer["outcome"]["ci_90"] == pytest.approx(expected["ci_90"], rel=1e-12)
    difference = full.outcome[picked] - historical.outcome[picked]
    assert answer["prob_beats_baseline_plan"] == pytest.approx(np.mean(difference > 0))
    tv = surface.channels.index("tv")
    roi = metrics.interval_summary(full.roi()[picked, tv])
    assert answer["channels"]["tv"]["roi"]["ci_90"] == pytest.approx(roi["ci_90"], rel=1e-12)
    current = answer["baseline_plan_outcome"]
    assert current["mean"] == pytest.approx(historical.outcome[picked].mean(), rel=1e-12)


def test_subset_is_fixed_and_all_means_all(surface):
    plan = _plans(surface, 1)[0]
    assert WhatIf(surface, 300).evaluate(plan) == WhatIf(surface, 300).evaluate(plan)  # restart-proof
    assert live_draw_indices(surface.n_draws, None) is None
    assert live_draw_indices(surface.n_draws, surface.n_draws) is None
    everything = WhatIf(surface, 10 * surface.n_draws).evaluate(plan)
    assert everything["draws_used"] == surface.n_draws
    assert everything == WhatIf(surface).evaluate(plan)


@pytest.mark.parametrize(("text", "value"), [("all", None), ("ALL", None), ("1000", 1000), ("2_000", 2000)])
def test_parse_live_draws(text, value):
    assert parse_live_draws(text) == value


@pytest.mark.parametrize(("value", "message"), [
    ("lots", "whole number of draws or 'all'"),
    ("2.5", "whole number of draws or 'all'"),
    ("10", f"at least {MIN_LIVE_DRAWS}"),
    ("-5", f"at least {MIN_LIVE_DRAWS}"),
])
def test_bad_live_draws_are_refused(value, message):
    with pytest.raises(MixscopeError, match=message):
        parse_live_draws(value)


def test_bad_live_draws_are_a_cli_error(national_surface_dir):
    for value, message in (("10", f"at least {MIN_LIVE_DRAWS}"), ("lots", "'all'")):
        result = CliRunner().invoke(cli, ["serve", str(national_surface_dir), "--live-draws", value])
        assert result.exit_code == 2, result.output
        assert message in result.output
    result = CliRunner().invoke(cli, ["serve", str(national_surface_dir), "--workers", "0"])
    assert result.exit_code == 2 and "--workers must be 1 or more" in result.output
    with pytest.raises(MixscopeError, match=f"at least {MIN_LIVE_DRAWS}"):
        create_app(national_surface_dir, live_draws=5)


def test_api_says_which_draws_and_planning_keeps_every_draw(national_surface_dir, surface):
    assert surface.n_draws > DEFAULT_LIVE_DRAWS  # the fixture exercises the default subset
    with local_client(create_app(national_surface_dir)) as live, \
            local_client(create_app(national_surface_dir, live_draws=None)) as every:
        meta = live.get("/api/meta").json()
        assert (meta["live_draws"], meta["n_draws"]) == (DEFAULT_LIVE_DRAWS, surface.n_draws)
        assert every.get("/api/meta").json()["live_draws"] == surface.n_draws
        plan = {"spend": _plans(surface, 1)[0]}
        answer = live.post("/api/evaluate", json=plan).json()
        assert (answer["draws_used"], answer["draws_total"]) == (DEFAULT_LIVE_DRAWS, surface.n_draws)
        exact = every.post("/api/evaluate", json=plan).json()
        assert exact["draws_used"] == surface.n_draws
        assert answer["outcome"]["mean"] != exact["outcome"]["mean"]
        assert answer["outcome"]["mean"] == pytest.approx(exact["outcome"]["mean"], rel=0.01)
        # The optimiser, /api/marginal and the frontier do not depend on the live subset.
        request = {"max_change": 0.3}
        optimised = live.post("/api/optimize", json=request).json()
        assert optimised == every.post("/api/optimize", json=request).json()
        assert live.post("/api/marginal", json=plan).json() == every.post("/api/marginal", json=plan).json()
        assert live.get("/api/frontier").json() == every.get("/api/frontier").json()


def test_live_draw_error_measures_the_subset(surface):
    """The default subset keeps the README's promise: 90% interval ends move by at most 7-12% of
    the interval's width, P(beats current) by at most 2.3 points (1,000 of this fixture's 1,600
    draws, 40 plans: at most 5.2% and 1.8 points measured)."""
    plans = _plans(surface, 40)
    error = live_draw_error(surface, DEFAULT_LIVE_DRAWS, plans)
    expected = (DEFAULT_LIVE_DRAWS, surface.n_draws, 40)
    assert (error["live_draws"], error["draws_total"], error["plans"]) == expected
    for quantity in ("outcome", "difference", "contribution", "roi", "marginal_roi"):
        median = error[f"{quantity}_median_error_of_ci90_width"]
        worst = error[f"{quantity}_max_error_of_ci90_width"]
        assert 0 < median <= worst <= 0.12, quantity  # a subset moves intervals, a little
    assert 0 < error["prob_beats_max_abs_error"] <= 0.023
    exact = live_draw_error(surface, surface.n_draws, plans[:5])  # every draw: nothing moves
    assert all(value == 0 for key, value in exact.items() if "error" in key)
