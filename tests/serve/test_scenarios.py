"""Named scenarios in the planner: kept in the run folder, back after a restart, compared draw by draw."""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import threading

import httpx
import numpy as np
import pandas as pd
import pytest

from mixscope.errors import MixscopeError
from mixscope.report.export import export_run
from mixscope.serve import DEFAULT_LIVE_DRAWS, create_app
from mixscope.serve.scenarios import MAX_NAME_LENGTH, SCENARIOS_FILE, ScenarioStore
from mixscope.serve.whatif import live_draw_indices
from mixscope.surface import Surface
from tests.serve.browser import amount, browser_page, evaluations, running_server, screenshot, wait_until
from tests.serve.clients import local_client

HOSTILE = "<script>window.pwned = 1</script> Q1 & <b>push</b>"


@pytest.fixture
def run_dir(national_surface_dir, tmp_path):
    """A private copy of the shared run: saving writes into the run folder."""
    copy = tmp_path / "run"
    shutil.copytree(national_surface_dir, copy)
    assert not (copy / SCENARIOS_FILE).exists()
    return copy


def _plans(surface: Surface) -> dict[str, dict[str, float]]:
    """Three plans near the current one: a twentieth of the first channel moved to the third, and back
    (in this fixture neither is clearly better: P(beats current) is about 0.2 and 0.7)."""
    current = dict(zip(surface.channels, surface.historical_plan().tolist(), strict=True))
    first, third = surface.channels[0], surface.channels[2]
    shift = 0.05 * current[first]
    return {
        "current": current,
        "to third": current | {first: current[first] - shift, third: current[third] + shift},
        HOSTILE: current | {first: current[first] + shift, third: current[third] - shift},
    }


def _save(client, name, spend):
    response = client.post("/api/scenarios", json={"name": name, "spend": spend})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_saved_scenario_reappears_after_a_restart_and_a_name_saved_twice_is_replaced(run_dir):
    surface = Surface.load(run_dir)
    first = surface.channels[0]
    amount = 1.2 * float(surface.historical_plan()[0])
    with local_client(create_app(run_dir)) as client:
        assert client.get("/api/scenarios").json()["scenarios"] == []
        saved = _save(client, "  brand push ", {first: amount})  # surrounding blanks are not the name
        assert saved["replaced"] is False and saved["message"] == "Saved scenario 'brand push'."
        # Every channel is kept: those the request left out at current spend.
        expected = dict(zip(surface.channels, surface.plan_vector({first: amount}).tolist(), strict=True))
        assert saved["scenario"]["spend"] == expected
        assert saved["scenario"]["total_spend"] == pytest.approx(sum(expected.values()), rel=1e-12)
        _save(client, "lean", {first: 0.5 * amount})
        again = _save(client, "brand push", {first: 0.9 * amount})
        assert again["replaced"] is True and "Replaced the earlier scenario 'brand push'" in again["message"]

    # A new app on the same folder (a restart) lists them as saved: the replaced one in its first place.
    with local_client(create_app(run_dir)) as client:
        listed = client.get("/api/scenarios").json()["scenarios"]
        assert [s["name"] for s in listed] == ["brand push", "lean"]
        assert listed[0]["spend"][first] == pytest.approx(0.9 * amount, rel=1e-15)
        compared = client.post("/api/compare", json={"names": ["lean", "brand push"]})
        assert compared.status_code == 200, compared.text
        assert [s["name"] for s in compared.json()["scenarios"]] == ["lean", "brand push"]
        other_site = client.delete("/api/scenarios/lean", headers={"Origin": "http://evil.example"})
        assert other_site.status_code == 403  # another site's page cannot delete (mixscope.serve.gate)
        deleted = client.delete("/api/scenarios/lean")
        assert deleted.status_code == 200 and deleted.json()["name"] == "lean"
        assert [s["name"] for s in client.get("/api/scenarios").json()["scenarios"]] == ["brand push"]
        missing = client.delete("/api/scenarios/lean")
        assert missing.status_code == 404 and "'lean'" in missing.json()["detail"]
        # Names are text, whatever they hold: a slash, markup.
        _save(client, "a/b", {})
        _save(client, HOSTILE, {})
        names = [s["name"] for s in client.get("/api/scenarios").json()["scenarios"]]
        assert names == ["brand push", "a/b", HOSTILE]
        assert client.delete("/api/scenarios/a%2Fb").status_code == 200
    document = json.loads((run_dir / SCENARIOS_FILE).read_text(encoding="utf-8"))
    assert [s["name"] for s in document["scenarios"]] == ["brand push", HOSTILE]


def test_compare_equals_evaluate_and_pairs_plans_on_the_same_draws(run_dir):
    surface = Surface.load(run_dir)
    plans = _plans(surface)
    with local_client(create_app(run_dir)) as client:
        for name, spend in plans.items():
            _save(client, name, spend)
        names = list(plans)
        answer = client.post("/api/compare", json={"names": names}).json()
        assert [s["name"] for s in answer["scenarios"]] == names
        for compared in answer["scenarios"]:
            evaluated = client.post("/api/evaluate", json={"spend": compared["spend"]}).json()
            for key in ("spend", "total_spend", "outcome", "difference", "prob_beats_baseline_plan"):
                assert compared[key] == evaluated[key], (compared["name"], key)
            assert compared["spend"] == pytest.approx(plans[compared["name"]], rel=1e-15)
        draws = (evaluated["draws_used"], evaluated["draws_total"])
        assert (answer["draws_used"], answer["draws_total"]) == draws
    prob = {(pair["a"], pair["b"]): pair["prob_a_beats_b"] for pair in answer["pairs"]}
    assert len(prob) == 6 and all((a, a) not in prob for a in names)

    # Directly: the surface's per-draw outcomes of each plan, on the draws the planner answers from.
    picked = live_draw_indices(surface.n_draws, DEFAULT_LIVE_DRAWS)
    outcome = {name: surface.outcome(spend).outcome[picked] for name, spend in plans.items()}
    for (a, b), value in prob.items():
        ties = np.mean(np.isclose(outcome[a], outcome[b], rtol=1e-12, atol=0))
        assert value + prob[b, a] == pytest.approx(1.0 - ties, abs=1e-12)
        # Within one draw: the two paths interpolate the same curves in a different order of operations.
        assert value == pytest.approx(np.mean(outcome[a] > outcome[b]), abs=1.0 / picked.size)
    # The plans are close (the probabilities are not all 0 or 1), so pairing matters: the same draws, paired.
    assert 0.05 < prob["to third", "current"] < 0.95 and 0.05 < prob[HOSTILE, "current"] < 0.95
    # P(X beats the current plan) is the number /api/evaluate gives, from the same code and draws.
    for compared in answer["scenarios"]:
        if compared["name"] != "current":
            assert prob[compared["name"], "current"] == compared["prob_beats_baseline_plan"]


@pytest.mark.parametrize(("names", "message"), [
    (["current"], "compare 2 to 4 saved scenarios at once, got 1"),
    (["a", "b", "c", "d", "e"], "compare 2 to 4 saved scenarios at once, got 5"),
    (["current", "current"], "name each scenario once"),
])
def test_compare_refuses_fewer_than_two_or_more_than_four(run_dir, names, message):
    with local_client(create_app(run_dir)) as client:
        response = client.post("/api/compare", json={"names": names})
        assert response.status_code == 422
        assert message in response.json()["detail"][0]["msg"]
        assert response.json()["detail"][0]["field"] == "names"
        _save(client, "current", {})
        unknown = client.post("/api/compare", json={"names": ["current", "nope"]})
        assert unknown.status_code == 404 and "'nope'" in unknown.json()["detail"]


@pytest.mark.parametrize(("name", "message"), [
    ("", "needs a name"),
    ("   ", "needs a name"),
    ("x" * (MAX_NAME_LENGTH + 1), f"at most {MAX_NAME_LENGTH} characters"),
    ("line\nbreak", "control characters (U+000A)"),
    ("tab\there", "control characters (U+0009)"),
    ("abc\u202edcba", "control characters (U+202E)"),  # right-to-left override: shows as another name
    (5, "valid string"),
])
def test_names_are_validated(run_dir, name, message):
    with local_client(create_app(run_dir)) as client:
        response = client.post("/api/scenarios", json={"name": name, "spend": {}})
        assert response.status_code == 422, response.text
        assert message in response.json()["detail"][0]["msg"]
        refused = client.post("/api/scenarios", json={"name": "ok", "spend": {"not a channel": 1.0}})
        assert refused.status_code == 400 and "unknown channel" in refused.json()["detail"]
    assert not (run_dir / SCENARIOS_FILE).exists()


def test_a_failing_write_leaves_the_saved_file_intact(run_dir, monkeypatch):
    with local_client(create_app(run_dir)) as client:
        _save(client, "kept", {})
        path = run_dir / SCENARIOS_FILE
        before, files = path.read_bytes(), sorted(os.listdir(run_dir))

        def full_disk(source, target):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr("mixscope.storage.os.replace", full_disk)  # the new file never replaces the old
        for request in (lambda: client.post("/api/scenarios", json={"name": "lost", "spend": {}}),
                        lambda: client.delete("/api/scenarios/kept")):
            response = request()
            assert response.status_code == 500
            assert "No space left on device" in response.json()["detail"]
            assert "unchanged" in response.json()["detail"]
            assert path.read_bytes() == before
            assert sorted(os.listdir(run_dir)) == files  # no temporary left behind
        monkeypatch.undo()
        assert [s["name"] for s in client.get("/api/scenarios").json()["scenarios"]] == ["kept"]

        # A file this planner cannot read is reported, never overwritten by a save.
        path.write_text('{"scenarios": [', encoding="utf-8")
        listed = client.get("/api/scenarios")
        assert listed.status_code == 500 and "not a saved-scenarios file" in listed.json()["detail"]
        assert client.post("/api/scenarios", json={"name": "x", "spend": {}}).status_code == 500
        assert path.read_text(encoding="utf-8") == '{"scenarios": ['


def test_the_store_keeps_every_writer_s_scenarios(run_dir):
    """Two stores on one folder (two server workers): each save re-reads the file, so none is lost, and
    a save waits while another writer holds the folder's lock."""
    one, two = ScenarioStore(run_dir), ScenarioStore(run_dir)
    one.save("a", {"tv": 1.0})
    two.save("b", {"tv": 2.0})
    with one._exclusive():  # another worker mid-write (the folder's flock, not this store's thread lock)
        waiting = threading.Thread(target=two.save, args=("c", {"tv": 3.0}))
        waiting.start()
        waiting.join(timeout=0.5)
        assert waiting.is_alive()
    waiting.join(timeout=10)
    assert not waiting.is_alive()
    assert [s.name for s in one.saved()] == ["a", "b", "c"]


def test_export_includes_the_saved_scenarios(run_dir, tmp_path):
    surface = Surface.load(run_dir)
    plans = _plans(surface)
    with local_client(create_app(run_dir)) as client:
        for name, spend in plans.items():
            _save(client, name, spend)
    path, built = export_run(run_dir, tmp_path / "deck.xlsx")
    assert "scenarios" not in built.skipped
    sheet = pd.read_excel(path, sheet_name="scenarios")
    assert sheet["name"].tolist() == list(plans)
    for channel in surface.channels:
        assert sheet[f"spend.{channel}"].tolist() == pytest.approx([p[channel] for p in plans.values()])
    assert sheet["total_spend"].tolist() == pytest.approx([sum(p.values()) for p in plans.values()])


def test_page_saves_two_scenarios_and_compares_them_with_names_as_text(run_dir):
    with running_server(run_dir) as url, browser_page() as (page, errors):
        page.goto(f"{url}/")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        page.wait_for_selector("#scenario-list[data-count='0']", timeout=10_000)

        page.fill("#scenario-name", HOSTILE)
        page.click("#btn-save-scenario")
        page.wait_for_selector("#scenario-list[data-count='1']", timeout=10_000)
        assert page.inner_text("#scenario-status") == f"Saved scenario {HOSTILE!r}."

        answered = evaluations(page)
        current = amount(page.input_value("#spend-0"))
        page.fill("#spend-0", str(round(current * 1.1)))
        page.dispatch_event("#spend-0", "change")
        wait_until(page, lambda: evaluations(page) > answered, "the what-if answer to the edit")
        page.fill("#scenario-name", "more of the first channel")
        page.press("#scenario-name", "Enter")
        page.wait_for_selector("#scenario-list[data-count='2']", timeout=10_000)

        page.check("#scenario-check-0")
        page.check("#scenario-check-1")
        page.click("#btn-compare")
        page.wait_for_selector("#compare-prob", timeout=10_000)
        names = [HOSTILE, "more of the first channel"]
        headers = page.locator("#compare-table th.scenario-name").all_inner_texts()
        assert headers == names  # the markup shows as typed, as text
        assert page.locator("#scenarios script, #scenarios b").count() == 0
        assert page.evaluate("() => window.pwned === undefined")

        answer = httpx.post(f"{url}/api/compare", json={"names": names}, timeout=10).json()
        prob = {(p["a"], p["b"]): p["prob_a_beats_b"] for p in answer["pairs"]}
        assert float(page.get_attribute("#prob-0-1", "data-value")) == prob[names[0], names[1]]
        assert page.inner_text("#prob-0-1") == f"{100 * prob[names[0], names[1]]:.0f}%"
        assert page.inner_text("#prob-1-0") == f"{100 * prob[names[1], names[0]]:.0f}%"
        assert page.inner_text("#prob-0-0") == "—"
        outcome = answer["scenarios"][1]["outcome"]["mean"]
        assert f"{outcome:,.0f}" in page.inner_text("#compare-table")

        page.set_viewport_size({"width": 390, "height": 900})  # a phone: the tables scroll in their card
        page.wait_for_timeout(300)
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1] == 390, widths
        screenshot(page, "planner-scenarios-390px.png")
        page.set_viewport_size({"width": 1400, "height": 1000})

        page.check("#scenario-check-0")
        page.uncheck("#scenario-check-1")  # one ticked: the page says what it needs
        page.click("#btn-compare")
        wait_until(page, lambda: page.inner_text("#scenario-status") != "", "the refusal")
        assert page.inner_text("#scenario-status") == "Tick 2 to 4 saved scenarios to compare (1 ticked)."
        screenshot(page, "planner-scenarios.png")
        assert errors == [], json.dumps(errors)


# --------------------------------------------------------------------------- scenario inputs


@pytest.fixture(scope="module")
def fitted_inputs_run(tmp_path_factory):
    """The small organic + treatment fit of tests/surface/test_scenario_inputs (``newsletter``, ``shelf``)."""
    from tests.surface.test_scenario_inputs import build_inputs_run

    return build_inputs_run(tmp_path_factory)


@pytest.fixture
def inputs_run(fitted_inputs_run, tmp_path):
    copy = tmp_path / "inputs_run"
    shutil.copytree(fitted_inputs_run, copy)
    return copy


PROMO = {"organic": {"newsletter": 1.5}, "treatments": {"shelf": 4.5}}


def test_a_scenario_keeps_its_inputs_and_compare_and_export_use_them(inputs_run, tmp_path):
    """Saved with organic volume and a treatment level, a scenario lists them, is compared with them (as
    /api/evaluate answers the same request) and exports them; one saved without them has none."""
    surface = Surface.load(inputs_run)
    current = dict(zip(surface.channels, surface.historical_plan().tolist(), strict=True))
    with local_client(create_app(inputs_run)) as client:
        saved = client.post("/api/scenarios", json={"name": "promo", "spend": current, **PROMO}).json()
        assert saved["scenario"] | PROMO == saved["scenario"]  # stored as sent
        _save(client, "plain", current)
        listed = {s["name"]: s for s in client.get("/api/scenarios").json()["scenarios"]}
        assert {key: listed["promo"][key] for key in PROMO} == PROMO
        assert not {"organic", "treatments"} & set(listed["plain"])  # written as before inputs were kept
        answer = client.post("/api/compare", json={"names": ["plain", "promo"]}).json()
        for compared, inputs in zip(answer["scenarios"], ({}, PROMO), strict=True):
            assert {key: compared[key] for key in PROMO} == {key: inputs.get(key, {}) for key in PROMO}
            evaluated = client.post("/api/evaluate", json={"spend": compared["spend"], **inputs}).json()
            for key in ("outcome", "difference", "prob_beats_baseline_plan"):
                assert compared[key] == evaluated[key], (compared["name"], key)
        plain, promo = answer["scenarios"]
        assert promo["outcome"] != plain["outcome"]  # the same spend: only the inputs tell them apart
    # The same spend, so P(promo beats plain) is the share of draws in which the inputs raise the outcome.
    picked = live_draw_indices(surface.n_draws, DEFAULT_LIVE_DRAWS)
    change = surface.input_change(PROMO["organic"], PROMO["treatments"], picked)[0]
    prob = {(pair["a"], pair["b"]): pair["prob_a_beats_b"] for pair in answer["pairs"]}
    assert prob["promo", "plain"] == pytest.approx(np.mean(change > 0), abs=1e-12)
    assert prob["promo", "plain"] > 0.0  # a real difference, not a tie

    path, built = export_run(inputs_run, tmp_path / "deck.xlsx")
    sheet = pd.read_excel(path, sheet_name="scenarios")
    assert sheet["name"].tolist() == ["promo", "plain"]
    assert sheet["organic.newsletter"].tolist()[0] == 1.5 and pd.isna(sheet["organic.newsletter"][1])
    assert sheet["treatments.shelf"].tolist()[0] == 4.5 and pd.isna(sheet["treatments.shelf"][1])


@pytest.mark.parametrize(("inputs", "message"), [
    ({"organic": {"newsleter": 1.0}}, "organic: unknown organic channel 'newsleter'. Did you mean "
                                      "'newsletter'?"),
    ({"treatments": {"price": 4.5}}, "treatments: unknown treatment 'price'."),
    ({"organic": {"newsletter": 4.0}}, "organic: 'newsletter' at 4× its reference-window volume is outside"),
])
def test_saving_refuses_inputs_the_surface_cannot_score_as_evaluate_does(inputs_run, inputs, message):
    with local_client(create_app(inputs_run)) as client:
        refused = client.post("/api/scenarios", json={"name": "bad", "spend": {}, **inputs})
        assert refused.status_code == 400 and message in refused.json()["detail"], refused.text
        evaluated = client.post("/api/evaluate", json={"spend": {}, **inputs})
        assert evaluated.status_code == 400 and evaluated.json()["detail"] == refused.json()["detail"]
    assert not (inputs_run / SCENARIOS_FILE).exists()


def test_a_run_without_inputs_refuses_them_and_an_old_file_still_loads(run_dir):
    """A scenarios.json written before inputs were kept loads and compares as spend-only scenarios; a run
    with no organic media refuses an organic input with the evaluate API's words."""
    surface = Surface.load(run_dir)
    current = dict(zip(surface.channels, surface.historical_plan().tolist(), strict=True))
    old = {"format": "mixscope-scenarios", "version": 1, "scenarios": [
        {"name": name, "spend": current, "total_spend": math.fsum(current.values()), "saved_at": "2026-11-30"}
        for name in ("a", "b")]}
    (run_dir / SCENARIOS_FILE).write_text(json.dumps(old), encoding="utf-8")
    with local_client(create_app(run_dir)) as client:
        assert client.get("/api/scenarios").json()["scenarios"] == old["scenarios"]
        compared = client.post("/api/compare", json={"names": ["a", "b"]})
        assert compared.status_code == 200, compared.text
        assert [(s["organic"], s["treatments"]) for s in compared.json()["scenarios"]] == [({}, {})] * 2
        refused = client.post("/api/scenarios", json={"name": "c", "spend": {}, "organic": {"news": 1.0}})
        assert refused.status_code == 400
        assert "unknown organic channel 'news': this run has none" in refused.json()["detail"]
    assert json.loads((run_dir / SCENARIOS_FILE).read_text(encoding="utf-8")) == old


def test_a_scenarios_file_with_malformed_inputs_is_refused_naming_the_scenario(run_dir):
    bad = {"scenarios": [{"name": "x", "spend": {"tv": 1.0}, "organic": {"newsletter": "lots"}}]}
    (run_dir / SCENARIOS_FILE).write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(MixscopeError, match=r"scenario 'x': organic or treatments is not a table of numbers"):
        ScenarioStore(run_dir).saved()
